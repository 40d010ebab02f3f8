// BrokerCore: the pure state machine of the broker. Sessions, the default queue, agents and
// their capacity, offers, per-client de-duplication and the outbox of deliveries.
//
// Events and "now" go in; out come the store mutations and the messages to send, collected in
// a TurnOutput until the engine takes them at the end of a loop turn (FinishTurn). The core
// knows nothing of sockets, threads, FlatBuffers or RocksDB; the engine commits
// output().mutations before it sends output().outgoing (durable before acknowledged).
//
// Thread rules: not thread-safe; owned by the broker's loop thread.
//
// Rejections return a Status whose code is a wire ErrorCode; the core then also queues the
// Error for the client (so callers need not) and changes nothing else.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "core/events.h"
#include "core/model.h"
#include "core/requests.h"
#include "core/routing/engine.h"

namespace switchboard::core {

struct CoreConfig {
  // Queues, rules and steps (docs/routing.md). Without it, the built-in routing: one queue
  // named `default_queue`, every agent, longest idle, with the two settings below.
  std::optional<routing::RoutingConfig> routing;
  std::string default_queue = "default";
  Micros offer_timeout = 15 * kSeconds;  // an offer not answered by then goes to the next agent
  Micros heartbeat_interval = 1 * kSeconds;  // a client silent for 3 intervals is gone
  uint32_t max_text_bytes = 64 * 1024;       // longer texts get kPayloadTooLarge
  uint32_t max_queue_size = 100000;          // new contacts over it get kBusy
  uint32_t max_tenant_waiting = 0;  // contacts of one tenant waiting; over it: kBusy (0: none)
  // A worker gone (disconnected or silent) keeps its sessions this long; if it is not back
  // by then they are offered to other agents, with their whole transcript.
  Micros worker_grace = 60 * kSeconds;
  // Deliveries a connected client has not acknowledged for this long are sent again.
  Micros redelivery_timeout = 30 * kSeconds;
  // A client's acknowledgement of deliveries is written with the next turn that writes
  // anything else, or after this long: a turn of nothing but delivery acks then costs no
  // store write (nor, in sync mode, an fsync). A crash in between re-sends what was
  // acknowledged (at least once; the client library drops ids it has seen). 0: every turn.
  Micros ack_mark_delay = 100 * kMillis;
  // Credit: how many unacknowledged messages a client may have outstanding.
  uint32_t window = 1000;
  // Messages held in memory for delivery (the outbox, and the messages of contacts still
  // waiting for an agent) before adapters get no more credit; they get it again below 90%
  // of this. Bounds the memory that slow or absent clients and a long queue can make the
  // broker hold (see docs/guarantees.md).
  size_t max_outbox = 1'000'000;
  // Longest tenant, customer id, client id or contact attribute accepted, in bytes.
  uint32_t max_id_bytes = 256;

