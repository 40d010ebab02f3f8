// Decoding of the routing bodies (bounds give coded errors) and encoding of the broker's
// routing messages.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/codec.h"
#include "protocol/convert.h"
#include "protocol/frame.h"

namespace switchboard::protocol {
namespace {

template <typename T>
const T* Root(flatbuffers::FlatBufferBuilder& fbb, flatbuffers::Offset<T> offset) {
  fbb.Finish(offset);
  return flatbuffers::GetRoot<T>(fbb.GetBufferPointer());
}

DecodeLimits Limits() {
  DecodeLimits l;
  l.max_id_bytes = 16;
  l.max_text_bytes = 64;
  return l;
}

void ExpectFails(const Status& st, Code code, const std::string& words) {
  EXPECT_EQ(st.code(), code) << st.ToString();
  EXPECT_NE(st.message().find(words), std::string::npos) << st.message();
}

TEST(RoutingCodec, HelloCarriesTheWorkersProfile) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<wire::ChannelCost>> costs = {
      wire::CreateChannelCost(fbb, wire::Channel::Phone, 3)};
  std::vector<flatbuffers::Offset<wire::Attribute>> attrs = {
      wire::CreateAttributeDirect(fbb, "language", "de")};
  auto hello =
      wire::CreateHelloDirect(fbb, wire::Role::Worker, "a1", 1, nullptr, nullptr, "post-sale",
                              nullptr, nullptr, 0, 2, true, 10, &costs, &attrs);
  auto decoded = Decode(*Root(fbb, hello), Limits());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->profile.tier, 2);
  EXPECT_TRUE(decoded->profile.outsourced);
  EXPECT_EQ(decoded->profile.budget, 10u);
  ASSERT_EQ(decoded->profile.costs.size(), 1u);
  EXPECT_EQ(decoded->profile.costs[0].channel, core::Channel::kPhone);
  EXPECT_EQ(decoded->profile.costs[0].cost, 3u);
  ASSERT_EQ(decoded->profile.attributes.size(), 1u);
  EXPECT_EQ(decoded->profile.attributes[0].first, "language");
  EXPECT_EQ(decoded->profile.attributes[0].second, "de");

  flatbuffers::FlatBufferBuilder plain;
  auto old = wire::CreateHelloDirect(plain, wire::Role::Worker, "a1");
  auto decoded_old = Decode(*Root(plain, old));
  ASSERT_TRUE(decoded_old.ok());
  EXPECT_EQ(decoded_old->profile.tier, 1);  // 0 on the wire reads as tier 1
}

TEST(RoutingCodec, ProfileBoundsAreCodedErrors) {
  auto update = [](auto build) {
    flatbuffers::FlatBufferBuilder fbb;
    auto offset = build(fbb);
    fbb.Finish(offset);
    return Decode(*flatbuffers::GetRoot<wire::AgentUpdate>(fbb.GetBufferPointer()), Limits())
        .status();
  };
  ExpectFails(update([](auto& fbb) {
                return wire::CreateAgentUpdateDirect(fbb, nullptr, nullptr, nullptr, 3);
              }),
              Code::kBadRequest, "tier 3");
  ExpectFails(update([](auto& fbb) {
                std::vector<flatbuffers::Offset<wire::Attribute>> attrs;
                for (size_t i = 0; i <= core::kMaxAgentAttributes; ++i) {
                  attrs.push_back(wire::CreateAttributeDirect(fbb, "k", "v"));
                }
                return wire::CreateAgentUpdateDirect(fbb, nullptr, nullptr, nullptr, 1, false, 0,
                                                     nullptr, &attrs);
              }),
              Code::kBadRequest, "at most 32 attributes");
  ExpectFails(update([](auto& fbb) {
                std::vector<flatbuffers::Offset<wire::Attribute>> attrs = {
                    wire::CreateAttributeDirect(fbb, "", "v")};
                return wire::CreateAgentUpdateDirect(fbb, nullptr, nullptr, nullptr, 1, false, 0,
                                                     nullptr, &attrs);
              }),
              Code::kBadRequest, "attribute's key is required");
  ExpectFails(update([](auto& fbb) {
                std::vector<flatbuffers::Offset<wire::Attribute>> attrs = {
                    wire::CreateAttributeDirect(fbb, "language", "a value of over 16 bytes")};
                return wire::CreateAgentUpdateDirect(fbb, nullptr, nullptr, nullptr, 1, false, 0,
                                                     nullptr, &attrs);
              }),
              Code::kBadRequest, "attribute's value");
  ExpectFails(update([](auto& fbb) {
                std::vector<flatbuffers::Offset<wire::ChannelCost>> costs = {
                    wire::CreateChannelCost(fbb, wire::Channel::Im, 1),
                    wire::CreateChannelCost(fbb, wire::Channel::Im, 2)};
                return wire::CreateAgentUpdateDirect(fbb, nullptr, nullptr, nullptr, 1, false, 0,
                                                     &costs);
              }),
              Code::kBadRequest, "twice");
  ExpectFails(update([](auto& fbb) {
                std::vector<flatbuffers::Offset<wire::ChannelCost>> costs = {
                    wire::CreateChannelCost(fbb, static_cast<wire::Channel>(9), 1)};
                return wire::CreateAgentUpdateDirect(fbb, nullptr, nullptr, nullptr, 1, false, 0,
                                                     &costs);
              }),
              Code::kBadRequest, "unknown channel 9");
  ExpectFails(update([](auto& fbb) {
                return wire::CreateAgentUpdateDirect(fbb, "a group name over 16 bytes");
              }),
              Code::kBadRequest, "group");
  ExpectFails(update([](auto& fbb) {
                std::vector<flatbuffers::Offset<wire::Skill>> skills = {
                    wire::CreateSkillDirect(fbb, "", 1)};
                return wire::CreateAgentUpdateDirect(fbb, nullptr, &skills);
              }),
              Code::kBadRequest, "skill's name");
}

