#include "wire_convert.h"

#include <string>
#include <type_traits>
#include <utility>

namespace switchboard::client::internal {
namespace {

// The public enums travel by number: they must match schemas/wire.fbs.
static_assert(static_cast<int>(Channel::kProactive) == static_cast<int>(wire::Channel::Proactive));
static_assert(static_cast<int>(wire::Channel::MAX) == static_cast<int>(Channel::kProactive));
static_assert(static_cast<int>(Party::kSystem) == static_cast<int>(wire::Party::System));
static_assert(static_cast<int>(wire::Party::MAX) == static_cast<int>(Party::kSystem));
static_assert(static_cast<int>(Disposition::kAbandoned) ==
              static_cast<int>(wire::Disposition::Abandoned));
static_assert(static_cast<int>(wire::Disposition::MAX) ==
              static_cast<int>(Disposition::kAbandoned));
static_assert(static_cast<int>(Role::kAdmin) == static_cast<int>(wire::Role::Admin));
static_assert(static_cast<int>(Presence::kAway) == static_cast<int>(wire::PresenceState::Away));
static_assert(static_cast<int>(WithdrawReason::kExpired) ==
              static_cast<int>(wire::WithdrawReason::Expired));
static_assert(static_cast<int>(WithdrawReason::kContactLeft) ==
              static_cast<int>(wire::WithdrawReason::ContactLeft));
static_assert(static_cast<int>(wire::Role::MAX) == static_cast<int>(Role::kAdmin));
static_assert(static_cast<int>(ErrorCode::kBusy) == static_cast<int>(wire::ErrorCode::Busy));
static_assert(static_cast<int>(ErrorCode::kStaleOffer) ==
              static_cast<int>(wire::ErrorCode::StaleOffer));
static_assert(static_cast<int>(ErrorCode::kInternal) ==
              static_cast<int>(wire::ErrorCode::Internal));
static_assert(static_cast<int>(wire::ErrorCode::MAX) == static_cast<int>(ErrorCode::kInternal));

// Bytes a string adds: length prefix, terminator, alignment.
size_t StringBytes(const std::string& s) { return s.size() + 8; }

flatbuffers::Offset<flatbuffers::String> OptionalString(flatbuffers::FlatBufferBuilder& fbb,
                                                        const std::string& s) {
  return s.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(s);
}

std::string Str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

flatbuffers::Offset<wire::ContactAttributes> ToWire(flatbuffers::FlatBufferBuilder& fbb,
                                                    const ContactAttributes& a) {
  if (a == ContactAttributes()) {
    return 0;
  }
  return wire::CreateContactAttributes(
      fbb, OptionalString(fbb, a.topic), OptionalString(fbb, a.product_category),
      OptionalString(fbb, a.order_id), OptionalString(fbb, a.order_state),
      OptionalString(fbb, a.country), OptionalString(fbb, a.language), a.vip_level,
      OptionalString(fbb, a.intent));
}

bool KnownChannel(Channel c) {
  return static_cast<int>(c) <= static_cast<int>(Channel::kProactive);
}

using SkillsOffset = flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::Skill>>>;
using CapacityOffset =
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::ChannelCapacity>>>;
using CostsOffset =
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::ChannelCost>>>;
using AttributesOffset =
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::Attribute>>>;

SkillsOffset ToWire(flatbuffers::FlatBufferBuilder& fbb, const std::vector<Skill>& skills) {
  if (skills.empty()) {
    return 0;
  }
  std::vector<flatbuffers::Offset<wire::Skill>> v;
  v.reserve(skills.size());
  for (const Skill& s : skills) {
    v.push_back(wire::CreateSkill(fbb, fbb.CreateString(s.name), s.level));
  }
  return fbb.CreateVector(v);
}

CapacityOffset ToWire(flatbuffers::FlatBufferBuilder& fbb,
                      const std::vector<ChannelCapacity>& capacity) {
  if (capacity.empty()) {
    return 0;
  }
  std::vector<flatbuffers::Offset<wire::ChannelCapacity>> v;
  v.reserve(capacity.size());
  for (const ChannelCapacity& c : capacity) {
    v.push_back(
        wire::CreateChannelCapacity(fbb, static_cast<wire::Channel>(c.channel), c.max_sessions));
  }
  return fbb.CreateVector(v);
}

CostsOffset ToWire(flatbuffers::FlatBufferBuilder& fbb, const std::vector<ChannelCost>& costs) {
  if (costs.empty()) {
    return 0;
  }
  std::vector<flatbuffers::Offset<wire::ChannelCost>> v;
  v.reserve(costs.size());
  for (const ChannelCost& c : costs) {
    v.push_back(wire::CreateChannelCost(fbb, static_cast<wire::Channel>(c.channel), c.cost));
  }
  return fbb.CreateVector(v);
}

AttributesOffset ToWire(flatbuffers::FlatBufferBuilder& fbb,
                        const std::vector<Attribute>& attributes) {
  if (attributes.empty()) {
    return 0;
  }
  std::vector<flatbuffers::Offset<wire::Attribute>> v;
  v.reserve(attributes.size());
  for (const Attribute& a : attributes) {
    v.push_back(wire::CreateAttribute(fbb, fbb.CreateString(a.key), OptionalString(fbb, a.value)));
  }
  return fbb.CreateVector(v);
}

size_t ProfileBytes(const WorkerProfile& p) {
  size_t n = 128 + StringBytes(p.group) + 16 * p.capacity.size() + 16 * p.costs.size();
  for (const Skill& s : p.skills) {
    n += 32 + StringBytes(s.name);
  }
  for (const Attribute& a : p.attributes) {
    n += 32 + StringBytes(a.key) + StringBytes(a.value);
  }
  return n;
}

Status TooLarge(const char* what, size_t size, uint32_t max_text_bytes) {
  return Error{ErrorCode::kPayloadTooLarge, std::string(what) + " of " + std::to_string(size) +
                                                " bytes is over the broker's limit of " +
                                                std::to_string(max_text_bytes)};
}

Status Invalid(std::string reason) { return Error{ErrorCode::kInvalidArgument, std::move(reason)}; }

Status NeedSession(uint64_t session_id) {
  return session_id == 0 ? Invalid("session id 0 names no session") : Status::Ok();
}

Status NeedCustomer(const std::string& tenant, Channel channel, const std::string& customer_id) {
  if (tenant.empty() || customer_id.empty()) {
    return Invalid("a tenant and a customer_id are required");
  }
  if (!KnownChannel(channel)) {
    return Invalid("unknown channel " + std::to_string(static_cast<int>(channel)));
  }
  return Status::Ok();
}

size_t AttributeBytes(const ContactAttributes& a) {
  // The table, its vtable and its strings.
  return 96 + StringBytes(a.topic) + StringBytes(a.product_category) + StringBytes(a.order_id) +
         StringBytes(a.order_state) + StringBytes(a.country) + StringBytes(a.language) +
         StringBytes(a.intent);
}

}  // namespace

void Describe(const Request& request, ErrorEvent& event) {
  std::visit(
      [&event](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, CustomerMessage>) {
          event.request = RequestKind::kCustomerMessage;
          event.tenant = r.tenant;
          event.channel = r.channel;
          event.customer_id = r.customer_id;
        } else if constexpr (std::is_same_v<T, OrderRequest>) {
          event.request = RequestKind::kOrder;
          event.tenant = r.tenant;
        } else if constexpr (std::is_same_v<T, CustomerLeftRequest> ||
                             std::is_same_v<T, PositionQuery>) {
          event.request = std::is_same_v<T, CustomerLeftRequest> ? RequestKind::kCustomerLeft
                                                                 : RequestKind::kPositionRequest;
          event.tenant = r.tenant;
          event.channel = r.channel;
          event.customer_id = r.customer_id;
        } else if constexpr (std::is_same_v<T, ProfileRequest>) {
          event.request = RequestKind::kUpdateProfile;
        } else if constexpr (std::is_same_v<T, PresenceRequest>) {
          event.request = RequestKind::kPresence;
        } else {
          event.session_id = r.session_id;
          if constexpr (std::is_same_v<T, ReadyRequest>) {
            event.request = RequestKind::kReady;
          } else if constexpr (std::is_same_v<T, TransferRequest>) {
            event.request = RequestKind::kTransfer;
          } else if constexpr (std::is_same_v<T, EscalateRequest>) {
            event.request = RequestKind::kEscalate;
          } else if constexpr (std::is_same_v<T, HandoffRequest>) {
            event.request = RequestKind::kHandoff;
          } else if constexpr (std::is_same_v<T, AcceptRequest>) {
            event.request = RequestKind::kAccept;
          } else if constexpr (std::is_same_v<T, RejectRequest>) {
            event.request = RequestKind::kReject;
          } else if constexpr (std::is_same_v<T, ReplyRequest>) {
            event.request = RequestKind::kReply;
          } else if constexpr (std::is_same_v<T, RatingRequest>) {
            event.request = RequestKind::kRating;
          } else {
            static_assert(std::is_same_v<T, CloseRequest>);
            event.request = RequestKind::kClose;
          }
        }
      },
      request);
}

