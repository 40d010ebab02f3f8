// The worker's side of the protocol against a broker played by hand (FakeBroker).
#include "switchboard/client/worker.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_broker.h"

namespace switchboard::client {
namespace {

using namespace std::chrono_literals;
using testing::ConnectWorker;
using testing::FakeBroker;
using testing::WelcomeFields;

WorkerOptions Options() {
  WorkerOptions o;
  o.agent_id = "agent-7";
  o.group = "post-sale";
  o.skills = {{"billing", 5}, {"spanish", 2}};
  o.capacity = {{Channel::kIm, 3}, {Channel::kPhone, 1}};
  o.heartbeat = 10s;
  return o;
}

std::string Str(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }

TEST(Worker, HelloCarriesTheAgentsProfile) {
  FakeBroker broker;
  auto c = ConnectWorker(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  const wire::Hello* hello = c.hello.envelope(0)->body_as_Hello();
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->role(), wire::Role::Worker);
  EXPECT_EQ(Str(hello->client_id()), "agent-7");
  EXPECT_EQ(Str(hello->group()), "post-sale");
  ASSERT_NE(hello->skills(), nullptr);
  ASSERT_EQ(hello->skills()->size(), 2u);
  EXPECT_EQ(Str(hello->skills()->Get(0)->name()), "billing");
  EXPECT_EQ(hello->skills()->Get(0)->level(), 5);
  EXPECT_EQ(Str(hello->skills()->Get(1)->name()), "spanish");
  ASSERT_NE(hello->capacity(), nullptr);
  ASSERT_EQ(hello->capacity()->size(), 2u);
  EXPECT_EQ(hello->capacity()->Get(0)->channel(), wire::Channel::Im);
  EXPECT_EQ(hello->capacity()->Get(0)->max_sessions(), 3);
  EXPECT_EQ(hello->capacity()->Get(1)->channel(), wire::Channel::Phone);
  EXPECT_EQ(hello->channels(), nullptr);
  EXPECT_EQ(c.client->agent_id(), "agent-7");
  EXPECT_EQ(c.client->client_id(), "agent-7");
}

TEST(Worker, ConnectRejectsBadArguments) {
  WorkerOptions no_id = Options();
  no_id.agent_id.clear();
  EXPECT_EQ(Worker::Connect("tcp://127.0.0.1:1", no_id).code(), ErrorCode::kInvalidArgument);
  WorkerOptions unnamed_skill = Options();
  unnamed_skill.skills.push_back({"", 1});
  EXPECT_EQ(Worker::Connect("tcp://127.0.0.1:1", unnamed_skill).code(),
            ErrorCode::kInvalidArgument);
}

TEST(Worker, AnswersOffersRepliesAndCloses) {
  FakeBroker broker;
  auto c = ConnectWorker(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Worker& worker = *c.client;
  broker.SendOffer(c.peer, 42, 7);
  broker.SendOffer(c.peer, 43, 8);
  auto offer = c.inbox.WaitFor<Offer>(worker);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->session_id, 42u);
  EXPECT_EQ(offer->attempt, 7u);
  EXPECT_EQ(offer->tenant, "acme");
  EXPECT_EQ(offer->customer_id, "c-1");
  EXPECT_EQ(offer->queue, "default");
  EXPECT_EQ(offer->timeout_ms, 15000u);
  EXPECT_EQ(offer->waited_ms, 250u);
  auto second = c.inbox.WaitFor<Offer>(worker);
  ASSERT_TRUE(second.has_value());

  auto accept = worker.Accept(*offer);
  auto reject = worker.Reject(*second, "busy with billing");
  auto reply = worker.Reply(42, "Hello, how can I help?");
  auto close = worker.Close(42, Disposition::kEscalated);
  ASSERT_TRUE(accept.ok() && reject.ok() && reply.ok() && close.ok());
  EXPECT_EQ(*accept, 1u);
  EXPECT_EQ(*close, 4u);
  worker.Flush();

  auto frame = broker.Receive();
  ASSERT_TRUE(frame.has_value());
  ASSERT_EQ(frame->types(), (std::vector<wire::Body>{wire::Body::Accept, wire::Body::Reject,
                                                     wire::Body::AgentMessage, wire::Body::Close}));
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(frame->envelope(i)->seq(), i + 1);
  }
  const auto* a = frame->envelope(0)->body_as_Accept();
  EXPECT_EQ(a->session_id(), 42u);
  EXPECT_EQ(a->attempt(), 7u);
  const auto* r = frame->envelope(1)->body_as_Reject();
  EXPECT_EQ(r->session_id(), 43u);
  EXPECT_EQ(r->attempt(), 8u);
  EXPECT_EQ(Str(r->reason()), "busy with billing");
  const auto* m = frame->envelope(2)->body_as_AgentMessage();
  EXPECT_EQ(m->session_id(), 42u);
  EXPECT_EQ(Str(m->text()), "Hello, how can I help?");
  const auto* cl = frame->envelope(3)->body_as_Close();
  EXPECT_EQ(cl->session_id(), 42u);
  EXPECT_EQ(cl->disposition(), wire::Disposition::Escalated);
}

TEST(Worker, ErrorEventNamesTheSessionOfTheRefusedMessage) {
  FakeBroker broker;
  auto c = ConnectWorker(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Worker& worker = *c.client;
  ASSERT_TRUE(worker.Reply(99, "hi").ok());
  worker.Flush();
  ASSERT_TRUE(broker.Receive().has_value());
  broker.SendError(c.peer, wire::ErrorCode::NotSessionOwner, "not yours", 1);
  auto err = c.inbox.WaitFor<ErrorEvent>(worker);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->error.code, ErrorCode::kNotSessionOwner);
  EXPECT_EQ(err->request, RequestKind::kReply);
  EXPECT_EQ(err->session_id, 99u);
}

TEST(Worker, RefusesBadArgumentsWithoutSpendingASeq) {
  FakeBroker broker;
  WelcomeFields welcome;
  welcome.max_text_bytes = 10;
  auto c = ConnectWorker(broker, Options(), welcome);
  ASSERT_TRUE(c.client.has_value());
  Worker& worker = *c.client;
  EXPECT_EQ(worker.Reply(0, "hi").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker.Close(0, Disposition::kResolved).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker.Accept(Offer{}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker.Reply(1, "eleven char").code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(worker.Close(1, static_cast<Disposition>(77)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker.last_seq(), 0u);
  EXPECT_EQ(worker.pending(), 0u);
}

}  // namespace
}  // namespace switchboard::client