TEST(RoutingCodec, TransferNamesExactlyOneTarget) {
  auto transfer = [](uint64_t session, const char* queue, const char* agent, const char* note) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(wire::CreateTransferDirect(fbb, session, queue, agent, note));
    return Decode(*flatbuffers::GetRoot<wire::Transfer>(fbb.GetBufferPointer()), Limits());
  };
  auto ok = transfer(7, "post-sale", nullptr, "wants a refund");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->session_id, 7u);
  EXPECT_EQ(ok->to_queue, "post-sale");
  EXPECT_EQ(ok->note, "wants a refund");
  EXPECT_TRUE(transfer(7, nullptr, "agent-2", nullptr).ok());
  ExpectFails(transfer(7, "q", "agent-2", nullptr).status(), Code::kBadRequest, "exactly one");
  ExpectFails(transfer(7, nullptr, nullptr, nullptr).status(), Code::kBadRequest, "exactly one");
  ExpectFails(transfer(7, "", "", nullptr).status(), Code::kBadRequest, "exactly one");
  ExpectFails(transfer(0, "q", nullptr, nullptr).status(), Code::kBadRequest, "session_id");
  ExpectFails(transfer(7, "a queue of over 16 bytes", nullptr, nullptr).status(), Code::kBadRequest,
              "to_queue");
  const std::string long_note(65, 'n');
  ExpectFails(transfer(7, "q", nullptr, long_note.c_str()).status(), Code::kPayloadTooLarge,
              "note");
}

TEST(RoutingCodec, EscalateHandoffPresenceAndReady) {
  {
    flatbuffers::FlatBufferBuilder fbb;
    const std::string note(65, 'n');
    fbb.Finish(wire::CreateEscalateDirect(fbb, 3, note.c_str()));
    ExpectFails(
        Decode(*flatbuffers::GetRoot<wire::Escalate>(fbb.GetBufferPointer()), Limits()).status(),
        Code::kPayloadTooLarge, "note");
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(wire::CreateEscalateDirect(fbb, 0, "x"));
    ExpectFails(
        Decode(*flatbuffers::GetRoot<wire::Escalate>(fbb.GetBufferPointer()), Limits()).status(),
        Code::kBadRequest, "session_id");
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(wire::CreateHandoffDirect(fbb, 3, "", "refund", "asked twice"));
    ExpectFails(
        Decode(*flatbuffers::GetRoot<wire::Handoff>(fbb.GetBufferPointer()), Limits()).status(),
        Code::kBadRequest, "to_queue is required");
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(wire::CreateHandoffDirect(fbb, 3, "humans", "refund", "asked twice"));
    auto h = Decode(*flatbuffers::GetRoot<wire::Handoff>(fbb.GetBufferPointer()), Limits());
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    EXPECT_EQ(h->to_queue, "humans");
    EXPECT_EQ(h->intent, "refund");
    EXPECT_EQ(h->summary, "asked twice");
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(wire::CreatePresence(fbb, static_cast<wire::PresenceState>(5)));
    ExpectFails(Decode(*flatbuffers::GetRoot<wire::Presence>(fbb.GetBufferPointer())).status(),
                Code::kBadRequest, "unknown presence state 5");
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(wire::CreatePresence(fbb, wire::PresenceState::Away));
    auto p = Decode(*flatbuffers::GetRoot<wire::Presence>(fbb.GetBufferPointer()));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->state, core::PresenceState::kAway);
  }
}