  // --- For the contact-centre metrics (docs/metrics.md). ---
  // Abandons before this wait are short abandons.
  Micros short_abandon = 5 * kSeconds;
  // A new contact of the same tenant, customer id and topic within this time of a close is a
  // re-contact (first-contact resolution).
  Micros fcr_window = 48 * 3600 * kSeconds;
  // Closes remembered for re-contacts; past it the oldest is forgotten.
  size_t fcr_memory = 100000;
  // Closed sessions remembered so that a Rating can still name them; past it the oldest is
  // forgotten.
  size_t rating_memory = 100000;
};

// --- What clients send, already decoded and checked for shape by the protocol layer. ---

struct HelloIn {
  Role role = Role::kAdapter;
  std::string client_id;
  uint64_t epoch = 0;
  std::vector<Channel> channels;  // adapter
  std::vector<std::string> tenants;
  std::string group;
  std::vector<Skill> skills;
  std::vector<std::pair<Channel, uint16_t>> capacity;  // worker; empty: one IM session
  AgentProfileIn profile;                              // worker: tier, budget, attributes...
};

struct CustomerMessageIn {
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  std::string text;
  ContactAttributes attributes;
};

// --- What the core asks the engine to send. ---

struct WelcomeOut {
  uint64_t processed_seq = 0;
  uint32_t credit = 0;
};
struct ErrorOut {
  Code code = Code::kOk;
  std::string reason;
  uint64_t ref_seq = 0;
  uint32_t position = 0;
  uint32_t expected_wait_ms = 0;
};
struct AckOut {
  uint64_t up_to = 0;
  uint32_t credit = 0;
};
struct OfferOut {
  SessionId session_id = 0;
  uint64_t attempt = 0;
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  std::string queue;
  ContactAttributes attributes;
  uint32_t timeout_ms = 0;
  uint32_t waited_ms = 0;
  int32_t priority = 0;
  std::string transferred_from;  // agent or queue, for a transfer
  std::string intent;
  std::string summary;
  bool follow_up = false;
};
// An offer the agent must no longer answer. Not acknowledged.
struct OfferWithdrawnOut {
  SessionId session_id = 0;
  uint64_t attempt = 0;
  WithdrawReason reason = WithdrawReason::kExpired;
};
struct PresenceChangedOut {
  PresenceState state = PresenceState::kAvailable;
  std::string reason;
};
// A contact's place in its queue, for its adapter. Not acknowledged.
struct PositionOut {
  SessionId session_id = 0;
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  uint32_t position = 0;  // 1: next; 0: not waiting (offered or answered)
  uint32_t expected_wait_ms = 0;
};
// A contact left its queue for a fallback queue or leave-a-message. Not acknowledged.
struct OverflowedOut {
  SessionId session_id = 0;
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  std::string to_queue;
  bool leave_message = false;
  std::string reason;
};

// A delivery is held once, by the client's outbox and by every Outgoing that sends it (the
// first send and any re-send): its text is not copied per send.
using SharedDelivery = std::shared_ptr<const Delivery>;

struct Outgoing {
  std::string client_id;
  std::variant<WelcomeOut, ErrorOut, AckOut, OfferOut, SharedDelivery, OfferWithdrawnOut,
               PresenceChangedOut, PositionOut, OverflowedOut>
      body;
};

struct TurnOutput {
  Mutations mutations;
  std::vector<Outgoing> outgoing;  // in the order they must be sent, per client
  // Sessions whose stored transcript the engine must read and hand to LoadBacklog at the
  // start of the next turn (after this turn's commit, so the store has every entry).
  std::vector<SessionId> load_transcripts;
  // What happened to contacts this turn, for the metrics (counted after the commit).
  std::vector<ContactEvent> events;

  void Clear() {
    mutations.Clear();
    outgoing.clear();
    load_transcripts.clear();
    events.clear();
  }
};

enum class Admission { kApply, kDuplicate, kRejected };

class BrokerCore {
 public:
  explicit BrokerCore(CoreConfig config);
  ~BrokerCore();
  BrokerCore(const BrokerCore&) = delete;
  BrokerCore& operator=(const BrokerCore&) = delete;

  // Loads what the store recovered. Call once, before any event. Offered sessions come
  // back queued in their old place; agents are offline until they say Hello.
  void Restore(RecoveredState state, TimePoint now);

  // --- Events. `seq` is the envelope's sequence number. ---

  // A client says who it is. Queues a Welcome and re-sends its unacknowledged deliveries;
  // on failure (kBadRequest) queues nothing: the engine answers the unbound connection.
  // A Hello for a client id that is connected replaces that connection.
  Status OnHello(const HelloIn& hello, TimePoint now);
  // A client went away (its connection was replaced, or it fell silent): its offers are
  // withdrawn; a worker's sessions stay with it.
  void OnDisconnect(const std::string& client_id, TimePoint now);
  // Any frame from a signed-in client: keeps it alive.
  void OnActivity(const std::string& client_id, TimePoint now);

  // Starts an acknowledged envelope from a signed-in client. kDuplicate: this (client,
  // epoch) already processed `seq` (a re-send; skip it, it is acknowledged again).
  // kRejected: seq 0 or a seq that skips ahead (kBadRequest queued, nothing recorded).
  // kApply: the caller must dispatch the body to exactly one On* handler below (or Reject);
  // the seq then counts as processed whatever the handler returns.
  Admission BeginEnvelope(const std::string& client_id, uint64_t seq);

  Status OnCustomerMessage(const std::string& client_id, uint64_t seq,
                           CustomerMessageIn msg, TimePoint now);
  Status OnAccept(const std::string& client_id, uint64_t seq, SessionId session,
                  uint64_t attempt, TimePoint now);
  Status OnReject(const std::string& client_id, uint64_t seq, SessionId session,
                  uint64_t attempt, TimePoint now);
  Status OnAgentMessage(const std::string& client_id, uint64_t seq, SessionId session,
                        const std::string& text, TimePoint now);
  Status OnClose(const std::string& client_id, uint64_t seq, SessionId session,
                 Disposition disposition, TimePoint now);
  // An adapter reports the customer's CSAT rating (1-5) of a session that is open or among
  // the last config.rating_memory closed ones; one rating per session. Fails with
  // kBadRequest (out of range, already rated), kUnknownSession, kWrongRole. Emits kRating.
  Status OnRating(const std::string& client_id, uint64_t seq, SessionId session, int rating,
                  TimePoint now);
  // A service reports `count` orders of a tenant (contacts per order). Fails with
  // kBadRequest (no tenant, count 0 or over kMaxOrderCount, ids too long), kWrongRole.
  // Emits kOrder.
  Status OnOrder(const std::string& client_id, uint64_t seq, const std::string& tenant,
                 const std::string& order_id, uint32_t count, TimePoint now);
  static constexpr uint32_t kMaxOrderCount = 1'000'000;