size_t EstimateBytes(const Request& request) {
  // Envelope table and vtable, body table and vtable, alignment: well under 128 bytes.
  constexpr size_t kFixed = 128;
  return std::visit(
      [](const auto& r) -> size_t {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, CustomerMessage>) {
          return kFixed + StringBytes(r.tenant) + StringBytes(r.customer_id) + StringBytes(r.text) +
                 AttributeBytes(r.attributes);
        } else if constexpr (std::is_same_v<T, RejectRequest>) {
          return kFixed + StringBytes(r.reason);
        } else if constexpr (std::is_same_v<T, ReplyRequest>) {
          return kFixed + StringBytes(r.text);
        } else if constexpr (std::is_same_v<T, OrderRequest>) {
          return kFixed + StringBytes(r.tenant) + StringBytes(r.order_id);
        } else if constexpr (std::is_same_v<T, ProfileRequest>) {
          return kFixed + ProfileBytes(r.profile);
        } else if constexpr (std::is_same_v<T, TransferRequest>) {
          return kFixed + StringBytes(r.to_queue) + StringBytes(r.to_agent) + StringBytes(r.note);
        } else if constexpr (std::is_same_v<T, EscalateRequest>) {
          return kFixed + StringBytes(r.note);
        } else if constexpr (std::is_same_v<T, HandoffRequest>) {
          return kFixed + StringBytes(r.to_queue) + StringBytes(r.intent) + StringBytes(r.summary);
        } else if constexpr (std::is_same_v<T, CustomerLeftRequest> ||
                             std::is_same_v<T, PositionQuery>) {
          return kFixed + StringBytes(r.tenant) + StringBytes(r.customer_id);
        } else {
          return kFixed;
        }
      },
      request);
}

