// Decoding of verified wire bodies into the core's events, and encoding of the core's
// outgoing messages into envelopes of a frame. Used by the broker only.
#pragma once

#include <string>

#include "common/status.h"
#include "core/broker_core.h"
#include "protocol/frame.h"
#include "wire_generated.h"

namespace switchboard::protocol {

// Fails with kBadRequest naming the field for a value out of range.
Result<core::HelloIn> Decode(const wire::Hello& hello);
Result<core::CustomerMessageIn> Decode(const wire::CustomerMessage& msg);

// What the broker says of itself in every Welcome.
struct BrokerInfo {
  std::string version;
  uint32_t heartbeat_ms = 1000;
  uint32_t max_frame_bytes = kDefaultMaxFrameBytes;
  uint32_t max_text_bytes = kDefaultMaxTextBytes;
};

// Appends one envelope for `body` to `b`. Deliveries carry their id as seq.
void Encode(FrameBuilder& b, const BrokerInfo& info,
            const decltype(core::Outgoing::body)& body);
void EncodeError(FrameBuilder& b, Code code, const std::string& reason, uint64_t ref_seq);
void EncodeHeartbeat(FrameBuilder& b, int64_t at_us);

}  // namespace switchboard::protocol
