// Decoding of verified wire bodies into the core's events, and encoding of the core's
// outgoing messages into envelopes of a frame. Used by the broker only.
#pragma once

#include <string>

#include "common/status.h"
#include "core/broker_core.h"
#include "protocol/frame.h"
#include "wire_generated.h"

namespace switchboard::protocol {

// Bounds of what clients send, from the broker's configuration.
struct DecodeLimits {
  uint32_t max_id_bytes = 256;  // ids, names, queue names, attribute keys and values
  uint32_t max_text_bytes = kDefaultMaxTextBytes;  // notes and summaries
};

// Fails with kBadRequest naming the field for a value out of range (kPayloadTooLarge for a
// note or summary over max_text_bytes). A worker's profile: tier 0..2 (0 reads as 1), each
// channel's cost at most once, at most core::kMaxAgentAttributes attributes with a non-empty
// key, at most core::kMaxSkills named skills, every string within max_id_bytes.
Result<core::HelloIn> Decode(const wire::Hello& hello, const DecodeLimits& limits = {});
Result<core::CustomerMessageIn> Decode(const wire::CustomerMessage& msg);
Result<core::AgentUpdateIn> Decode(const wire::AgentUpdate& update,
                                   const DecodeLimits& limits = {});
Result<core::PresenceIn> Decode(const wire::Presence& presence, const DecodeLimits& limits = {});
Result<core::ReadyIn> Decode(const wire::Ready& ready, const DecodeLimits& limits = {});
// Also: a session id, and exactly one of to_queue and to_agent.
Result<core::TransferIn> Decode(const wire::Transfer& transfer, const DecodeLimits& limits = {});
Result<core::EscalateIn> Decode(const wire::Escalate& escalate, const DecodeLimits& limits = {});
// Also: a session id and a to_queue.
Result<core::HandoffIn> Decode(const wire::Handoff& handoff, const DecodeLimits& limits = {});
// Also: a known channel, a tenant and a customer_id.
Result<core::CustomerLeftIn> Decode(const wire::CustomerLeft& left,
                                    const DecodeLimits& limits = {});
Result<core::PositionRequestIn> Decode(const wire::PositionRequest& request,
                                       const DecodeLimits& limits = {});

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
// The answers to a ReloadRouting: RoutingReloaded, or an Error with the request id.
void EncodeRoutingReloaded(FrameBuilder& b, uint64_t request_id);
void EncodeRequestError(FrameBuilder& b, uint64_t request_id, const Status& status);

}  // namespace switchboard::protocol