TEST(RoutingCodec, CustomerLeftAndPositionRequestNameACustomer) {
  auto left = [](const char* tenant, wire::Channel channel, const char* customer) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(wire::CreateCustomerLeftDirect(fbb, tenant, channel, customer));
    return Decode(*flatbuffers::GetRoot<wire::CustomerLeft>(fbb.GetBufferPointer()), Limits());
  };
  auto ok = left("shop", wire::Channel::Phone, "c1");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->tenant, "shop");
  EXPECT_EQ(ok->channel, core::Channel::kPhone);
  EXPECT_EQ(ok->customer_id, "c1");
  ExpectFails(left("", wire::Channel::Im, "c1").status(), Code::kBadRequest, "tenant");
  ExpectFails(left("shop", wire::Channel::Im, "").status(), Code::kBadRequest, "customer_id");
  ExpectFails(left("shop", static_cast<wire::Channel>(40), "c1").status(), Code::kBadRequest,
              "unknown channel 40");
  ExpectFails(left("shop", wire::Channel::Im, "a customer id over 16 bytes").status(),
              Code::kBadRequest, "customer_id");

  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(
      wire::CreatePositionRequestDirect(fbb, "a tenant of over 16 bytes", wire::Channel::Im, "c1"));
  ExpectFails(Decode(*flatbuffers::GetRoot<wire::PositionRequest>(fbb.GetBufferPointer()), Limits())
                  .status(),
              Code::kBadRequest, "tenant");
}

TEST(RoutingCodec, EncodesTheBrokersRoutingMessages) {
  FrameBuilder b;
  core::OfferOut offer;
  offer.session_id = 4;
  offer.attempt = 9;
  offer.priority = -2;
  offer.transferred_from = "agent-1";
  offer.intent = "refund";
  offer.summary = "asked twice";
  offer.follow_up = true;
  Encode(b, BrokerInfo{}, offer);
  Encode(b, BrokerInfo{}, core::OfferWithdrawnOut{4, 9, core::WithdrawReason::kContactLeft});
  Encode(b, BrokerInfo{}, core::PresenceChangedOut{core::PresenceState::kAway, "missed 3"});
  Encode(b, BrokerInfo{}, core::PositionOut{4, "shop", core::Channel::kPhone, "c1", 3, 45000});
  Encode(b, BrokerInfo{},
         core::OverflowedOut{4, "shop", core::Channel::kIm, "c1", "", true, "queue full"});
  EncodeRoutingReloaded(b, 77);
  EncodeRequestError(b, 78, Status(Code::kBadRequest, "routing.toml line 3: field 'queue'"));
  std::vector<std::byte> bytes;
  auto span = b.Finish();
  bytes.assign(span.begin(), span.end());
  auto frame = VerifyFrame(bytes);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  const auto* envs = (*frame)->envelopes();
  ASSERT_EQ(envs->size(), 7u);
  const auto* o = envs->Get(0)->body_as_Offer();
  EXPECT_EQ(o->priority(), -2);
  EXPECT_EQ(o->transferred_from()->str(), "agent-1");
  EXPECT_EQ(o->intent()->str(), "refund");
  EXPECT_EQ(o->summary()->str(), "asked twice");
  EXPECT_TRUE(o->follow_up());
  const auto* w = envs->Get(1)->body_as_OfferWithdrawn();
  EXPECT_EQ(w->attempt(), 9u);
  EXPECT_EQ(w->reason(), wire::WithdrawReason::ContactLeft);
  EXPECT_EQ(envs->Get(2)->body_as_PresenceChanged()->state(), wire::PresenceState::Away);
  EXPECT_EQ(envs->Get(2)->body_as_PresenceChanged()->reason()->str(), "missed 3");
  const auto* p = envs->Get(3)->body_as_Position();
  EXPECT_EQ(p->position(), 3u);
  EXPECT_EQ(p->expected_wait_ms(), 45000u);
  EXPECT_EQ(p->channel(), wire::Channel::Phone);
  EXPECT_EQ(p->customer_id()->str(), "c1");
  const auto* ov = envs->Get(4)->body_as_Overflowed();
  EXPECT_TRUE(ov->leave_message());
  EXPECT_EQ(ov->to_queue(), nullptr);
  EXPECT_EQ(ov->reason()->str(), "queue full");
  EXPECT_EQ(envs->Get(5)->body_as_RoutingReloaded()->request_id(), 77u);
  const auto* e = envs->Get(6)->body_as_Error();
  EXPECT_EQ(e->request_id(), 78u);
  EXPECT_EQ(e->code(), wire::ErrorCode::BadRequest);
  for (const auto* env : *envs) {
    EXPECT_EQ(env->seq(), 0u);  // none of them is acknowledged
  }
}