void EncodeRequest(protocol::FrameBuilder& b, uint64_t seq, const Request& request) {
  auto& fbb = b.fbb();
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, CustomerMessage>) {
          auto tenant = fbb.CreateString(r.tenant);
          auto customer = fbb.CreateString(r.customer_id);
          auto text = fbb.CreateString(r.text);
          auto attributes = ToWire(fbb, r.attributes);
          auto body =
              wire::CreateCustomerMessage(fbb, tenant, static_cast<wire::Channel>(r.channel),
                                          customer, text, attributes, r.sent_at_us);
          b.Add(seq, wire::Body::CustomerMessage, body.Union());
        } else if constexpr (std::is_same_v<T, AcceptRequest>) {
          b.Add(seq, wire::Body::Accept, wire::CreateAccept(fbb, r.session_id, r.attempt).Union());
        } else if constexpr (std::is_same_v<T, RejectRequest>) {
          auto reason = OptionalString(fbb, r.reason);
          b.Add(seq, wire::Body::Reject,
                wire::CreateReject(fbb, r.session_id, r.attempt, reason).Union());
        } else if constexpr (std::is_same_v<T, ReplyRequest>) {
          auto text = fbb.CreateString(r.text);
          b.Add(seq, wire::Body::AgentMessage,
                wire::CreateAgentMessage(fbb, r.session_id, text).Union());
        } else if constexpr (std::is_same_v<T, RatingRequest>) {
          b.Add(seq, wire::Body::Rating,
                wire::CreateRating(fbb, r.session_id, static_cast<uint8_t>(r.rating)).Union());
        } else if constexpr (std::is_same_v<T, OrderRequest>) {
          auto tenant = fbb.CreateString(r.tenant);
          auto order_id = OptionalString(fbb, r.order_id);
          b.Add(seq, wire::Body::OrderReported,
                wire::CreateOrderReported(fbb, tenant, order_id, r.count, r.at_us).Union());
        } else if constexpr (std::is_same_v<T, ProfileRequest>) {
          const WorkerProfile& p = r.profile;
          auto group = OptionalString(fbb, p.group);
          auto skills = ToWire(fbb, p.skills);
          auto capacity = ToWire(fbb, p.capacity);
          auto costs = ToWire(fbb, p.costs);
          auto attributes = ToWire(fbb, p.attributes);
          b.Add(seq, wire::Body::AgentUpdate,
                wire::CreateAgentUpdate(fbb, group, skills, capacity, p.tier, p.outsourced,
                                        p.budget, costs, attributes)
                    .Union());
        } else if constexpr (std::is_same_v<T, PresenceRequest>) {
          b.Add(seq, wire::Body::Presence,
                wire::CreatePresence(fbb, static_cast<wire::PresenceState>(r.presence)).Union());
        } else if constexpr (std::is_same_v<T, ReadyRequest>) {
          b.Add(seq, wire::Body::Ready, wire::CreateReady(fbb, r.session_id).Union());
        } else if constexpr (std::is_same_v<T, TransferRequest>) {
          auto to_queue = OptionalString(fbb, r.to_queue);
          auto to_agent = OptionalString(fbb, r.to_agent);
          auto note = OptionalString(fbb, r.note);
          b.Add(seq, wire::Body::Transfer,
                wire::CreateTransfer(fbb, r.session_id, to_queue, to_agent, note).Union());
        } else if constexpr (std::is_same_v<T, EscalateRequest>) {
          auto note = OptionalString(fbb, r.note);
          b.Add(seq, wire::Body::Escalate, wire::CreateEscalate(fbb, r.session_id, note).Union());
        } else if constexpr (std::is_same_v<T, HandoffRequest>) {
          auto to_queue = fbb.CreateString(r.to_queue);
          auto intent = OptionalString(fbb, r.intent);
          auto summary = OptionalString(fbb, r.summary);
          b.Add(seq, wire::Body::Handoff,
                wire::CreateHandoff(fbb, r.session_id, to_queue, intent, summary).Union());
        } else if constexpr (std::is_same_v<T, CustomerLeftRequest>) {
          auto tenant = fbb.CreateString(r.tenant);
          auto customer = fbb.CreateString(r.customer_id);
          b.Add(
              seq, wire::Body::CustomerLeft,
              wire::CreateCustomerLeft(fbb, tenant, static_cast<wire::Channel>(r.channel), customer)
                  .Union());
        } else if constexpr (std::is_same_v<T, PositionQuery>) {
          auto tenant = fbb.CreateString(r.tenant);
          auto customer = fbb.CreateString(r.customer_id);
          b.Add(seq, wire::Body::PositionRequest,
                wire::CreatePositionRequest(fbb, tenant, static_cast<wire::Channel>(r.channel),
                                            customer)
                    .Union());
        } else {
          static_assert(std::is_same_v<T, CloseRequest>);
          b.Add(seq, wire::Body::Close,
                wire::CreateClose(fbb, r.session_id, static_cast<wire::Disposition>(r.disposition))
                    .Union());
        }
      },
      request);
}

