#include "protocol/convert.h"

namespace switchboard::protocol {

Result<core::Channel> FromWire(wire::Channel c) {
  if (c > wire::Channel::MAX) {
    return Status(Code::kBadRequest, "unknown channel " + std::to_string(static_cast<int>(c)));
  }
  return static_cast<core::Channel>(c);
}

Result<core::Disposition> FromWire(wire::Disposition d) {
  if (d > wire::Disposition::MAX) {
    return Status(Code::kBadRequest,
                  "unknown disposition " + std::to_string(static_cast<int>(d)));
  }
  return static_cast<core::Disposition>(d);
}

Result<core::Role> FromWire(wire::Role r) {
  if (r > wire::Role::MAX) {
    return Status(Code::kBadRequest, "unknown role " + std::to_string(static_cast<int>(r)));
  }
  return static_cast<core::Role>(r);
}

Result<core::PresenceState> FromWire(wire::PresenceState p) {
  if (p > wire::PresenceState::MAX) {
    return Status(Code::kBadRequest,
                  "unknown presence state " + std::to_string(static_cast<int>(p)));
  }
  return static_cast<core::PresenceState>(p);
}

core::ContactAttributes FromWire(const wire::ContactAttributes* a) {
  core::ContactAttributes out;
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

flatbuffers::Offset<wire::ContactAttributes> ToWire(flatbuffers::FlatBufferBuilder& fbb,
                                                   const core::ContactAttributes& a) {
  auto opt = [&fbb](const std::string& s) {
    return s.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(s);
  };
  return wire::CreateContactAttributes(fbb, opt(a.topic), opt(a.product_category),
                                       opt(a.order_id), opt(a.order_state), opt(a.country),
                                       opt(a.language), a.vip_level, opt(a.intent));
}

}  // namespace switchboard::protocol