// Every routing body a client sends, in one frame; random corruption that still verifies must
// decode to a value or a coded error, never crash.
TEST(RoutingCodec, RandomCorruptionOfRoutingBodiesNeverCrashes) {
  FrameBuilder b;
  auto& fbb = b.fbb();
  std::vector<flatbuffers::Offset<wire::Attribute>> attrs = {
      wire::CreateAttributeDirect(fbb, "language", "de")};
  std::vector<flatbuffers::Offset<wire::ChannelCost>> costs = {
      wire::CreateChannelCost(fbb, wire::Channel::Im, 2)};
  b.Add(1, wire::Body::AgentUpdate,
        wire::CreateAgentUpdateDirect(fbb, "g", nullptr, nullptr, 2, true, 5, &costs, &attrs)
            .Union());
  b.Add(2, wire::Body::Presence, wire::CreatePresence(fbb, wire::PresenceState::Away).Union());
  b.Add(3, wire::Body::Ready, wire::CreateReady(fbb, 4).Union());
  b.Add(4, wire::Body::Transfer, wire::CreateTransferDirect(fbb, 4, "q", nullptr, "n").Union());
  b.Add(5, wire::Body::Escalate, wire::CreateEscalateDirect(fbb, 4, "n").Union());
  b.Add(6, wire::Body::Handoff, wire::CreateHandoffDirect(fbb, 4, "q", "i", "s").Union());
  b.Add(7, wire::Body::CustomerLeft,
        wire::CreateCustomerLeftDirect(fbb, "shop", wire::Channel::Im, "c1").Union());
  b.Add(8, wire::Body::PositionRequest,
        wire::CreatePositionRequestDirect(fbb, "shop", wire::Channel::Im, "c1").Union());
  std::vector<flatbuffers::Offset<wire::Attribute>> hello_attrs = {
      wire::CreateAttributeDirect(fbb, "k", "v")};
  b.Add(0, wire::Body::Hello,
        wire::CreateHelloDirect(fbb, wire::Role::Worker, "a", 1, nullptr, nullptr, "g", nullptr,
                                nullptr, 0, 1, false, 0, nullptr, &hello_attrs)
            .Union());
  auto span = b.Finish();
  const std::vector<std::byte> good(span.begin(), span.end());
  std::mt19937 rng(7);
  int verified = 0;
  for (int i = 0; i < 20000; ++i) {
    auto bad = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bad[rng() % bad.size()] = static_cast<std::byte>(rng());
    }
    auto frame = VerifyFrame(bad);
    if (!frame.ok()) {
      continue;
    }
    ++verified;
    for (const wire::Envelope* e : *(*frame)->envelopes()) {
      Status st;
      if (const auto* m = e->body_as_AgentUpdate()) {
        st = Decode(*m).status();
      }
      if (const auto* m = e->body_as_Presence()) {
        st = Decode(*m).status();
      }
      if (const auto* m = e->body_as_Ready()) {
        st = Decode(*m).status();
      }
      if (const auto* m = e->body_as_Transfer()) {
        st = Decode(*m).status();
      }
      if (const auto* m = e->body_as_Escalate()) {
        st = Decode(*m).status();
      }
      if (const auto* m = e->body_as_Handoff()) {
        st = Decode(*m).status();
      }
      if (const auto* m = e->body_as_CustomerLeft()) {
        st = Decode(*m).status();
      }
      if (const auto* m = e->body_as_PositionRequest()) {
        st = Decode(*m).status();
      }
      if (const auto* m = e->body_as_Hello()) {
        st = Decode(*m).status();
      }
      if (!st.ok()) {
        EXPECT_TRUE(st.code() == Code::kBadRequest || st.code() == Code::kPayloadTooLarge)
            << st.ToString();
      }
    }
  }
  EXPECT_GT(verified, 0);  // the corruption also reached the decoders
}

}  // namespace
}  // namespace switchboard::protocol