void EncodeHello(protocol::FrameBuilder& b, const HelloFields& hello, uint64_t epoch,
                 uint32_t heartbeat_ms) {
  auto& fbb = b.fbb();
  auto client_id = fbb.CreateString(hello.client_id);
  flatbuffers::Offset<flatbuffers::Vector<wire::Channel>> channels = 0;
  if (!hello.channels.empty()) {
    std::vector<wire::Channel> v;
    v.reserve(hello.channels.size());
    for (Channel c : hello.channels) {
      v.push_back(static_cast<wire::Channel>(c));
    }
    channels = fbb.CreateVector(v);
  }
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> tenants = 0;
  if (!hello.tenants.empty()) {
    tenants = fbb.CreateVectorOfStrings(hello.tenants);
  }
  auto group = OptionalString(fbb, hello.group);
  auto skills = ToWire(fbb, hello.skills);
  auto capacity = ToWire(fbb, hello.capacity);
  auto costs = ToWire(fbb, hello.costs);
  auto attributes = ToWire(fbb, hello.attributes);
  auto body = wire::CreateHello(fbb, static_cast<wire::Role>(hello.role), client_id, epoch,
                                channels, tenants, group, skills, capacity, heartbeat_ms,
                                hello.tier, hello.outsourced, hello.budget, costs, attributes);
  b.Add(0, wire::Body::Hello, body.Union());
}

void EncodeAck(protocol::FrameBuilder& b, uint64_t up_to) {
  b.Add(0, wire::Body::Ack, wire::CreateAck(b.fbb(), up_to).Union());
}

