// The plain data of switchboard: sessions, transcript entries, deliveries, client marks.
//
// These are values shared by the core (which decides), the store (which persists them) and
// the engine (which puts them on the wire). No behaviour lives here. Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace switchboard::core {

using SessionId = uint64_t;
using DeliveryId = uint64_t;

// Numbered as wire::Channel etc. in schemas/wire.fbs (checked in src/protocol).
enum class Channel : uint8_t { kIm = 0, kPhone = 1, kSocial = 2, kMerchant = 3, kProactive = 4 };
constexpr int kChannelCount = 5;
enum class Role : uint8_t { kAdapter = 0, kWorker = 1, kService = 2, kAdmin = 3 };
enum class Party : uint8_t { kCustomer = 0, kAgent = 1, kSystem = 2 };
enum class Disposition : uint8_t { kResolved = 0, kUnresolved = 1, kEscalated = 2, kAbandoned = 3 };

std::string_view ChannelName(Channel channel);  // "im", "phone", ...
std::string_view RoleName(Role role);
std::string_view DispositionName(Disposition disposition);

// Where a session is in its life. Stored; numbering is part of the store format.
enum class SessionState : uint8_t {
  kQueued = 0,   // waiting in a queue for an agent
  kOffered = 1,  // proposed to one agent, waiting for accept/reject (never stored as such:
                 // recovery puts offered sessions back to queued)
  kActive = 2,   // held by an agent until closed
  kClosed = 3,
};

// What routing knows of a contact; empty strings are unknown.
struct ContactAttributes {
  std::string topic;
  std::string product_category;
  std::string order_id;
  std::string order_state;
  std::string country;
  std::string language;
  std::string intent;
  uint8_t vip_level = 0;

  bool operator==(const ContactAttributes&) const = default;
};

// One customer's conversation on one channel, from first message to close.
struct Session {
  SessionId id = 0;
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  ContactAttributes attributes;

  SessionState state = SessionState::kQueued;
  std::string queue;       // the queue it waits in or was answered from
  std::string agent_id;    // set when an agent accepted; kept until close
  std::string adapter_id;  // client id of the adapter that last carried a customer message
  uint32_t transcript_size = 0;  // number of transcript entries; the next index
  uint64_t queue_seq = 0;        // order of arrival in its queue (a contact number)
  Disposition disposition = Disposition::kResolved;  // meaningful once closed

  TimePoint created_at = 0;
  TimePoint enqueued_at = 0;
  TimePoint answered_at = 0;  // 0 until accepted
  TimePoint closed_at = 0;    // 0 until closed

  bool operator==(const Session&) const = default;
};

// One message of a session's transcript. (session_id, index) is unique; index counts from 0
// in the order the broker stored the messages.
struct TranscriptEntry {
  SessionId session_id = 0;
  uint32_t index = 0;
  Party from = Party::kCustomer;
  std::string agent_id;  // for agent messages
  std::string text;
  TimePoint at = 0;

  bool operator==(const TranscriptEntry&) const = default;
};

// Something the broker owes a client and keeps until that client acknowledges it: a
// transcript entry to pass on (to a worker: customer messages; to an adapter: agent
// replies), or the notice that a session closed. Stored in the outbox until acked.
struct Delivery {
  enum class Kind : uint8_t { kMessage = 0, kClosed = 1 };

  DeliveryId id = 0;      // broker-wide, strictly increasing, never reused
  std::string client_id;  // the client it is for
  Kind kind = Kind::kMessage;
  SessionId session_id = 0;
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  TranscriptEntry entry;                              // kMessage
  Disposition disposition = Disposition::kResolved;  // kClosed

  bool operator==(const Delivery&) const = default;
};

// How far the broker has processed a client's messages: every seq <= processed_seq of this
// epoch is applied (or was answered with an error). Used to drop re-sent messages.
struct ClientMark {
  std::string client_id;
  uint64_t epoch = 0;
  uint64_t processed_seq = 0;
  // The highest delivery id this client acknowledged (its acks are cumulative): every
  // delivery to it with a lower or equal id is done. The outbox records below it are garbage
  // that the store skips at recovery and drops at flush or compaction, so an acknowledgement
  // costs one mark per client per turn instead of a delete per delivery.
  uint64_t acked_delivery = 0;

  bool operator==(const ClientMark&) const = default;
};

// Id counters that must never go backwards across restarts.
struct Counters {
  SessionId next_session_id = 1;
  DeliveryId next_delivery_id = 1;
  uint64_t next_queue_seq = 1;

  bool operator==(const Counters&) const = default;
};

// Contacts that entered `queue` in the hour starting at `hour` (microseconds since the Unix
// epoch, a multiple of an hour): added to the stored hourly count.
struct ArrivalCount {
  std::string queue;
  TimePoint hour = 0;
  uint64_t count = 0;

  bool operator==(const ArrivalCount&) const = default;
};

// A closed session picked for quality inspection (and maybe a re-check), indexed by close time.
struct QaFlag {
  SessionId session_id = 0;
  TimePoint closed_at = 0;
  bool recheck = false;

  bool operator==(const QaFlag&) const = default;
};

// Everything one loop turn changed, to be committed to the store in one write batch before
// anything of the turn is acknowledged or sent.
struct Mutations {
  std::vector<Session> sessions;          // upserts, closed sessions included
  std::vector<TranscriptEntry> entries;   // appends
  // New outbox entries. A message delivery whose entry belongs to its session carries the
  // entry's session id, index, party and time but not its text or agent id: the store names
  // the transcript entry (written in this batch or before) and reads it back at recovery.
  std::vector<Delivery> deliveries;
  std::vector<DeliveryId> delivered;      // outbox entries acknowledged: remove
  std::vector<ClientMark> marks;          // upserts
  std::optional<Counters> counters;       // set when any counter moved
  // Filled in by the engine from the above before the commit (engine/turn_records.h).
  std::vector<ArrivalCount> arrivals;     // added to the hourly arrival counts
  std::vector<QaFlag> qa_flags;           // closed sessions picked for inspection

  bool empty() const {
    return sessions.empty() && entries.empty() && deliveries.empty() && delivered.empty() &&
           marks.empty() && !counters.has_value() && arrivals.empty() && qa_flags.empty();
  }
  void Clear() {
    sessions.clear();
    entries.clear();
    deliveries.clear();
    delivered.clear();
    marks.clear();
    counters.reset();
    arrivals.clear();
    qa_flags.clear();
  }
};

// What the store gives back at start-up: the state needed to go on where it stopped.
struct RecoveredState {
  Counters counters;
  std::vector<Session> open_sessions;  // every session not closed
  // Transcripts of the open sessions that no agent has accepted yet (state queued), in
  // index order, so an agent who accepts later receives the whole conversation.
  std::vector<TranscriptEntry> waiting_entries;
  std::vector<Delivery> outbox;  // every unacknowledged delivery, in id order
  std::vector<ClientMark> marks;
  // Undelivered messages whose transcript entry retention had already removed (their client
  // stayed away longer than the retention period): not in `outbox`, reported at start-up.
  uint64_t deliveries_expired = 0;
};

}  // namespace switchboard::core
