// Between the client's public values (switchboard/client/types.h) and wire bodies
// (schemas/wire.fbs): the requests a client sends, its Hello, and the bodies it receives.
// The client's enums are numbered as the wire's (checked in wire_convert.cc), so values
// pass through by number, unknown ones included.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "protocol/frame.h"
#include "switchboard/client/error.h"
#include "switchboard/client/events.h"
#include "switchboard/client/types.h"
#include "wire_generated.h"

namespace switchboard::client::internal {

// What a Hello says besides the epoch and the heartbeat.
struct HelloFields {
  Role role = Role::kAdapter;
  std::string client_id;
  std::vector<Channel> channels;          // adapter
  std::vector<std::string> tenants;       // adapter
  std::string group;                      // worker
  std::vector<Skill> skills;              // worker
  std::vector<ChannelCapacity> capacity;  // worker
  uint8_t tier = 0;                       // worker: the rest of its profile (tier 0 = 1)
  bool outsourced = false;
  uint32_t budget = 0;
  std::vector<ChannelCost> costs;
  std::vector<Attribute> attributes;
};

// The messages a client numbers with a seq and keeps until acknowledged.
struct AcceptRequest {
  uint64_t session_id = 0;
  uint64_t attempt = 0;
};
struct RejectRequest {
  uint64_t session_id = 0;
  uint64_t attempt = 0;
  std::string reason;
};
struct ReplyRequest {
  uint64_t session_id = 0;
  std::string text;
};
struct CloseRequest {
  uint64_t session_id = 0;
  Disposition disposition = Disposition::kResolved;
};
struct RatingRequest {
  uint64_t session_id = 0;
  int rating = 0;
};
struct OrderRequest {
  std::string tenant;
  std::string order_id;
  uint32_t count = 1;
  int64_t at_us = 0;
};
struct ProfileRequest {
  WorkerProfile profile;
};
struct PresenceRequest {
  Presence presence = Presence::kAvailable;
};
struct ReadyRequest {
  uint64_t session_id = 0;  // 0: every wrap-up
};
struct TransferRequest {
  uint64_t session_id = 0;
  std::string to_queue;
  std::string to_agent;
  std::string note;
};
struct EscalateRequest {
  uint64_t session_id = 0;
  std::string note;
};
struct HandoffRequest {
  uint64_t session_id = 0;
  std::string to_queue;
  std::string intent;
  std::string summary;
};
struct CustomerLeftRequest {
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
};
struct PositionQuery {
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
};
using Request = std::variant<CustomerMessage, AcceptRequest, RejectRequest, ReplyRequest,
                             CloseRequest, RatingRequest, OrderRequest, ProfileRequest,
                             PresenceRequest, ReadyRequest, TransferRequest, EscalateRequest,
                             HandoffRequest, CustomerLeftRequest, PositionQuery>;

// Checks `request` before it is numbered: kInvalidArgument for a missing or malformed field
// (also a rating outside 1 to 5, an order report without a tenant or with count 0),
// kPayloadTooLarge for a text, note or summary over `max_text_bytes`.
Status CheckRequest(const Request& request, uint32_t max_text_bytes);
// Checks the routing fields of a profile (also those of a Hello): kInvalidArgument.
Status CheckProfile(uint8_t tier, const std::vector<Skill>& skills,
                    const std::vector<ChannelCapacity>& capacity,
                    const std::vector<ChannelCost>& costs,
                    const std::vector<Attribute>& attributes);

// Fills the description of `request` into an ErrorEvent that answers it.
void Describe(const Request& request, ErrorEvent& event);

// An upper bound of the bytes `request` adds to a frame as one envelope.
size_t EstimateBytes(const Request& request);
// Bytes of a frame beyond its envelopes (root, identifier, Frame table, vector of
// envelopes), per frame and per envelope: a frame of envelopes adding b_i bytes to the
// builder stays under  sum(b_i) + kFrameOverheadBytes + n * kPerEnvelopeOverheadBytes.
constexpr size_t kFrameOverheadBytes = 128;
constexpr size_t kPerEnvelopeOverheadBytes = 8;

// Appends one envelope to `b`.
void EncodeRequest(protocol::FrameBuilder& b, uint64_t seq, const Request& request);
void EncodeHello(protocol::FrameBuilder& b, const HelloFields& hello, uint64_t epoch,
                 uint32_t heartbeat_ms);
void EncodeAck(protocol::FrameBuilder& b, uint64_t up_to);
void EncodeHeartbeat(protocol::FrameBuilder& b, int64_t at_us);

// The error code for a wire code (unknown codes keep their number).
inline ErrorCode FromWire(wire::ErrorCode code) {
  return static_cast<ErrorCode>(static_cast<uint16_t>(code));
}
ContactAttributes FromWire(const wire::ContactAttributes* attributes);
Offer FromWire(const wire::Offer& offer);
Delivery FromWire(const wire::Deliver& deliver, uint64_t delivery_id);
SessionClosed FromWire(const wire::Close& close, uint64_t delivery_id);
OfferWithdrawn FromWire(const wire::OfferWithdrawn& withdrawn);
PresenceChanged FromWire(const wire::PresenceChanged& changed);
Position FromWire(const wire::Position& position);
Overflowed FromWire(const wire::Overflowed& overflowed);
Error FromWire(const wire::Error& error);

}  // namespace switchboard::client::internal
