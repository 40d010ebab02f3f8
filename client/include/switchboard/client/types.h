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

  bool operator==(const Offer&) const = default;
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