  // --- Routing. Role checks as above (kWrongRole); fields were checked for shape by the
  // protocol layer. ---

  // A worker's new profile (group, skills, capacity, tier, budget, ...); its load and its
  // sessions stay. More capacity may bring offers at once.
  Status OnAgentUpdate(const std::string& client_id, uint64_t seq, const AgentUpdateIn& update,
                       TimePoint now);
  // The customer left. A waiting (or offered) contact leaves its queue and the session closes
  // as abandoned (an open offer is withdrawn: OfferWithdrawn to its agent); an active session
  // closes as abandoned and its agent is told with a Closed delivery. The adapter gets the
  // Closed delivery of every close. kUnknownSession if the customer has no open session.
  Status OnCustomerLeft(const std::string& client_id, uint64_t seq, const CustomerLeftIn& left,
                        TimePoint now);
  // Answers a Position to the adapter: the contact's place in its queue (0 once offered or
  // answered) and the expected wait. kUnknownSession if the customer has no open session.
  Status OnPositionRequest(const std::string& client_id, uint64_t seq,
                           const PositionRequestIn& request, TimePoint now);
  // Not supported by this core yet: each answers kBadRequest after the role check (the
  // routing engine implements them).
  Status OnPresence(const std::string& client_id, uint64_t seq, const PresenceIn& presence,
                    TimePoint now);
  Status OnReady(const std::string& client_id, uint64_t seq, const ReadyIn& ready, TimePoint now);
  Status OnTransfer(const std::string& client_id, uint64_t seq, const TransferIn& transfer,
                    TimePoint now);
  Status OnEscalate(const std::string& client_id, uint64_t seq, const EscalateIn& escalate,
                    TimePoint now);
  Status OnHandoff(const std::string& client_id, uint64_t seq, const HandoffIn& handoff,
                   TimePoint now);

  // A client acknowledges every delivery to it with id <= up_to.
  void OnDeliveryAck(const std::string& client_id, DeliveryId up_to);
  // Queues an error for a signed-in client for an envelope the engine could not decode; the
  // seq counts as processed (call after BeginEnvelope returned true).
  void Reject(const std::string& client_id, uint64_t seq, const Status& status);

  // Time passes: expires offers, drops silent clients, re-offers the sessions of workers
  // gone past their grace, re-sends deliveries unacknowledged for too long, dispatches.
  void OnTick(TimePoint now);

  // The stored transcript of a session the core asked for in TurnOutput::load_transcripts.
  // Merged by index with what the core already holds; ignored if the session was closed.
  void LoadBacklog(SessionId session, std::vector<TranscriptEntry> entries);

  // A new routing configuration (a reloaded file): every contact and agent stays; contacts
  // of a queue that is gone move to the default queue. kBadRequest (naming the line and
  // field) leaves the old one in force.
  Status Reconfigure(routing::RoutingConfig routing, TimePoint now);
  const routing::RoutingEngine& routing() const { return routing_; }

  // The broker is stopping: new contacts are refused with kShuttingDown (messages of open
  // sessions are still taken), and every connected client is told.
  void StartDrain();
  bool draining() const { return draining_; }

  // Ends a turn: moves pending session/mark/counter changes into output().mutations and
  // queues the acks of this turn's envelopes. The engine then commits and sends.
  TurnOutput& FinishTurn();
  TurnOutput& output() { return out_; }

  // --- Read-only views, for metrics and tests. ---
  size_t queue_depth() const;
  size_t sessions_open() const { return sessions_.size(); }
  size_t agents_signed_in() const;
  size_t clients_connected() const { return connected_; }
  size_t clients_connected(Role role) const {
    return connected_by_role_[static_cast<size_t>(role)];
  }
  // Deliveries sent again so far (after a Hello or the redelivery timeout).
  uint64_t redeliveries() const { return redeliveries_; }
  // True while adapters get no credit because the outbox is over max_outbox.
  bool credit_withheld() const { return credit_withheld_; }
  size_t outbox_size() const { return outbox_size_; }
  // The outbox plus the messages of waiting contacts: what --max-outbox bounds.
  size_t held_messages() const { return outbox_size_ + waiting_count_; }
  const Session* FindSession(SessionId id) const;
  std::optional<SessionId> FindOpenSession(const std::string& tenant, Channel channel,
                                           const std::string& customer_id) const;
  bool IsConnected(const std::string& client_id) const;

