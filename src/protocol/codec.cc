#include "protocol/codec.h"

#include <string>
#include <type_traits>
#include <utility>

#include "protocol/convert.h"

namespace switchboard::protocol {

namespace {

Status Bad(std::string reason) { return Status(Code::kBadRequest, std::move(reason)); }

// Checks an optional string field against a byte limit.
Status Within(const flatbuffers::String* s, const char* field, uint32_t max_bytes,
              Code code = Code::kBadRequest) {
  if (s != nullptr && s->size() > max_bytes) {
    return Status(code, std::string(field) + " of " + std::to_string(s->size()) +
                            " bytes is over the limit of " + std::to_string(max_bytes));
  }
  return Status::Ok();
}

Status Required(const flatbuffers::String* s, const char* field, uint32_t max_bytes) {
  if (s == nullptr || s->size() == 0) {
    return Bad(std::string(field) + " is required");
  }
  return Within(s, field, max_bytes);
}

Status DecodeSkills(const flatbuffers::Vector<flatbuffers::Offset<wire::Skill>>* skills,
                    const DecodeLimits& limits, std::vector<core::Skill>& out) {
  if (skills == nullptr) {
    return Status::Ok();
  }
  if (skills->size() > core::kMaxSkills) {
    return Bad("at most " + std::to_string(core::kMaxSkills) + " skills, not " +
               std::to_string(skills->size()));
  }
  for (const auto* s : *skills) {
    if (Status st = Required(s->name(), "a skill's name", limits.max_id_bytes); !st.ok()) {
      return st;
    }
    out.push_back(core::Skill{Str(s->name()), s->level()});
  }
  return Status::Ok();
}

Status DecodeCapacity(
    const flatbuffers::Vector<flatbuffers::Offset<wire::ChannelCapacity>>* capacity,
    std::vector<std::pair<core::Channel, uint16_t>>& out) {
  if (capacity == nullptr) {
    return Status::Ok();
  }
  for (const auto* cap : *capacity) {
    auto c = FromWire(cap->channel());
    if (!c.ok()) {
      return c.status();
    }
    out.emplace_back(*c, cap->max_sessions());
  }
  return Status::Ok();
}

// The routing fields shared by Hello and AgentUpdate.
template <typename T>
Result<core::AgentProfileIn> DecodeProfile(const T& t, const DecodeLimits& limits) {
  core::AgentProfileIn out;
  if (t.tier() > core::kMaxTier) {
    return Bad("tier " + std::to_string(t.tier()) + " is not 0, 1 or 2");
  }
  out.tier = t.tier() == 0 ? 1 : t.tier();
  out.outsourced = t.outsourced();
  out.budget = t.budget();
  if (t.costs() != nullptr) {
    uint32_t seen = 0;  // bit per channel
    for (const auto* cost : *t.costs()) {
      auto c = FromWire(cost->channel());
      if (!c.ok()) {
        return c.status();
      }
      const uint32_t bit = 1u << static_cast<int>(*c);
      if ((seen & bit) != 0) {
        return Bad("costs name channel '" + std::string(core::ChannelName(*c)) + "' twice");
      }
      seen |= bit;
      out.costs.push_back(core::ChannelCost{*c, cost->cost()});
    }
  }
  if (t.attributes() != nullptr) {
    if (t.attributes()->size() > core::kMaxAgentAttributes) {
      return Bad("at most " + std::to_string(core::kMaxAgentAttributes) + " attributes, not " +
                 std::to_string(t.attributes()->size()));
    }
    for (const auto* a : *t.attributes()) {
      if (Status st = Required(a->key(), "an attribute's key", limits.max_id_bytes); !st.ok()) {
        return st;
      }
      if (Status st = Within(a->value(), "an attribute's value", limits.max_id_bytes); !st.ok()) {
        return st;
      }
      out.attributes.emplace_back(Str(a->key()), Str(a->value()));
    }
  }
  return out;
}

// The customer named by tenant, channel and customer_id.
template <typename T, typename Out>
Result<Out> DecodeCustomer(const T& t, const DecodeLimits& limits) {
  Out out;
  auto ch = FromWire(t.channel());
  if (!ch.ok()) {
    return ch.status();
  }
  if (Status st = Required(t.tenant(), "tenant", limits.max_id_bytes); !st.ok()) {
    return st;
  }
  if (Status st = Required(t.customer_id(), "customer_id", limits.max_id_bytes); !st.ok()) {
    return st;
  }
  out.channel = *ch;
  out.tenant = Str(t.tenant());
  out.customer_id = Str(t.customer_id());
  return out;
}

Status NeedSession(uint64_t session_id) {
  return session_id == 0 ? Bad("session_id is required") : Status::Ok();
}

}  // namespace

Result<core::HelloIn> Decode(const wire::Hello& hello, const DecodeLimits& limits) {
  core::HelloIn out;
  auto role = FromWire(hello.role());
  if (!role.ok()) {
    return role.status();
  }
  out.role = *role;
  out.client_id = Str(hello.client_id());
  out.epoch = hello.epoch();
  if (hello.channels() != nullptr) {
    for (auto ch : *hello.channels()) {
      auto c = FromWire(static_cast<wire::Channel>(ch));
      if (!c.ok()) {
        return c.status();
      }
      out.channels.push_back(*c);
    }
  }
  if (hello.tenants() != nullptr) {
    for (const auto* t : *hello.tenants()) {
      out.tenants.push_back(Str(t));
    }
  }
  if (Status st = Within(hello.group(), "group", limits.max_id_bytes); !st.ok()) {
    return st;
  }
  out.group = Str(hello.group());
  if (Status st = DecodeSkills(hello.skills(), limits, out.skills); !st.ok()) {
    return st;
  }
  if (Status st = DecodeCapacity(hello.capacity(), out.capacity); !st.ok()) {
    return st;
  }
  auto profile = DecodeProfile(hello, limits);
  if (!profile.ok()) {
    return profile.status();
  }
  out.profile = std::move(profile).value();
  return out;
}

Result<core::AgentUpdateIn> Decode(const wire::AgentUpdate& update, const DecodeLimits& limits) {
  core::AgentUpdateIn out;
  if (Status st = Within(update.group(), "group", limits.max_id_bytes); !st.ok()) {
    return st;
  }
  out.group = Str(update.group());
  if (Status st = DecodeSkills(update.skills(), limits, out.skills); !st.ok()) {
    return st;
  }
  if (Status st = DecodeCapacity(update.capacity(), out.capacity); !st.ok()) {
    return st;
  }
  auto profile = DecodeProfile(update, limits);
  if (!profile.ok()) {
    return profile.status();
  }
  out.profile = std::move(profile).value();
  return out;
}

Result<core::PresenceIn> Decode(const wire::Presence& presence, const DecodeLimits&) {
  auto state = FromWire(presence.state());
  if (!state.ok()) {
    return state.status();
  }
  return core::PresenceIn{*state};
}

Result<core::ReadyIn> Decode(const wire::Ready& ready, const DecodeLimits&) {
  return core::ReadyIn{ready.session_id()};
}

Result<core::TransferIn> Decode(const wire::Transfer& transfer, const DecodeLimits& limits) {
  if (Status st = NeedSession(transfer.session_id()); !st.ok()) {
    return st;
  }
  const bool to_queue = transfer.to_queue() != nullptr && transfer.to_queue()->size() > 0;
  const bool to_agent = transfer.to_agent() != nullptr && transfer.to_agent()->size() > 0;
  if (to_queue == to_agent) {
    return Bad("a transfer names exactly one of to_queue and to_agent");
  }
  for (Status st :
       {Within(transfer.to_queue(), "to_queue", limits.max_id_bytes),
        Within(transfer.to_agent(), "to_agent", limits.max_id_bytes),
        Within(transfer.note(), "note", limits.max_text_bytes, Code::kPayloadTooLarge)}) {
    if (!st.ok()) {
      return st;
    }
  }
  return core::TransferIn{transfer.session_id(), Str(transfer.to_queue()), Str(transfer.to_agent()),
                          Str(transfer.note())};
}

Result<core::EscalateIn> Decode(const wire::Escalate& escalate, const DecodeLimits& limits) {
  if (Status st = NeedSession(escalate.session_id()); !st.ok()) {
    return st;
  }
  if (Status st = Within(escalate.note(), "note", limits.max_text_bytes, Code::kPayloadTooLarge);
      !st.ok()) {
    return st;
  }
  return core::EscalateIn{escalate.session_id(), Str(escalate.note())};
}

Result<core::HandoffIn> Decode(const wire::Handoff& handoff, const DecodeLimits& limits) {
  if (Status st = NeedSession(handoff.session_id()); !st.ok()) {
    return st;
  }
  for (Status st :
       {Required(handoff.to_queue(), "to_queue", limits.max_id_bytes),
        Within(handoff.intent(), "intent", limits.max_id_bytes),
        Within(handoff.summary(), "summary", limits.max_text_bytes, Code::kPayloadTooLarge)}) {
    if (!st.ok()) {
      return st;
    }
  }
  return core::HandoffIn{handoff.session_id(), Str(handoff.to_queue()), Str(handoff.intent()),
                         Str(handoff.summary())};
}

Result<core::CustomerLeftIn> Decode(const wire::CustomerLeft& left, const DecodeLimits& limits) {
  return DecodeCustomer<wire::CustomerLeft, core::CustomerLeftIn>(left, limits);
}

Result<core::PositionRequestIn> Decode(const wire::PositionRequest& request,
                                       const DecodeLimits& limits) {
  return DecodeCustomer<wire::PositionRequest, core::PositionRequestIn>(request, limits);
}

Result<core::CustomerMessageIn> Decode(const wire::CustomerMessage& msg) {
  core::CustomerMessageIn out;
  auto ch = FromWire(msg.channel());
  if (!ch.ok()) {
    return ch.status();
  }
  out.channel = *ch;
  out.tenant = Str(msg.tenant());
  out.customer_id = Str(msg.customer_id());
  out.text = Str(msg.text());
  out.attributes = FromWire(msg.attributes());
  return out;
}

namespace {

flatbuffers::Offset<flatbuffers::String> S(flatbuffers::FlatBufferBuilder& fbb,
                                           const std::string& s) {
  return fbb.CreateString(s);
}

flatbuffers::Offset<flatbuffers::String> Opt(flatbuffers::FlatBufferBuilder& fbb,
                                             const std::string& s) {
  return s.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(s);
}

}  // namespace

void EncodeError(FrameBuilder& b, Code code, const std::string& reason, uint64_t ref_seq) {
  auto body = wire::CreateError(b.fbb(), ToWire(code), S(b.fbb(), reason), ref_seq);
  b.Add(0, wire::Body::Error, body.Union());
}

void EncodeHeartbeat(FrameBuilder& b, int64_t at_us) {
  b.Add(0, wire::Body::Heartbeat, wire::CreateHeartbeat(b.fbb(), at_us).Union());
}

void EncodeRoutingReloaded(FrameBuilder& b, uint64_t request_id) {
  b.Add(0, wire::Body::RoutingReloaded, wire::CreateRoutingReloaded(b.fbb(), request_id).Union());
}

void EncodeRequestError(FrameBuilder& b, uint64_t request_id, const Status& status) {
  auto e = wire::CreateError(b.fbb(), ToWire(status.code()), S(b.fbb(), status.message()), 0, 0, 0,
                             request_id);
  b.Add(0, wire::Body::Error, e.Union());
}

void Encode(FrameBuilder& b, const BrokerInfo& info,
            const decltype(core::Outgoing::body)& body) {
  auto& fbb = b.fbb();
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, core::WelcomeOut>) {
          auto w = wire::CreateWelcome(fbb, S(fbb, info.version), kProtocolVersion,
                                       m.processed_seq, info.heartbeat_ms, info.max_frame_bytes,
                                       info.max_text_bytes, m.credit);
          b.Add(0, wire::Body::Welcome, w.Union());
        } else if constexpr (std::is_same_v<T, core::ErrorOut>) {
          auto e = wire::CreateError(fbb, ToWire(m.code), S(fbb, m.reason), m.ref_seq,
                                     m.position, m.expected_wait_ms);
          b.Add(0, wire::Body::Error, e.Union());
        } else if constexpr (std::is_same_v<T, core::AckOut>) {
          b.Add(0, wire::Body::Ack, wire::CreateAck(fbb, m.up_to, m.credit).Union());
        } else if constexpr (std::is_same_v<T, core::OfferOut>) {
          auto o =
              wire::CreateOffer(fbb, m.session_id, m.attempt, S(fbb, m.tenant), ToWire(m.channel),
                                S(fbb, m.customer_id), S(fbb, m.queue), ToWire(fbb, m.attributes),
                                m.timeout_ms, m.waited_ms, m.priority, Opt(fbb, m.transferred_from),
                                Opt(fbb, m.intent), Opt(fbb, m.summary), m.follow_up);
          b.Add(0, wire::Body::Offer, o.Union());
        } else if constexpr (std::is_same_v<T, core::OfferWithdrawnOut>) {
          auto w = wire::CreateOfferWithdrawn(fbb, m.session_id, m.attempt, ToWire(m.reason));
          b.Add(0, wire::Body::OfferWithdrawn, w.Union());
        } else if constexpr (std::is_same_v<T, core::PresenceChangedOut>) {
          auto p = wire::CreatePresenceChanged(fbb, ToWire(m.state), Opt(fbb, m.reason));
          b.Add(0, wire::Body::PresenceChanged, p.Union());
        } else if constexpr (std::is_same_v<T, core::PositionOut>) {
          auto p = wire::CreatePosition(fbb, m.session_id, S(fbb, m.tenant), ToWire(m.channel),
                                        S(fbb, m.customer_id), m.position, m.expected_wait_ms);
          b.Add(0, wire::Body::Position, p.Union());
        } else if constexpr (std::is_same_v<T, core::OverflowedOut>) {
          auto o = wire::CreateOverflowed(fbb, m.session_id, S(fbb, m.tenant), ToWire(m.channel),
                                          S(fbb, m.customer_id), Opt(fbb, m.to_queue),
                                          m.leave_message, Opt(fbb, m.reason));
          b.Add(0, wire::Body::Overflowed, o.Union());
        } else if constexpr (std::is_same_v<T, core::SharedDelivery>) {
          const core::Delivery& d = *m;
          if (d.kind == core::Delivery::Kind::kClosed) {
            auto c = wire::CreateClose(fbb, d.session_id, ToWire(d.disposition), S(fbb, d.tenant),
                                       ToWire(d.channel), S(fbb, d.customer_id));
            b.Add(d.id, wire::Body::Close, c.Union());
          } else {
            const core::TranscriptEntry& e = d.entry;
            auto w = wire::CreateDeliver(fbb, d.session_id, e.index, S(fbb, d.tenant),
                                         ToWire(d.channel), S(fbb, d.customer_id),
                                         ToWire(e.from), S(fbb, e.agent_id), S(fbb, e.text),
                                         e.at);
            b.Add(d.id, wire::Body::Deliver, w.Union());
          }
        }
      },
      body);
}

}  // namespace switchboard::protocol
