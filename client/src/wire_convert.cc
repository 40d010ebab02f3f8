#include "wire_convert.h"

#include <type_traits>

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
        } else {
          event.session_id = r.session_id;
          if constexpr (std::is_same_v<T, AcceptRequest>) {
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
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::Skill>>> skills = 0;
  if (!hello.skills.empty()) {
    std::vector<flatbuffers::Offset<wire::Skill>> v;
    v.reserve(hello.skills.size());
    for (const Skill& s : hello.skills) {
      v.push_back(wire::CreateSkill(fbb, fbb.CreateString(s.name), s.level));
    }
    skills = fbb.CreateVector(v);
  }
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::ChannelCapacity>>> capacity = 0;
  if (!hello.capacity.empty()) {
    std::vector<flatbuffers::Offset<wire::ChannelCapacity>> v;
    v.reserve(hello.capacity.size());
    for (const ChannelCapacity& c : hello.capacity) {
      v.push_back(
          wire::CreateChannelCapacity(fbb, static_cast<wire::Channel>(c.channel), c.max_sessions));
    }
    capacity = fbb.CreateVector(v);
  }
  auto body = wire::CreateHello(fbb, static_cast<wire::Role>(hello.role), client_id, epoch,
                                channels, tenants, group, skills, capacity, heartbeat_ms);
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