  // Queues with their waiting contacts: every queue that held a contact, and the default.
  struct QueueView {
    std::string queue;
    size_t waiting = 0;
    Micros oldest_wait = 0;  // the longest wait of its contacts; only if asked for
  };
  // With `oldest`, walks every waiting contact (use at most about once a second).
  std::vector<QueueView> Queues(TimePoint now, bool oldest) const;
  // Agents by group and state (docs/metrics.md, "Agents"). Walks every agent.
  struct AgentCounts {
    size_t available = 0;  // signed in, room on some channel
    size_t busy = 0;       // signed in, at capacity
    size_t away = 0;       // signed in, set away (by itself, or after missed offers)
    size_t offline = 0;    // not signed in, still holding sessions (its grace)
    size_t handling = 0;   // signed in with a session offered or held
  };
  std::map<std::string, AgentCounts> AgentsByGroup() const;
  // Earliest time OnTick has work to do (an offer expiring, a client to time out).
  TimePoint NextDeadline();
  const CoreConfig& config() const { return config_; }

 private:
  struct Client {
    Role role = Role::kAdapter;
    uint64_t epoch = 0;
    uint64_t processed_seq = 0;
    uint64_t acked_delivery = 0;  // see ClientMark::acked_delivery
    bool connected = false;
    TimePoint last_seen = 0;
    std::vector<Channel> channels;
    // Unacknowledged deliveries, in id order: appended as sent, dropped from the front by
    // the client's cumulative acks (a deque: no node per delivery).
    std::deque<SharedDelivery> outbox;
    TimePoint disconnected_at = 0;  // set while gone; cleared once its sessions moved on
    TimePoint outbox_progress = 0;  // last (re)send of the outbox or ack that shrank it
  };

  Client* SignedIn(const std::string& client_id, Role role, uint64_t seq, Status* error);
  Status Fail(const std::string& client_id, uint64_t seq, Code code, std::string reason);
  Result<Session*> OpenSession(const std::string& client_id, const CustomerMessageIn& msg, TimePoint now);
  TranscriptEntry& Append(Session& s, Party from, const std::string& agent_id, std::string text,
                          TimePoint now);
  void Deliver(const std::string& client_id, Delivery d, TimePoint now);
  void FlushAckedMarks();  // acked_marks_ into dirty_marks_: written this turn
  Delivery MakeDelivery(const Session& s, Delivery::Kind kind);
  void Enqueue(const Session& s);  // counts a waiting contact for its tenant
  void Dequeue(const Session& s);
  // Carries out what the routing engine decided (offers, withdrawn offers, overflows,
  // positions, presence) and takes its contact events. Called at the end of every event
  // that reached the engine.
  void ApplyRouting(TimePoint now);
  routing::ContactInfo ContactOf(const Session& s) const;
  static routing::AgentInfo AgentOf(const std::string& agent_id, const std::string& group,
                                    const std::vector<Skill>& skills,
                                    const std::vector<std::pair<Channel, uint16_t>>& capacity,
                                    const AgentProfileIn& profile);
  static routing::RoutingConfig RoutingOf(const CoreConfig& config);
  std::string GroupOf(const std::string& agent) const;
  // Closes an open session; its adapter gets a Closed delivery. An active one also frees its
  // agent's capacity (its wrap-up starts); a queued one leaves its queue. The routing engine
  // must already have let go of a queued one (Abandon, or an overflow).
  void CloseSession(Session& s, Disposition disposition, TimePoint now);
  // An answered session leaves its agent and waits again (a transfer, an escalation, a
  // hand-off, its worker gone past the grace): what the agent was still owed of it is
  // dropped, and the next agent gets the whole transcript (read back from the store).
  void BackToWaiting(Session& s, TimePoint now);
  // The open session of a customer named by its adapter (checked for the adapter role), or
  // queues the error and returns null.
  Session* CustomerSession(const std::string& client_id, uint64_t seq, const std::string& tenant,
                           Channel channel, const std::string& customer_id, Status* error);
  // An agent moved its session on (transfer, escalation, hand-off) and the engine took it:
  // it waits again, and the next agent's offer names `handover`.
  struct Handover;
  void MovedOn(Session& s, Handover handover, TimePoint now);
  // Finds a session the worker holds (checked for the worker role), or queues the error and
  // returns null.
  Session* Held(const std::string& client_id, uint64_t seq, SessionId id, Status* error);
  void ReleaseSessions(const std::string& agent_id, TimePoint now);
  void ResendOutbox(const std::string& client_id, Client& c, TimePoint now);
  uint32_t ExpectedWaitMs(uint32_t position) const;
  uint32_t CreditFor(const Client& c) const;
  static ErrorOut DrainNotice();
  void UpdateCredit();
  void MarkDirty(const Session& s) { dirty_sessions_.insert(s.id); }
  static std::string Key(const std::string& tenant, Channel channel, const std::string& customer);

