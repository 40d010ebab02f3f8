#include "protocol/codec.h"

#include <type_traits>

#include "protocol/convert.h"

namespace switchboard::protocol {

Result<core::HelloIn> Decode(const wire::Hello& hello) {
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
  out.group = Str(hello.group());
  if (hello.skills() != nullptr) {
    for (const auto* s : *hello.skills()) {
      out.skills.push_back(core::Skill{Str(s->name()), s->level()});
    }
  }
  if (hello.capacity() != nullptr) {
    for (const auto* cap : *hello.capacity()) {
      auto c = FromWire(cap->channel());
      if (!c.ok()) {
        return c.status();
      }
      out.capacity.emplace_back(*c, cap->max_sessions());
    }
  }
  return out;
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

}  // namespace

void EncodeError(FrameBuilder& b, Code code, const std::string& reason, uint64_t ref_seq) {
  auto body = wire::CreateError(b.fbb(), ToWire(code), S(b.fbb(), reason), ref_seq);
  b.Add(0, wire::Body::Error, body.Union());
}

void EncodeHeartbeat(FrameBuilder& b, int64_t at_us) {
  b.Add(0, wire::Body::Heartbeat, wire::CreateHeartbeat(b.fbb(), at_us).Union());
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
          auto o = wire::CreateOffer(fbb, m.session_id, m.attempt, S(fbb, m.tenant),
                                     ToWire(m.channel), S(fbb, m.customer_id), S(fbb, m.queue),
                                     ToWire(fbb, m.attributes), m.timeout_ms, m.waited_ms);
          b.Add(0, wire::Body::Offer, o.Union());
        } else if constexpr (std::is_same_v<T, core::Delivery>) {
          if (m.kind == core::Delivery::Kind::kClosed) {
            auto c = wire::CreateClose(fbb, m.session_id, ToWire(m.disposition), S(fbb, m.tenant),
                                       ToWire(m.channel), S(fbb, m.customer_id));
            b.Add(m.id, wire::Body::Close, c.Union());
          } else {
            const core::TranscriptEntry& e = m.entry;
            auto d = wire::CreateDeliver(fbb, m.session_id, e.index, S(fbb, m.tenant),
                                         ToWire(m.channel), S(fbb, m.customer_id),
                                         ToWire(e.from), S(fbb, e.agent_id), S(fbb, e.text),
                                         e.at);
            b.Add(m.id, wire::Body::Deliver, d.Union());
          }
        }
      },
      body);
}

}  // namespace switchboard::protocol
