// The values of the switchboard protocol as the client library shows them: channels,
// parties, dispositions, contact attributes, and the messages adapters and workers send
// and receive. They mirror schemas/wire.fbs field for field; enums are numbered alike, so a
// value a newer broker sends that this build does not know keeps its number (its name is
// then "unknown").
//
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::client {

enum class Channel : uint8_t { kIm = 0, kPhone = 1, kSocial = 2, kMerchant = 3, kProactive = 4 };
enum class Party : uint8_t { kCustomer = 0, kAgent = 1, kSystem = 2 };
enum class Disposition : uint8_t { kResolved = 0, kUnresolved = 1, kEscalated = 2, kAbandoned = 3 };
enum class Role : uint8_t { kAdapter = 0, kWorker = 1, kService = 2, kAdmin = 3 };

// Lower-case names ("im", "merchant", "resolved", "agent"); "unknown" for other values.
std::string_view ChannelName(Channel channel);
std::string_view PartyName(Party party);
std::string_view DispositionName(Disposition disposition);
std::string_view RoleName(Role role);
// The inverse of the names above, case-insensitive; nullopt for anything else.
std::optional<Channel> ParseChannel(std::string_view name);
std::optional<Disposition> ParseDisposition(std::string_view name);

// What routing knows of a contact. Every field is optional; empty means unknown.
struct ContactAttributes {
  std::string topic;  // the reason for the contact
  std::string product_category;
  std::string order_id;
  std::string order_state;
  std::string country;
  std::string language;
  std::string intent;  // a bot's guess of intent
  uint8_t vip_level = 0;

  bool operator==(const ContactAttributes&) const = default;
};

// A skill an agent has; a higher level is better (1..10 by convention).
struct Skill {
  std::string name;  // required
  uint8_t level = 1;

  bool operator==(const Skill&) const = default;
};

// How many sessions of one channel an agent can hold at once.
struct ChannelCapacity {
  Channel channel = Channel::kIm;
  uint16_t max_sessions = 1;

  bool operator==(const ChannelCapacity&) const = default;
};

// What one session of a channel costs of an agent's capacity budget (WorkerProfile::budget).
struct ChannelCost {
  Channel channel = Channel::kIm;
  uint32_t cost = 0;

  bool operator==(const ChannelCost&) const = default;
};

// A free key/value fact about an agent for routing rules (language=de). The key is required.
struct Attribute {
  std::string key;
  std::string value;

  bool operator==(const Attribute&) const = default;
};

// The most attributes a profile may have, and the highest tier.
constexpr size_t kMaxAttributes = 32;
constexpr uint8_t kMaxTier = 2;

// Everything routing knows of an agent, as Worker::UpdateProfile sends it (the whole profile
// at once). Strings (group, names, keys, values) have at most 256 bytes on a default broker.
struct WorkerProfile {
  std::string group;                      // agent group (pre-sale, post-sale, ...)
  std::vector<Skill> skills;              // names must not be empty
  std::vector<ChannelCapacity> capacity;  // hard cap per channel; empty: one IM session
  uint8_t tier = 1;                       // 1: first line; 2: second line (escalations)
  bool outsourced = false;                // kept away from sensitive contacts
  uint32_t budget = 0;                    // capacity budget over all channels; 0: default
  std::vector<ChannelCost> costs;         // per-channel costs; each channel at most once
  std::vector<Attribute> attributes;      // at most kMaxAttributes, keys not empty

  bool operator==(const WorkerProfile&) const = default;
};

// An agent's presence: offered contacts, or not (offline is a disconnect).
enum class Presence : uint8_t { kAvailable = 0, kAway = 1 };
// Why the broker took an offer back.
enum class WithdrawReason : uint8_t { kTakenByAnother = 0, kContactLeft = 1, kExpired = 2 };
// "available", "away"; "taken_by_another", "contact_left", "expired"; "unknown" otherwise.
std::string_view PresenceName(Presence presence);
std::string_view WithdrawReasonName(WithdrawReason reason);

// adapter -> broker: a customer's message. Opens a session if the customer has none open on
// that tenant and channel.
struct CustomerMessage {
  std::string tenant;  // required
  Channel channel = Channel::kIm;
  std::string customer_id;  // required
  std::string text;
  ContactAttributes attributes;
  int64_t sent_at_us =
      0;  // the channel's timestamp, microseconds since the Unix epoch (0: unknown)

  bool operator==(const CustomerMessage&) const = default;
};

// broker -> worker: a contact proposed to this agent; answer with Worker::Accept or Reject
// before timeout_ms passes. Offers are not acknowledged and not re-sent after a reconnect.
struct Offer {
  uint64_t session_id = 0;
  uint64_t attempt = 0;  // names this offer; an answer naming another attempt gets kStaleOffer
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  std::string queue;
  ContactAttributes attributes;
  uint32_t timeout_ms = 0;
  uint32_t waited_ms = 0;  // how long the contact has waited in the queue
  int32_t priority = 0;    // its priority in the queue (higher first); 0: normal
  std::string transferred_from;  // for a transfer: the agent or queue it came from
  std::string intent;            // from a bot's handoff: what the customer wants
  std::string summary;           // from a bot's handoff or a transfer's note
  bool follow_up = false;        // a follow-up task after an escalation, not a live customer

  bool operator==(const Offer&) const = default;
};

// broker -> worker: an offer is no longer open (do not answer it). Not acknowledged.
struct OfferWithdrawn {
  uint64_t session_id = 0;
  uint64_t attempt = 0;  // the offer's
  WithdrawReason reason = WithdrawReason::kExpired;

  bool operator==(const OfferWithdrawn&) const = default;
};

// broker -> worker: the broker changed the agent's presence (e.g. away after missed offers).
struct PresenceChanged {
  Presence state = Presence::kAvailable;
  std::string reason;

  bool operator==(const PresenceChanged&) const = default;
};

// broker -> adapter: a contact's place in its queue, answering Adapter::RequestPosition.
// Not acknowledged.
struct Position {
  uint64_t session_id = 0;
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  uint32_t position = 0;          // 1: next; 0: not waiting any more (offered or answered)
  uint32_t expected_wait_ms = 0;  // 0: the broker has no basis for an estimate yet

  bool operator==(const Position&) const = default;
};

// broker -> adapter: a contact left its queue for a fallback queue, or the customer is to
// leave a message. Not acknowledged.
struct Overflowed {
  uint64_t session_id = 0;
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  std::string to_queue;  // empty with leave_message
  bool leave_message = false;
  std::string reason;

  bool operator==(const Overflowed&) const = default;
};

// broker -> client: one transcript entry. A worker gets the customer messages of the
// sessions it holds (the whole transcript so far right after it accepts); an adapter gets
// agent replies and system notices to pass on to the customer. Acknowledge it with
// Client::Ack(delivery_id) once handled, or the broker sends it again after a reconnect.
struct Delivery {
  uint64_t session_id = 0;
  uint32_t index = 0;  // position in the session's transcript, from 0
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  Party from = Party::kCustomer;
  std::string agent_id;  // who wrote it, for from == kAgent
  std::string text;
  int64_t at_us = 0;         // when the broker stored it, microseconds since the Unix epoch
  uint64_t delivery_id = 0;  // broker-wide, increasing; what Client::Ack takes

  bool operator==(const Delivery&) const = default;
};

// broker -> adapter: a session was closed. Acknowledge like a Delivery.
struct SessionClosed {
  uint64_t session_id = 0;
  Disposition disposition = Disposition::kResolved;
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  uint64_t delivery_id = 0;

  bool operator==(const SessionClosed&) const = default;
};

}  // namespace switchboard::client