void EncodeHeartbeat(protocol::FrameBuilder& b, int64_t at_us) {
  b.Add(0, wire::Body::Heartbeat, wire::CreateHeartbeat(b.fbb(), at_us).Union());
}

ContactAttributes FromWire(const wire::ContactAttributes* a) {
  ContactAttributes out;
  if (a == nullptr) {
    return out;
  }
  out.topic = Str(a->topic());
  out.product_category = Str(a->product_category());
  out.order_id = Str(a->order_id());
  out.order_state = Str(a->order_state());
  out.country = Str(a->country());
  out.language = Str(a->language());
  out.intent = Str(a->intent());
  out.vip_level = a->vip_level();
  return out;
}

Offer FromWire(const wire::Offer& o) {
  Offer out;
  out.session_id = o.session_id();
  out.attempt = o.attempt();
  out.tenant = Str(o.tenant());
  out.channel = static_cast<Channel>(o.channel());
  out.customer_id = Str(o.customer_id());
  out.queue = Str(o.queue());
  out.attributes = FromWire(o.attributes());
  out.timeout_ms = o.timeout_ms();
  out.waited_ms = o.waited_ms();
  out.priority = o.priority();
  out.transferred_from = Str(o.transferred_from());
  out.intent = Str(o.intent());
  out.summary = Str(o.summary());
  out.follow_up = o.follow_up();
  return out;
}

Delivery FromWire(const wire::Deliver& d, uint64_t delivery_id) {
  Delivery out;
  out.session_id = d.session_id();
  out.index = d.index();
  out.tenant = Str(d.tenant());
  out.channel = static_cast<Channel>(d.channel());
  out.customer_id = Str(d.customer_id());
  out.from = static_cast<Party>(d.from());
  out.agent_id = Str(d.agent_id());
  out.text = Str(d.text());
  out.at_us = d.at_us();
  out.delivery_id = delivery_id;
  return out;
}

SessionClosed FromWire(const wire::Close& c, uint64_t delivery_id) {
  SessionClosed out;
  out.session_id = c.session_id();
  out.disposition = static_cast<Disposition>(c.disposition());
  out.tenant = Str(c.tenant());
  out.channel = static_cast<Channel>(c.channel());
  out.customer_id = Str(c.customer_id());
  out.delivery_id = delivery_id;
  return out;
}

OfferWithdrawn FromWire(const wire::OfferWithdrawn& w) {
  return OfferWithdrawn{w.session_id(), w.attempt(), static_cast<WithdrawReason>(w.reason())};
}

PresenceChanged FromWire(const wire::PresenceChanged& p) {
  return PresenceChanged{static_cast<Presence>(p.state()), Str(p.reason())};
}

Position FromWire(const wire::Position& p) {
  Position out;
  out.session_id = p.session_id();
  out.tenant = Str(p.tenant());
  out.channel = static_cast<Channel>(p.channel());
  out.customer_id = Str(p.customer_id());
  out.position = p.position();
  out.expected_wait_ms = p.expected_wait_ms();
  return out;
}

Overflowed FromWire(const wire::Overflowed& o) {
  Overflowed out;
  out.session_id = o.session_id();
  out.tenant = Str(o.tenant());
  out.channel = static_cast<Channel>(o.channel());
  out.customer_id = Str(o.customer_id());
  out.to_queue = Str(o.to_queue());
  out.leave_message = o.leave_message();
  out.reason = Str(o.reason());
  return out;
}

Status CheckProfile(uint8_t tier, const std::vector<Skill>& skills,
                    const std::vector<ChannelCapacity>& capacity,
                    const std::vector<ChannelCost>& costs,
                    const std::vector<Attribute>& attributes) {
  if (tier > kMaxTier) {
    return Invalid("tier " + std::to_string(tier) + " is not 1 or 2");
  }
  for (const Skill& s : skills) {
    if (s.name.empty()) {
      return Invalid("a skill needs a name");
    }
  }
  for (const ChannelCapacity& c : capacity) {
    if (!KnownChannel(c.channel)) {
      return Invalid("unknown channel " + std::to_string(static_cast<int>(c.channel)));
    }
  }
  uint32_t seen = 0;
  for (const ChannelCost& c : costs) {
    if (!KnownChannel(c.channel)) {
      return Invalid("unknown channel " + std::to_string(static_cast<int>(c.channel)));
    }
    const uint32_t bit = 1u << static_cast<int>(c.channel);
    if ((seen & bit) != 0) {
      return Invalid("costs name channel '" + std::string(ChannelName(c.channel)) + "' twice");
    }
    seen |= bit;
  }
  if (attributes.size() > kMaxAttributes) {
    return Invalid("at most " + std::to_string(kMaxAttributes) + " attributes, not " +
                   std::to_string(attributes.size()));
  }
  for (const Attribute& a : attributes) {
    if (a.key.empty()) {
      return Invalid("an attribute needs a key");
    }
  }
  return Status::Ok();
}

