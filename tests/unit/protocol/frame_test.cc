#include "protocol/frame.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "protocol/codec.h"
#include "protocol/convert.h"

namespace switchboard::protocol {
namespace {

std::vector<std::byte> Copy(std::span<const std::byte> s) { return {s.begin(), s.end()}; }

TEST(FrameBuilder, CarriesSeveralEnvelopesInOneFrame) {
  FrameBuilder b;
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    auto body = wire::CreateCustomerMessageDirect(b.fbb(), "shop", wire::Channel::Phone, "c1",
                                                  "hi");
    b.Add(seq, wire::Body::CustomerMessage, body.Union());
  }
  b.Add(0, wire::Body::Ack, wire::CreateAck(b.fbb(), 41).Union());
  auto bytes = Copy(b.Finish());
  auto frame = VerifyFrame(bytes);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  const auto* envs = (*frame)->envelopes();
  ASSERT_EQ(envs->size(), 4u);
  EXPECT_EQ(envs->Get(2)->seq(), 3u);
  EXPECT_EQ(envs->Get(2)->body_as_CustomerMessage()->channel(), wire::Channel::Phone);
  EXPECT_EQ(envs->Get(3)->body_as_Ack()->up_to(), 41u);
  b.Reset();
  EXPECT_TRUE(b.empty());
}

TEST(VerifyFrame, RejectsGarbageTruncationAndOversize) {
  const std::vector<std::byte> garbage(64, std::byte{0x5a});
  EXPECT_EQ(VerifyFrame(garbage).status().code(), Code::kBadFrame);
  EXPECT_EQ(VerifyFrame({}).status().code(), Code::kBadFrame);

  FrameBuilder b;
  b.Add(0, wire::Body::Heartbeat, wire::CreateHeartbeat(b.fbb(), 7).Union());
  auto bytes = Copy(b.Finish());
  EXPECT_EQ(VerifyFrame(bytes, bytes.size() - 1).status().code(), Code::kPayloadTooLarge);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto cut = std::span<const std::byte>(bytes).first(n);
    EXPECT_FALSE(VerifyFrame(cut).ok()) << "truncated to " << n;
  }
}

TEST(VerifyFrame, RandomCorruptionNeverCrashes) {
  FrameBuilder b;
  auto body = wire::CreateCustomerMessageDirect(b.fbb(), "shop", wire::Channel::Im, "c1",
                                                "where is my order?");
  b.Add(1, wire::Body::CustomerMessage, body.Union());
  const auto good = Copy(b.Finish());
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    auto bad = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bad[rng() % bad.size()] = static_cast<std::byte>(rng());
    }
    auto frame = VerifyFrame(bad);
    if (frame.ok()) {
      // Whatever passed verification must be safe to read in full.
      for (const wire::Envelope* e : *(*frame)->envelopes()) {
        if (const auto* m = e->body_as_CustomerMessage()) {
          auto decoded = Decode(*m);
          (void)decoded;
        }
      }
    }
  }
}

TEST(VerifyFrame, RejectsOtherVersionsAndEmptyFrames) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<wire::Envelope>> none;
  wire::FinishFrameBuffer(fbb, wire::CreateFrame(fbb, kProtocolVersion, fbb.CreateVector(none)));
  std::span<const std::byte> empty(reinterpret_cast<const std::byte*>(fbb.GetBufferPointer()),
                                   fbb.GetSize());
  EXPECT_EQ(VerifyFrame(empty).status().code(), Code::kBadFrame);

  flatbuffers::FlatBufferBuilder v2;
  auto hb = wire::CreateHeartbeat(v2, 1);
  std::vector<flatbuffers::Offset<wire::Envelope>> one = {
      wire::CreateEnvelope(v2, 0, wire::Body::Heartbeat, hb.Union())};
  wire::FinishFrameBuffer(v2, wire::CreateFrame(v2, 2, v2.CreateVector(one)));
  std::span<const std::byte> other(reinterpret_cast<const std::byte*>(v2.GetBufferPointer()),
                                   v2.GetSize());
  auto r = VerifyFrame(other);
  EXPECT_EQ(r.status().code(), Code::kUnsupportedVersion);
  EXPECT_NE(r.status().message().find("version 2"), std::string::npos);
}

