// RoutingEngine: which agent gets which contact, and when. A pure state machine in virtual
// time: events and `now` go in (method calls), actions come out (TakeActions, TakeEvents).
//
// Model.
//  - A contact (one session, keyed by its SessionId) arrives; the first routing rule whose
//    condition matches its attributes gives its queue, priority and required skills (else the
//    default queue, priority 0, no skills). A queue with a bot_queue sends it there first.
//  - A contact waits in one step of its queue at a time. A step's pool is an expression over
//    agent attributes; with the rule's skills and the queue's restricted flag it decides which
//    agents may take the contact. A contact moves to the next step when its step expires, or
//    at once when the step's pool has nobody signed in. Past max_wait it goes to the queue's
//    fallback (another queue, or leave-a-message: it ends, overflowed).
//  - Agents have attributes ("skill.<name>" -> level, "group", "tier", "outsourced", "bot"),
//    a capacity budget with a cost per channel and optional hard caps per channel. An offer
//    reserves capacity; an agent is never above its budget or a cap. Presence is available,
//    away or offline; wrap-up after a close blocks new offers on every queue the agent serves.
//  - Dispatch happens within every call, the moment capacity frees or a contact starts waiting:
//    no contact waits while an agent that may take it has room (an agent that rejected or
//    missed an offer of a contact is not offered it again for the queue's offer_timeout, or
//    until the contact changes step or queue).
//    An agent with room takes the best contact among all it may take: aged contacts (waiting
//    longer than their queue's aging_bound) first, oldest first; then higher priority; then
//    oldest (arrival order). A contact with several agents free goes to the queue's
//    strategy's choice (longest idle, least occupied, round robin; sticky first for a
//    returning customer), to offer_to agents at once; an agent whose capacity frees is
//    offered the contact it picked alone.
//  - Bot queues (named by another queue's bot_queue) count no kQueued or kAnswered events:
//    those are for human queues. Other events: kAbandoned, kOverflowed, kOfferMissed,
//    kTransferred (a transfer, an escalation, a bot handoff), labelled with the queue left.
//  - Every offer has an attempt id. Accept and Reject must name it; an attempt that expired,
//    was withdrawn or already answered gets kStaleOffer and changes nothing.
//
// Complexity: pools are evaluated per agent when it signs in or changes, not per decision.
// Each (pool, channel) "lane" keeps its agents with room in strategy order and its waiting
// contacts in (aged, priority, arrival) order; a decision looks at the heads of the lanes the
// agent or contact belongs to.
//
// Time: every call takes `now` (microseconds, non-decreasing). Tick(now) fires what is due;
// NextDeadline() says when the next thing is due.
//
// Thread rules: not thread-safe; one owner (the broker's loop).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "core/events.h"
#include "core/model.h"
#include "core/routing/config.h"
#include "core/routing/expr.h"

