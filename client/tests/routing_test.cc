// The routing messages of the client library against a broker played by hand: the worker's
// profile, presence and session moves, the adapter's customer-left and position requests, the
// broker's routing events, and the admin's ReloadRouting.
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_broker.h"
#include "protocol/frame.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/admin.h"
#include "switchboard/client/worker.h"

namespace switchboard::client {
namespace {

using namespace std::chrono_literals;
using testing::ConnectAdapter;
using testing::ConnectAdmin;
using testing::ConnectWorker;
using testing::FakeBroker;
using testing::WelcomeFields;

std::string Str(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }

WorkerOptions Options() {
  WorkerOptions o;
  o.agent_id = "agent-7";
  o.group = "post-sale";
  o.tier = 2;
  o.outsourced = true;
  o.budget = 6;
  o.costs = {{Channel::kPhone, 3}, {Channel::kIm, 1}};
  o.attributes = {{"language", "de"}, {"region", "eu"}};
  o.heartbeat = 10s;
  return o;
}

TEST(WorkerRouting, HelloCarriesTheRoutingProfile) {
  FakeBroker broker;
  auto c = ConnectWorker(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  const wire::Hello* hello = c.hello.envelope(0)->body_as_Hello();
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->tier(), 2);
  EXPECT_TRUE(hello->outsourced());
  EXPECT_EQ(hello->budget(), 6u);
  ASSERT_NE(hello->costs(), nullptr);
  ASSERT_EQ(hello->costs()->size(), 2u);
  EXPECT_EQ(hello->costs()->Get(0)->channel(), wire::Channel::Phone);
  EXPECT_EQ(hello->costs()->Get(0)->cost(), 3u);
  ASSERT_NE(hello->attributes(), nullptr);
  ASSERT_EQ(hello->attributes()->size(), 2u);
  EXPECT_EQ(Str(hello->attributes()->Get(1)->key()), "region");
  EXPECT_EQ(Str(hello->attributes()->Get(1)->value()), "eu");
}

TEST(WorkerRouting, ConnectRejectsABadProfile) {
  WorkerOptions tier = Options();
  tier.tier = 3;
  EXPECT_EQ(Worker::Connect("tcp://127.0.0.1:1", tier).code(), ErrorCode::kInvalidArgument);
  WorkerOptions twice = Options();
  twice.costs.push_back({Channel::kPhone, 1});
  EXPECT_EQ(Worker::Connect("tcp://127.0.0.1:1", twice).code(), ErrorCode::kInvalidArgument);
  WorkerOptions keyless = Options();
  keyless.attributes.push_back({"", "x"});
  EXPECT_EQ(Worker::Connect("tcp://127.0.0.1:1", keyless).code(), ErrorCode::kInvalidArgument);
  WorkerOptions many = Options();
  many.attributes.assign(kMaxAttributes + 1, Attribute{"k", "v"});
  EXPECT_EQ(Worker::Connect("tcp://127.0.0.1:1", many).code(), ErrorCode::kInvalidArgument);
}

TEST(WorkerRouting, SendsProfilePresenceAndSessionMoves) {
  FakeBroker broker;
  auto c = ConnectWorker(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Worker& worker = *c.client;
  WorkerProfile profile;
  profile.group = "complaints";
  profile.skills = {{"refunds", 4}};
  profile.capacity = {{Channel::kIm, 2}};
  profile.tier = 1;
  profile.budget = 9;
  profile.costs = {{Channel::kSocial, 2}};
  profile.attributes = {{"language", "fr"}};
  ASSERT_TRUE(worker.UpdateProfile(profile).ok());
  ASSERT_TRUE(worker.SetPresence(Presence::kAway).ok());
  ASSERT_TRUE(worker.Ready(42).ok());
  ASSERT_TRUE(worker.Transfer(42, "post-sale", "", "wants a refund").ok());
  ASSERT_TRUE(worker.Escalate(43, "needs a supervisor").ok());
  auto last = worker.Handoff(44, "humans", "refund", "asked twice about order 9");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 6u);
  worker.Flush();

  auto frame = broker.ReceiveSkippingHeartbeats();
  ASSERT_TRUE(frame.has_value());
  ASSERT_EQ(frame->types(), (std::vector<wire::Body>{wire::Body::AgentUpdate, wire::Body::Presence,
                                                     wire::Body::Ready, wire::Body::Transfer,
                                                     wire::Body::Escalate, wire::Body::Handoff}));
  const auto* u = frame->envelope(0)->body_as_AgentUpdate();
  EXPECT_EQ(frame->envelope(0)->seq(), 1u);
  EXPECT_EQ(Str(u->group()), "complaints");
  ASSERT_EQ(u->skills()->size(), 1u);
  EXPECT_EQ(Str(u->skills()->Get(0)->name()), "refunds");
  EXPECT_EQ(u->capacity()->Get(0)->max_sessions(), 2);
  EXPECT_EQ(u->tier(), 1);
  EXPECT_FALSE(u->outsourced());
  EXPECT_EQ(u->budget(), 9u);
  EXPECT_EQ(u->costs()->Get(0)->channel(), wire::Channel::Social);
  EXPECT_EQ(Str(u->attributes()->Get(0)->value()), "fr");
  EXPECT_EQ(frame->envelope(1)->body_as_Presence()->state(), wire::PresenceState::Away);
  EXPECT_EQ(frame->envelope(2)->body_as_Ready()->session_id(), 42u);
  const auto* t = frame->envelope(3)->body_as_Transfer();
  EXPECT_EQ(t->session_id(), 42u);
  EXPECT_EQ(Str(t->to_queue()), "post-sale");
  EXPECT_EQ(t->to_agent(), nullptr);
  EXPECT_EQ(Str(t->note()), "wants a refund");
  EXPECT_EQ(Str(frame->envelope(4)->body_as_Escalate()->note()), "needs a supervisor");
  const auto* h = frame->envelope(5)->body_as_Handoff();
  EXPECT_EQ(h->session_id(), 44u);
  EXPECT_EQ(Str(h->to_queue()), "humans");
  EXPECT_EQ(Str(h->intent()), "refund");
  EXPECT_EQ(Str(h->summary()), "asked twice about order 9");

  // A refusal names the request and its session.
  broker.SendError(c.peer, wire::ErrorCode::BadRequest, "Transfer is not supported yet", 4);
  auto err = c.inbox.WaitFor<ErrorEvent>(worker);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->request, RequestKind::kTransfer);
  EXPECT_EQ(err->session_id, 42u);
  EXPECT_EQ(RequestKindName(err->request), "Transfer");
}

TEST(WorkerRouting, SigningInAgainSendsTheUpdatedProfile) {
  FakeBroker broker;
  auto c = ConnectWorker(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Worker& worker = *c.client;
  WorkerProfile profile;
  profile.group = "complaints";
  profile.tier = 1;
  profile.attributes = {{"language", "fr"}};
  ASSERT_TRUE(worker.UpdateProfile(profile).ok());
  worker.Flush();
  auto update = broker.ReceiveSkippingHeartbeats();
  ASSERT_TRUE(update.has_value());
  ASSERT_EQ(update->types(), std::vector<wire::Body>{wire::Body::AgentUpdate});
  broker.SendAck(c.peer, 1);
  ASSERT_TRUE(c.inbox.WaitFor<Acked>(worker).has_value());

  // The broker forgot the connection: the client says Hello again, with the new profile.
  broker.SendError(c.peer, wire::ErrorCode::NotSignedIn, "restarted", 0);
  std::optional<testing::ReceivedFrame> hello;
  for (int i = 0; i < 10 && !hello; ++i) {
    worker.Poll(50ms);
    auto frame = broker.Receive(100ms);
    if (frame && frame->types() == std::vector<wire::Body>{wire::Body::Hello}) {
      hello = std::move(frame);
    }
  }
  ASSERT_TRUE(hello.has_value()) << "no second Hello";
  const wire::Hello* h = hello->envelope(0)->body_as_Hello();
  EXPECT_EQ(Str(h->group()), "complaints");
  EXPECT_EQ(h->tier(), 1);
  EXPECT_FALSE(h->outsourced());
  ASSERT_NE(h->attributes(), nullptr);
  ASSERT_EQ(h->attributes()->size(), 1u);
  EXPECT_EQ(Str(h->attributes()->Get(0)->value()), "fr");
  EXPECT_EQ(h->costs(), nullptr);
}

TEST(WorkerRouting, RefusesBadMovesWithoutSpendingASeq) {
  FakeBroker broker;
  WelcomeFields welcome;
  welcome.max_text_bytes = 10;
  auto c = ConnectWorker(broker, Options(), welcome);
  ASSERT_TRUE(c.client.has_value());
  Worker& worker = *c.client;
  EXPECT_EQ(worker.Transfer(1, "q", "agent-2", "").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker.Transfer(1, "", "", "").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker.Transfer(0, "q", "", "").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker.Transfer(1, "q", "", "eleven char").code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(worker.Escalate(0, "").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker.Escalate(1, "eleven char").code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(worker.Handoff(1, "", "i", "s").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker.Handoff(1, "q", "i", "eleven char").code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(worker.SetPresence(static_cast<Presence>(9)).code(), ErrorCode::kInvalidArgument);
  WorkerProfile bad;
  bad.tier = 5;
  EXPECT_EQ(worker.UpdateProfile(bad).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker.last_seq(), 0u);
  EXPECT_EQ(worker.pending(), 0u);
}

TEST(WorkerRouting, ReportsOfferFieldsWithdrawalsAndPresenceChanges) {
  FakeBroker broker;
  auto c = ConnectWorker(broker, Options());
  ASSERT_TRUE(c.client.has_value());
  Worker& worker = *c.client;
  protocol::FrameBuilder b;
  auto& fbb = b.fbb();
  b.Add(0, wire::Body::Offer,
        wire::CreateOfferDirect(fbb, 5, 11, "acme", wire::Channel::Im, "c-1", "tier2", 0, 15000, 10,
                                3, "agent-1", "refund", "asked twice", true)
            .Union());
  b.Add(0, wire::Body::OfferWithdrawn,
        wire::CreateOfferWithdrawn(fbb, 5, 11, wire::WithdrawReason::TakenByAnother).Union());
  b.Add(
      0, wire::Body::PresenceChanged,
      wire::CreatePresenceChangedDirect(fbb, wire::PresenceState::Away, "missed 3 offers in a row")
          .Union());
  broker.Send(c.peer, b);
  auto offer = c.inbox.WaitFor<Offer>(worker);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->priority, 3);
  EXPECT_EQ(offer->transferred_from, "agent-1");
  EXPECT_EQ(offer->intent, "refund");
  EXPECT_EQ(offer->summary, "asked twice");
  EXPECT_TRUE(offer->follow_up);
  auto withdrawn = c.inbox.WaitFor<OfferWithdrawn>(worker);
  ASSERT_TRUE(withdrawn.has_value());
  EXPECT_EQ(*withdrawn, (OfferWithdrawn{5, 11, WithdrawReason::kTakenByAnother}));
  EXPECT_EQ(WithdrawReasonName(withdrawn->reason), "taken_by_another");
  auto presence = c.inbox.WaitFor<PresenceChanged>(worker);
  ASSERT_TRUE(presence.has_value());
  EXPECT_EQ(presence->state, Presence::kAway);
  EXPECT_EQ(presence->reason, "missed 3 offers in a row");
  EXPECT_EQ(PresenceName(presence->state), "away");
}

AdapterOptions AdapterOpts() {
  AdapterOptions o;
  o.client_id = "im-gateway-1";
  o.channels = {Channel::kIm, Channel::kPhone};
  o.heartbeat = 10s;
  return o;
}

TEST(AdapterRouting, SendsCustomerLeftAndPositionRequests) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, AdapterOpts());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  ASSERT_TRUE(adapter.RequestPosition("acme", Channel::kPhone, "c-1").ok());
  auto left = adapter.CustomerLeft("acme", Channel::kIm, "c-2");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 2u);
  EXPECT_EQ(adapter.CustomerLeft("", Channel::kIm, "c-2").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(adapter.RequestPosition("acme", Channel::kIm, "").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(adapter.CustomerLeft("acme", static_cast<Channel>(9), "c").code(),
            ErrorCode::kInvalidArgument);
  adapter.Flush();
  auto frame = broker.ReceiveSkippingHeartbeats();
  ASSERT_TRUE(frame.has_value());
  ASSERT_EQ(frame->types(),
            (std::vector<wire::Body>{wire::Body::PositionRequest, wire::Body::CustomerLeft}));
  const auto* p = frame->envelope(0)->body_as_PositionRequest();
  EXPECT_EQ(Str(p->tenant()), "acme");
  EXPECT_EQ(p->channel(), wire::Channel::Phone);
  EXPECT_EQ(Str(p->customer_id()), "c-1");
  const auto* l = frame->envelope(1)->body_as_CustomerLeft();
  EXPECT_EQ(frame->envelope(1)->seq(), 2u);
  EXPECT_EQ(Str(l->customer_id()), "c-2");

  broker.SendError(c.peer, wire::ErrorCode::UnknownSession, "no open session", 2);
  auto err = c.inbox.WaitFor<ErrorEvent>(adapter);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->request, RequestKind::kCustomerLeft);
  EXPECT_EQ(err->tenant, "acme");
  EXPECT_EQ(err->customer_id, "c-2");
}

TEST(AdapterRouting, ReportsPositionAndOverflow) {
  FakeBroker broker;
  auto c = ConnectAdapter(broker, AdapterOpts());
  ASSERT_TRUE(c.client.has_value());
  Adapter& adapter = *c.client;
  protocol::FrameBuilder b;
  auto& fbb = b.fbb();
  b.Add(0, wire::Body::Position,
        wire::CreatePositionDirect(fbb, 8, "acme", wire::Channel::Phone, "c-1", 4, 90000).Union());
  b.Add(0, wire::Body::Overflowed,
        wire::CreateOverflowedDirect(fbb, 8, "acme", wire::Channel::Phone, "c-1", "bots", false,
                                     "waited over 5 minutes")
            .Union());
  broker.Send(c.peer, b);
  auto position = c.inbox.WaitFor<Position>(adapter);
  ASSERT_TRUE(position.has_value());
  EXPECT_EQ(*position, (Position{8, "acme", Channel::kPhone, "c-1", 4, 90000}));
  auto overflowed = c.inbox.WaitFor<Overflowed>(adapter);
  ASSERT_TRUE(overflowed.has_value());
  EXPECT_EQ(*overflowed, (Overflowed{8, "acme", Channel::kPhone, "c-1", "bots", false,
                                     "waited over 5 minutes"}));
}

TEST(AdminRouting, ReloadRoutingIsAnsweredByRequestId) {
  FakeBroker broker;
  AdminOptions options;
  options.client_id = "ops-1";
  options.heartbeat = 10s;
  auto c = ConnectAdmin(broker, options);
  ASSERT_TRUE(c.client.has_value());
  Admin& admin = *c.client;

  // The broker plays both answers on a helper thread's requests.
  auto first = std::async(std::launch::async, [&] { return admin.ReloadRouting(5s); });
  auto request = broker.ReceiveSkippingHeartbeats();
  ASSERT_TRUE(request.has_value());
  ASSERT_EQ(request->types(), std::vector<wire::Body>{wire::Body::ReloadRouting});
  EXPECT_EQ(request->envelope(0)->seq(), 0u);
  const uint64_t id = request->envelope(0)->body_as_ReloadRouting()->request_id();
  protocol::FrameBuilder b;
  b.Add(0, wire::Body::RoutingReloaded, wire::CreateRoutingReloaded(b.fbb(), id).Union());
  broker.Send(c.peer, b);
  Status ok = first.get();
  EXPECT_TRUE(ok.ok()) << ok.ToString();

  auto second = std::async(std::launch::async, [&] { return admin.ReloadRouting(5s); });
  request = broker.ReceiveSkippingHeartbeats();
  ASSERT_TRUE(request.has_value());
  const uint64_t id2 = request->envelope(0)->body_as_ReloadRouting()->request_id();
  EXPECT_NE(id2, id);
  auto e = wire::CreateErrorDirect(b.fbb(), wire::ErrorCode::BadRequest,
                                   "routing.toml line 12: field 'strategy': unknown value", 0, 0, 0,
                                   id2);
  b.Add(0, wire::Body::Error, e.Union());
  broker.Send(c.peer, b);
  Status failed = second.get();
  EXPECT_EQ(failed.code(), ErrorCode::kBadRequest);
  EXPECT_NE(failed.error().reason.find("line 12"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::client
