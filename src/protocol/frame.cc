#include "protocol/frame.h"

#include <cstring>
#include <string>

namespace switchboard::protocol {

Result<const wire::Frame*> VerifyFrame(std::span<const std::byte> bytes, size_t max_frame_bytes) {
  if (bytes.size() > max_frame_bytes) {
    return Status(Code::kPayloadTooLarge, "frame of " + std::to_string(bytes.size()) +
                                              " bytes is over the limit of " +
                                              std::to_string(max_frame_bytes));
  }
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) != 0) {
    return Status(Code::kInternal, "frame buffer is not 8-byte aligned (use Aligned())");
  }
  if (bytes.size() < 8 || !flatbuffers::BufferHasIdentifier(data, wire::FrameIdentifier())) {
    return Status(Code::kBadFrame, "not a switchboard frame (missing identifier SBW1)");
  }
  flatbuffers::Verifier verifier(data, bytes.size(), /*max_depth=*/32, /*max_tables=*/1000000);
  if (!wire::VerifyFrameBuffer(verifier)) {
    return Status(Code::kBadFrame, "frame failed FlatBuffers verification (truncated or corrupt)");
  }
  const wire::Frame* frame = wire::GetFrame(data);
  if (frame->version() != kProtocolVersion) {
    return Status(Code::kUnsupportedVersion,
                  "protocol version " + std::to_string(frame->version()) +
                      " is not supported; this broker speaks version " +
                      std::to_string(kProtocolVersion));
  }
  if (frame->envelopes() == nullptr || frame->envelopes()->size() == 0) {
    return Status(Code::kBadFrame, "frame has no envelopes");
  }
  // The verifier accepts a union whose type is set and whose value is absent; readers would
  // then get a null body. Refuse the frame instead.
  for (flatbuffers::uoffset_t i = 0; i < frame->envelopes()->size(); ++i) {
    const wire::Envelope* e = frame->envelopes()->Get(i);
    if (e->body_type() != wire::Body::NONE && e->body() == nullptr) {
      return Status(Code::kBadFrame, "envelope " + std::to_string(i) + " names body type " +
                                         std::to_string(static_cast<int>(e->body_type())) +
                                         " but carries no body");
    }
  }
  return frame;
}

std::span<const std::byte> Aligned(std::span<const std::byte> bytes,
                                   std::vector<uint64_t>& scratch) {
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) == 0) {
    return bytes;
  }
  scratch.resize((bytes.size() + sizeof(uint64_t) - 1) / sizeof(uint64_t));
  std::memcpy(scratch.data(), bytes.data(), bytes.size());
  return {reinterpret_cast<const std::byte*>(scratch.data()), bytes.size()};
}

std::string_view BodyName(wire::Body body) {
  const char* name = wire::EnumNameBody(body);
  return (name == nullptr || *name == '\0') ? std::string_view("Unknown") : std::string_view(name);
}

void FrameBuilder::Add(uint64_t seq, wire::Body type, flatbuffers::Offset<void> body) {
  envelopes_.push_back(wire::CreateEnvelope(fbb_, seq, type, body));
}

std::span<const std::byte> FrameBuilder::Finish() {
  auto vec = fbb_.CreateVector(envelopes_);
  auto frame = wire::CreateFrame(fbb_, kProtocolVersion, vec);
  wire::FinishFrameBuffer(fbb_, frame);
  return {reinterpret_cast<const std::byte*>(fbb_.GetBufferPointer()), fbb_.GetSize()};
}

void FrameBuilder::Reset() {
  fbb_.Clear();
  envelopes_.clear();
}

}  // namespace switchboard::protocol