namespace switchboard::core::routing {

enum class Presence : uint8_t { kAvailable, kAway, kOffline };
// What an AgentPresence action reports: presence, or wrap-up while available.
enum class AgentState : uint8_t { kAvailable, kAway, kOffline, kWrapUp };
std::string_view AgentStateName(AgentState state);

struct AgentInfo {
  std::string id;
  std::string group;
  int64_t tier = 1;         // 1 or 2
  bool outsourced = false;  // never offered contacts of restricted queues
  bool bot = false;         // a bot worker (attribute "bot" = 1), for bot queues' pools
  std::vector<std::pair<std::string, int64_t>> skills;  // name -> level ("skill.<name>")
  uint32_t budget = 0;                      // 0: the config's default_budget
  std::array<uint32_t, kChannelCount> cost{};  // per channel; 0: the config's channel_cost
  std::array<uint32_t, kChannelCount> cap{};   // sessions per channel; 0: no hard cap
  // Free attributes (language = "de", site = "berlin", ...): string values that pools read as
  // agent.<key>. A key that names one of the attributes above (id, group, tier, outsourced,
  // bot, skill.*) is ignored.
  std::vector<std::pair<std::string, std::string>> attributes;
};

struct ContactInfo {
  SessionId id = 0;
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  // topic, product_category, order_state, country, language, intent, vip_level ... The
  // engine adds "tenant" and "channel" (its name) when they are missing.
  Attributes attributes;
  // A returning customer: the agent who served them last and when (for sticky queues).
  std::string last_agent;
  TimePoint last_served_at = 0;
};

// --- Actions: what the caller must do or tell. ---

// Propose `contact` to `agent`; the agent answers with Accept/Reject naming `attempt`.
struct OfferAction {
  SessionId contact = 0;
  std::string agent;
  uint64_t attempt = 0;
  std::string queue;
  Micros timeout = 0;  // the offer expires after this
  Micros waited = 0;   // how long the contact has waited in its queue
};
// An offer is void: another agent accepted first, the contact left or timed out elsewhere.
struct OfferWithdrawn {
  SessionId contact = 0;
  std::string agent;
  uint64_t attempt = 0;
};
// The contact left its queue past max_wait: to `queue`, or (leave_message) it ended and the
// adapter should offer the customer to leave a message.
struct Overflowed {
  SessionId contact = 0;
  std::string from_queue;
  std::string queue;  // empty with leave_message
  bool leave_message = false;
};
// A waiting contact's place: 1 is next. expected_wait is an estimate (0: unknown).
struct PositionUpdate {
  SessionId contact = 0;
  uint32_t position = 0;
  Micros expected_wait = 0;
};
// The engine changed an agent's state (away after missed offers, wrap-up start/end).
struct AgentPresence {
  std::string agent;
  AgentState state = AgentState::kAvailable;
  std::string reason;
};
using Action = std::variant<OfferAction, OfferWithdrawn, Overflowed, PositionUpdate, AgentPresence>;

enum class ContactState : uint8_t { kWaiting, kOffered, kActive };

// Read-only views for checks, admin and tests (copies; not for the hot path).
struct ContactView {
  SessionId id = 0;
  ContactState state = ContactState::kWaiting;
  std::string queue;
  int step = 0;              // -1: waiting for one named agent (direct transfer)
  std::string direct_agent;  // with step -1
  Channel channel = Channel::kIm;
  int priority = 0;
  uint64_t seq = 0;  // arrival order in its queue
  TimePoint enqueued_at = 0;
  bool aged = false;
  bool follow_up = false;  // an escalated contact waiting for or held by tier 2
  std::vector<std::pair<std::string, int64_t>> requirements;  // attribute -> minimum
  Attributes attributes;
  std::string summary;  // from a bot handoff
  uint64_t attempt = 0;
  std::vector<std::string> offered_to;  // kOffered
  std::string agent;                    // kActive
  std::vector<std::string> excluded;    // rejected or missed it; not offered it again
};
struct AgentView {
  std::string id;
  std::string group;
  bool signed_in = false;
  bool has_room = false;  // may be offered a contact now, on some channel
  Presence presence = Presence::kOffline;
  bool wrap_up = false;
  Attributes attributes;
  uint32_t budget = 0;
  uint32_t used = 0;
  std::array<uint32_t, kChannelCount> cost{};
  std::array<uint32_t, kChannelCount> cap{};
  std::array<uint32_t, kChannelCount> count{};
  uint32_t missed_in_row = 0;
};

struct Placement {
  std::string queue;
  int priority = 0;
  bool rejoined = false;  // got its old place back
};

class RoutingEngine {
 public:
  // `config` must have passed Validate() (checked again; an invalid config aborts).
  explicit RoutingEngine(RoutingConfig config);
  ~RoutingEngine();
  RoutingEngine(const RoutingEngine&) = delete;
  RoutingEngine& operator=(const RoutingEngine&) = delete;

  // Replaces the configuration without dropping any contact or agent. Contacts keep their
  // queue (a removed queue: the default queue, first step), step (clamped to the new step
  // count), priority and arrival order; offers in flight stay valid. kBadRequest from
  // Validate() leaves everything as it was.
  Status Reconfigure(RoutingConfig config, TimePoint now);
  const RoutingConfig& config() const;

  // --- Agents ---
  // Signs the agent in (available) or, when signed in, updates it as UpdateAgent does.
  // kBadRequest on an empty id.
  Status SignIn(const AgentInfo& info, TimePoint now);
  // New skills, group, tier, capacity while signed in; sessions held stay, even if now above
  // a lowered budget (it then gets no offers until back under). kNotSignedIn if unknown.
  Status UpdateAgent(const AgentInfo& info, TimePoint now);
  // Pending offers to an agent going offline are withdrawn (the contacts wait again).
  Status SetPresence(std::string_view agent, Presence presence, TimePoint now);
  // Ends a wrap-up (timed or until-ready). Ok if not in wrap-up.
  Status Ready(std::string_view agent, TimePoint now);
  // Offline, and forgotten once it holds no session. Held contacts stay with it until Closed
  // or Requeued.
  Status SignOut(std::string_view agent, TimePoint now);

