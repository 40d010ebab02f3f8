// Conversions between wire types (schemas/wire.fbs) and the core's plain types.
// The enums are numbered alike; this header checks it at compile time.
#pragma once

#include <string>

#include "common/status.h"
#include "core/model.h"
#include "core/requests.h"
#include "wire_generated.h"

namespace switchboard::protocol {

inline wire::ErrorCode ToWire(Code code) { return static_cast<wire::ErrorCode>(code); }
inline wire::Channel ToWire(core::Channel c) { return static_cast<wire::Channel>(c); }
inline wire::Party ToWire(core::Party p) { return static_cast<wire::Party>(p); }
inline wire::Disposition ToWire(core::Disposition d) { return static_cast<wire::Disposition>(d); }
inline wire::Role ToWire(core::Role r) { return static_cast<wire::Role>(r); }
inline wire::PresenceState ToWire(core::PresenceState p) {
  return static_cast<wire::PresenceState>(p);
}
inline wire::WithdrawReason ToWire(core::WithdrawReason r) {
  return static_cast<wire::WithdrawReason>(r);
}

// Fails with kBadRequest for a value this broker does not know (a newer client's enum).
Result<core::Channel> FromWire(wire::Channel c);
Result<core::Disposition> FromWire(wire::Disposition d);
Result<core::Role> FromWire(wire::Role r);
Result<core::PresenceState> FromWire(wire::PresenceState p);

core::ContactAttributes FromWire(const wire::ContactAttributes* a);
flatbuffers::Offset<wire::ContactAttributes> ToWire(flatbuffers::FlatBufferBuilder& fbb,
                                                   const core::ContactAttributes& a);

// A FlatBuffers string as std::string ("" for null).
inline std::string Str(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : s->str();
}

static_assert(static_cast<int>(wire::ErrorCode::Internal) == static_cast<int>(Code::kInternal));
static_assert(static_cast<int>(wire::ErrorCode::Busy) == static_cast<int>(Code::kBusy));
static_assert(static_cast<int>(wire::ErrorCode::StaleOffer) == static_cast<int>(Code::kStaleOffer));
static_assert(static_cast<int>(wire::ErrorCode::MAX) == static_cast<int>(Code::kInternal));
static_assert(static_cast<int>(wire::Channel::MAX) + 1 == core::kChannelCount);
static_assert(static_cast<int>(wire::Channel::Proactive) ==
              static_cast<int>(core::Channel::kProactive));
static_assert(static_cast<int>(wire::Disposition::Abandoned) ==
              static_cast<int>(core::Disposition::kAbandoned));
static_assert(static_cast<int>(wire::Role::Admin) == static_cast<int>(core::Role::kAdmin));
static_assert(static_cast<int>(wire::Party::System) == static_cast<int>(core::Party::kSystem));
static_assert(static_cast<int>(wire::PresenceState::Away) ==
              static_cast<int>(core::PresenceState::kAway));
static_assert(static_cast<int>(wire::PresenceState::MAX) ==
              static_cast<int>(core::PresenceState::kAway));
static_assert(static_cast<int>(wire::WithdrawReason::ContactLeft) ==
              static_cast<int>(core::WithdrawReason::kContactLeft));
static_assert(static_cast<int>(wire::WithdrawReason::MAX) ==
              static_cast<int>(core::WithdrawReason::kExpired));

}  // namespace switchboard::protocol