Status CheckRequest(const Request& request, uint32_t max_text_bytes) {
  return std::visit(
      [max_text_bytes](const auto& r) -> Status {
        using T = std::decay_t<decltype(r)>;
        auto text = [max_text_bytes](const char* what, const std::string& t) -> Status {
          return t.size() > max_text_bytes ? TooLarge(what, t.size(), max_text_bytes)
                                           : Status::Ok();
        };
        if constexpr (std::is_same_v<T, CustomerMessage>) {
          if (Status st = NeedCustomer(r.tenant, r.channel, r.customer_id); !st.ok()) {
            return st;
          }
          return text("a text", r.text);
        } else if constexpr (std::is_same_v<T, CustomerLeftRequest> ||
                             std::is_same_v<T, PositionQuery>) {
          return NeedCustomer(r.tenant, r.channel, r.customer_id);
        } else if constexpr (std::is_same_v<T, ProfileRequest>) {
          const WorkerProfile& p = r.profile;
          return CheckProfile(p.tier, p.skills, p.capacity, p.costs, p.attributes);
        } else if constexpr (std::is_same_v<T, PresenceRequest>) {
          if (static_cast<int>(r.presence) > static_cast<int>(Presence::kAway)) {
            return Invalid("unknown presence " + std::to_string(static_cast<int>(r.presence)));
          }
          return Status::Ok();
        } else if constexpr (std::is_same_v<T, ReadyRequest>) {
          return Status::Ok();  // session id 0: every wrap-up
        } else if constexpr (std::is_same_v<T, OrderRequest>) {
          if (r.tenant.empty()) {
            return Invalid("an order report needs a tenant");
          }
          if (r.count == 0) {
            return Invalid("an order report counts at least 1 order");
          }
          return Status::Ok();
        } else {
          if (Status st = NeedSession(r.session_id); !st.ok()) {
            return st;
          }
          if constexpr (std::is_same_v<T, ReplyRequest>) {
            return text("a text", r.text);
          } else if constexpr (std::is_same_v<T, CloseRequest>) {
            if (static_cast<int>(r.disposition) > static_cast<int>(Disposition::kAbandoned)) {
              return Invalid("unknown disposition " +
                             std::to_string(static_cast<int>(r.disposition)));
            }
            return Status::Ok();
          } else if constexpr (std::is_same_v<T, TransferRequest>) {
            if (r.to_queue.empty() == r.to_agent.empty()) {
              return Invalid("a transfer names exactly one of to_queue and to_agent");
            }
            return text("a note", r.note);
          } else if constexpr (std::is_same_v<T, EscalateRequest>) {
            return text("a note", r.note);
          } else if constexpr (std::is_same_v<T, HandoffRequest>) {
            if (r.to_queue.empty()) {
              return Invalid("a handoff needs a to_queue");
            }
            return text("a summary", r.summary);
          } else if constexpr (std::is_same_v<T, RatingRequest>) {
            if (r.rating < 1 || r.rating > 5) {
              return Invalid("a rating is 1 to 5; got " + std::to_string(r.rating));
            }
            return Status::Ok();
          } else {
            return Status::Ok();  // Accept, Reject
          }
        }
      },
      request);
}

Error FromWire(const wire::Error& e) {
  Error out;
  out.code = FromWire(e.code());
  out.reason = Str(e.reason());
  out.ref_seq = e.ref_seq();
  out.position = e.position();
  out.expected_wait_ms = e.expected_wait_ms();
  if (out.code == ErrorCode::kOk) {
    // An Error envelope always reports a failure; keep that visible.
    out.code = ErrorCode::kInternal;
    out.reason = "the broker sent an Error with code Ok: " + out.reason;
  }
  return out;
}

}  // namespace switchboard::client::internal