  // --- Contacts ---
  // kBadRequest: id 0 or already known. kBusy: the queue holds max_size waiting contacts.
  Result<Placement> Arrive(const ContactInfo& info, TimePoint now);
  // kUnknownSession; kStaleOffer when `attempt` is not this agent's pending offer.
  Status Accept(SessionId contact, std::string_view agent, uint64_t attempt, TimePoint now);
  Status Reject(SessionId contact, std::string_view agent, uint64_t attempt, TimePoint now);
  // The customer left before an answer (waiting or offered). kBadRequest when answered.
  Status Abandon(SessionId contact, TimePoint now);
  // The agent closed the contact: capacity frees, wrap-up starts. kBadRequest if not answered.
  Status Close(SessionId contact, TimePoint now);
  // An answered or offered contact goes back to waiting in its old place (a worker gone).
  Status Requeue(SessionId contact, TimePoint now);
  // To another queue (a new contact there: new arrival order, first step, no rule skills,
  // same priority). Waiting, offered or answered. kBadRequest for an unknown queue; kBusy
  // when it is full.
  Status TransferToQueue(SessionId contact, std::string_view queue, TimePoint now);
  // To one named, signed-in agent (kNotSignedIn otherwise; kBadRequest if the contact's
  // queue is restricted and the agent outsourced, or its budget is below the channel's cost).
  // It waits for that agent only; if the
  // agent signs out it goes back to its queue's first step.
  Status TransferToAgent(SessionId contact, std::string_view agent, TimePoint now);
  // Tier 1 -> tier 2: the answered contact leaves its agent and waits in its queue for an
  // agent with tier >= 2 (a follow-up task: the tier-2 agent calls back); it stays open until
  // Closed.
  Status Escalate(SessionId contact, TimePoint now);
  // A bot hands an answered contact to a human queue (empty: the routing rules, with the new
  // intent, ignoring bot queues). Sets attribute "intent" and keeps `summary`.
  Status Handoff(SessionId contact, std::string_view queue, std::string_view intent,
                 std::string_view summary, TimePoint now);
  // Recovery: a contact an agent had answered before a restart comes back held by that agent
  // (known or not; an unknown agent is kept offline, holding it, until it signs in), in
  // `queue` (the default queue if there is none of that name). No events, no dispatch.
  // kBadRequest: id 0, already known, or no agent.
  Status Adopt(const ContactInfo& info, std::string_view queue, std::string_view agent,
               TimePoint answered_at, TimePoint now);
  // Offer attempt ids from here on (at least `first`): a restarted broker starts above any id
  // a previous run could have used, so no old answer matches a new offer.
  void StartAttemptsAt(uint64_t first);
  // Emits a PositionUpdate for a waiting contact. kBadRequest when it is not waiting.
  Status PositionRequest(SessionId contact, TimePoint now);

  // --- Time ---
  // Fires everything due up to `now`, each at its own time, in time order.
  void Tick(TimePoint now);
  // The earliest time something is due; nullopt if nothing is.
  std::optional<TimePoint> NextDeadline();

  // --- Output ---
  std::vector<Action> TakeActions();
  std::vector<ContactEvent> TakeEvents();

  // --- Introspection ---
  size_t waiting() const;                      // waiting or offered contacts, all queues
  size_t waiting(std::string_view queue) const;
  size_t contacts() const;                     // every open contact
  size_t signed_in() const;
  uint64_t repairs() const;  // what reconciliation repaired so far (should stay 0)
  uint64_t decisions() const;  // contact-to-agent choices made (offers, counting multi-offers once)
  std::optional<ContactView> Contact(SessionId contact) const;
  // Cheap reads for every offer and close (no copy of the whole view).
  struct OfferFacts {
    ContactState state = ContactState::kWaiting;
    int priority = 0;
    bool follow_up = false;
    std::string_view summary;  // valid until the next call that changes the engine
  };
  std::optional<OfferFacts> Facts(SessionId contact) const;
  std::string_view GroupOf(std::string_view agent) const;  // "" for an unknown agent
  std::optional<AgentView> Agent(std::string_view agent) const;
  std::vector<ContactView> Contacts() const;
  std::vector<AgentView> Agents() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace switchboard::core::routing
