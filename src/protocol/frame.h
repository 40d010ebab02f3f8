// Frames on the wire: verification of received frames and building of frames to send.
//
// A frame is one ZeroMQ message holding one wire::Frame (schemas/wire.fbs) with one or more
// envelopes. Used by the broker and by the client library. Thread-compatible: a
// FrameBuilder belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "common/status.h"
#include "wire_generated.h"

namespace switchboard::protocol {

constexpr uint16_t kProtocolVersion = 1;
// Frames larger than this are refused unverified; the broker may set a smaller limit.
constexpr size_t kDefaultMaxFrameBytes = 4 * 1024 * 1024;
constexpr size_t kDefaultMaxTextBytes = 64 * 1024;

// Checks that `bytes` hold a well-formed wire::Frame of our protocol version with at least
// one envelope, each with a body if it names a body type, and returns it (a view into
// `bytes`, valid while they are; they must be 8-byte aligned: see Aligned). Fails with
// kPayloadTooLarge, kBadFrame, kUnsupportedVersion (or kInternal for a misaligned buffer)
// and a reason fit to send back. An envelope's body type may still be NONE or one newer
// than this build (the verifier lets unknown union members through): the reader answers
// those with kUnknownBody.
Result<const wire::Frame*> VerifyFrame(std::span<const std::byte> bytes,
                                       size_t max_frame_bytes = kDefaultMaxFrameBytes);

// FlatBuffers reads its scalars in place, so a frame must start at an address aligned for
// the largest scalar (8 bytes). ZeroMQ keeps small messages inside the message object, at
// any alignment. Returns `bytes` if aligned, else copies them into `scratch` and returns the
// copy (valid until `scratch` changes).
std::span<const std::byte> Aligned(std::span<const std::byte> bytes,
                                   std::vector<uint64_t>& scratch);

// The name of a body type ("CustomerMessage"), for logs and errors.
std::string_view BodyName(wire::Body body);

// Accumulates envelopes into one frame. Typical use:
//   FrameBuilder b;
//   auto body = wire::CreateAck(b.fbb(), up_to);
//   b.Add(0, wire::Body::Ack, body.Union());
//   send(b.Finish());  ... b.Reset();
class FrameBuilder {
 public:
  explicit FrameBuilder(size_t initial_bytes = 4096) : fbb_(initial_bytes) {}

  // The builder to create bodies with, before Add.
  flatbuffers::FlatBufferBuilder& fbb() { return fbb_; }

  void Add(uint64_t seq, wire::Body type, flatbuffers::Offset<void> body);
  size_t count() const { return envelopes_.size(); }
  bool empty() const { return envelopes_.empty(); }
  // What the frame would take if finished now (bodies, envelopes and the vector of them,
  // with margin), to cap a frame's size.
  size_t size() const { return fbb_.GetSize() + 4 * envelopes_.size() + 64; }

  // Finishes the frame; the span is valid until Reset or destruction. Call once.
  std::span<const std::byte> Finish();
  // Starts a new, empty frame, keeping the allocated buffer.
  void Reset();

 private:
  flatbuffers::FlatBufferBuilder fbb_;
  std::vector<flatbuffers::Offset<wire::Envelope>> envelopes_;
};

}  // namespace switchboard::protocol