TEST(Codec, DecodeRejectsUnknownEnumValues) {
  flatbuffers::FlatBufferBuilder fbb;
  auto m = wire::CreateCustomerMessageDirect(fbb, "shop", static_cast<wire::Channel>(77), "c1");
  fbb.Finish(m);
  auto* msg = flatbuffers::GetRoot<wire::CustomerMessage>(fbb.GetBufferPointer());
  auto decoded = Decode(*msg);
  EXPECT_EQ(decoded.status().code(), Code::kBadRequest);
  EXPECT_NE(decoded.status().message().find("77"), std::string::npos);
}

TEST(Codec, EncodesDeliveriesWithTheirIdAsSeq) {
  core::Delivery d;
  d.id = 99;
  d.session_id = 5;
  d.tenant = "shop";
  d.channel = core::Channel::kSocial;
  d.customer_id = "c1";
  d.entry = {5, 2, core::Party::kAgent, "alice", "done", 1234};
  FrameBuilder b;
  Encode(b, BrokerInfo{}, std::make_shared<const core::Delivery>(d));
  d.kind = core::Delivery::Kind::kClosed;
  d.disposition = core::Disposition::kEscalated;
  Encode(b, BrokerInfo{}, std::make_shared<const core::Delivery>(d));
  auto bytes = Copy(b.Finish());
  auto frame = VerifyFrame(bytes);
  ASSERT_TRUE(frame.ok());
  const auto* deliver = (*frame)->envelopes()->Get(0);
  EXPECT_EQ(deliver->seq(), 99u);
  EXPECT_EQ(deliver->body_as_Deliver()->index(), 2u);
  EXPECT_EQ(deliver->body_as_Deliver()->from(), wire::Party::Agent);
  EXPECT_EQ(deliver->body_as_Deliver()->text()->str(), "done");
  const auto* close = (*frame)->envelopes()->Get(1);
  EXPECT_EQ(close->body_as_Close()->disposition(), wire::Disposition::Escalated);
  EXPECT_EQ(close->body_as_Close()->channel(), wire::Channel::Social);
}

}  // namespace
}  // namespace switchboard::protocol

namespace switchboard::protocol {
namespace {

TEST(Aligned, CopiesMisalignedFramesSoTheyVerify) {
  FrameBuilder b;
  b.Add(0, wire::Body::Ack, wire::CreateAck(b.fbb(), 5).Union());
  auto frame = b.Finish();
  std::vector<std::byte> shifted(frame.size() + 1);
  std::copy(frame.begin(), frame.end(), shifted.begin() + 1);
  std::span<const std::byte> odd(shifted.data() + 1, frame.size());
  EXPECT_EQ(VerifyFrame(odd).status().code(), Code::kInternal);  // refused, never misread
  std::vector<uint64_t> scratch;
  auto aligned = Aligned(odd, scratch);
  EXPECT_NE(aligned.data(), odd.data());
  auto verified = VerifyFrame(aligned);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ((*verified)->envelopes()->Get(0)->body_as_Ack()->up_to(), 5u);
  // An aligned buffer is used in place.
  EXPECT_EQ(Aligned(aligned, scratch).data(), aligned.data());
}

}  // namespace
}  // namespace switchboard::protocol

namespace switchboard::protocol {
namespace {

TEST(VerifyFrame, RejectsABodyTypeWithoutABody) {
  for (wire::Body type : {wire::Body::Hello, wire::Body::Ack, wire::Body::CustomerMessage,
                          static_cast<wire::Body>(200)}) {
    flatbuffers::FlatBufferBuilder fbb;
    wire::EnvelopeBuilder eb(fbb);
    eb.add_seq(1);
    eb.add_body_type(type);  // and no body
    std::vector<flatbuffers::Offset<wire::Envelope>> envs = {eb.Finish()};
    wire::FinishFrameBuffer(fbb, wire::CreateFrame(fbb, kProtocolVersion, fbb.CreateVector(envs)));
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(fbb.GetBufferPointer()),
                                     fbb.GetSize());
    auto r = VerifyFrame(bytes);
    EXPECT_EQ(r.status().code(), Code::kBadFrame) << static_cast<int>(type);
    EXPECT_NE(r.status().message().find("no body"), std::string::npos);
  }
}

}  // namespace
}  // namespace switchboard::protocol