  // --- Contact events for the metrics. ---
  // Appends an event with the session's labels and, for the kinds that name one (events.h),
  // its agent: s.agent_id, or `agent`.
  ContactEvent& Emit(ContactEvent::Kind kind, const Session& s);
  ContactEvent& Emit(ContactEvent::Kind kind, const Session& s, const std::string& agent);
  void OnContactOpened(const Session& s, TimePoint now);  // kOpened, kQueued, kRecontact
  void RememberClose(const Session& s, TimePoint now);
  static std::string TopicKey(const std::string& tenant, const std::string& customer,
                              const std::string& topic);

  // Per open session, in memory only: the response clocks, and whether it was rated.
  struct SessionStats {
    TimePoint first_customer_at = 0;  // valid with seen_customer
    TimePoint unanswered_since = 0;   // valid with pending
    bool seen_customer = false;       // a customer message arrived (or: recovered session)
    bool pending = false;             // customer messages not yet answered by the agent
    bool responded = false;           // the first response was observed (or is not wanted)
    bool rated = false;
  };
  // A closed session a Rating may still name.
  struct RateableClose {
    ContactEvent base;  // labels, agent and group at the close
    bool rated = false;
  };
  // A close remembered for re-contacts, by TopicKey.
  struct RecentClose {
    TimePoint closed_at = 0;
    Disposition disposition = Disposition::kResolved;
    uint64_t generation = 0;  // matches its entry in recent_close_order_
  };

  CoreConfig config_;
  routing::RoutingEngine routing_;
  Counters counters_;
  bool counters_dirty_ = false;

  std::unordered_map<SessionId, Session> sessions_;          // open sessions
  std::unordered_map<std::string, SessionId> open_by_key_;  // tenant/channel/customer -> id
  std::unordered_map<SessionId, std::vector<TranscriptEntry>> waiting_entries_;
  // Sessions moved on by an agent (transfer, escalation, hand-off) until the next agent
  // accepts: who moved it and the note for the next agent, both shown in the offer.
  struct Handover {
    std::string from;
    std::string note;
  };
  std::unordered_map<SessionId, Handover> handovers_;
  // The adapter that asked for a contact's position, for the answer of this turn.
  std::unordered_map<SessionId, std::string> position_asked_by_;
  std::unordered_map<std::string, Client> clients_;
  size_t outbox_size_ = 0;
  size_t waiting_count_ = 0;  // entries in waiting_entries_
  std::unordered_map<std::string, uint32_t> waiting_by_tenant_;  // contacts in queues
  size_t connected_ = 0;  // clients with connected set
  bool draining_ = false;
  bool credit_withheld_ = false;
  Micros mean_handle_time_ = 0;  // moving average of accept -> close, for Busy estimates
  std::array<size_t, 4> connected_by_role_{};  // connected clients by Role
  uint64_t redeliveries_ = 0;

  std::unordered_map<SessionId, SessionStats> session_stats_;  // open sessions only
  std::unordered_map<SessionId, RateableClose> rateable_;
  std::deque<SessionId> rateable_order_;  // oldest close first; bounded by rating_memory
  std::unordered_map<std::string, RecentClose> recent_closes_;
  // Every remembered close, oldest first; bounded by fcr_memory. An entry whose generation
  // no longer matches recent_closes_ (replaced by a later close, or used by a re-contact)
  // is stale and only waits its turn to be dropped.
  struct CloseOrder {
    uint64_t generation = 0;
    TimePoint closed_at = 0;
    std::string key;
  };
  std::deque<CloseOrder> recent_close_order_;
  uint64_t next_close_generation_ = 1;

  std::unordered_set<SessionId> dirty_sessions_;
  std::set<std::string> dirty_marks_;
  // Clients whose acked_delivery moved and is not written yet (CoreConfig::ack_mark_delay),
  // and since when the oldest of them waits.
  std::set<std::string> acked_marks_;
  TimePoint acked_marks_since_ = 0;
  std::set<std::string> to_ack_;
  TurnOutput out_;
};

}  // namespace switchboard::core
