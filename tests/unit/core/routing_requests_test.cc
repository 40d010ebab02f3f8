// BrokerCore's routing entry points: a customer leaving (waiting, offered, answered), the
// position in the queue, an agent's profile update, and the answers of the handlers the
// routing engine will implement.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/broker_core.h"
#include "sent.h"

namespace switchboard::core {
namespace {

class RoutingRequestsTest : public ::testing::Test {
 protected:
  RoutingRequestsTest() : core_(Config()) { core_.Restore({}, clock_.Now()); }

  static CoreConfig Config() {
    CoreConfig c;
    c.offer_timeout = 10 * kSeconds;
    c.heartbeat_interval = 60 * kSeconds;  // clients stay connected across the offer timeout
    return c;
  }

  void Adapter(const std::string& id) {
    HelloIn h;
    h.role = Role::kAdapter;
    h.client_id = id;
    h.epoch = 1;
    h.channels = {Channel::kIm};
    ASSERT_TRUE(core_.OnHello(h, clock_.Now()).ok());
  }

  void Worker(const std::string& id, uint16_t im_capacity = 1, bool bot = false) {
    HelloIn h;
    h.role = Role::kWorker;
    h.client_id = id;
    h.epoch = 1;
    h.capacity = {{Channel::kIm, im_capacity}};
    h.profile.tier = 2;
    h.profile.attributes = {{"language", "de"}};
    if (bot) {
      h.profile.attributes.push_back({"bot", "1"});
    }
    ASSERT_TRUE(core_.OnHello(h, clock_.Now()).ok());
  }

  uint64_t Begin(const std::string& client) {
    const uint64_t seq = ++seqs_[client];
    EXPECT_EQ(Admission::kApply, core_.BeginEnvelope(client, seq));
    return seq;
  }

  Status Customer(const std::string& customer) {
    const uint64_t seq = Begin("im-1");
    CustomerMessageIn m;
    m.tenant = "shop";
    m.customer_id = customer;
    m.text = "hello";
    m.attributes.topic = "refund";
    return core_.OnCustomerMessage("im-1", seq, m, clock_.Now());
  }

  Status Left(const std::string& customer, const std::string& adapter = "im-1") {
    const uint64_t seq = Begin(adapter);
    return core_.OnCustomerLeft(adapter, seq, CustomerLeftIn{"shop", Channel::kIm, customer},
                                clock_.Now());
  }

  Status AskPosition(const std::string& customer) {
    const uint64_t seq = Begin("im-1");
    return core_.OnPositionRequest("im-1", seq, PositionRequestIn{"shop", Channel::kIm, customer},
                                   clock_.Now());
  }

  TurnOutput Turn() {
    TurnOutput out = core_.FinishTurn();
    core_.output().Clear();
    return out;
  }

  template <typename T>
  static std::vector<T> Sent(const TurnOutput& out, const std::string& client) {
    return test_support::Sent<T>(out, client);
  }

  ManualClock clock_;
  BrokerCore core_;
  std::map<std::string, uint64_t> seqs_;
};

TEST_F(RoutingRequestsTest, CustomerLeavingWhileWaitingAbandonsTheSession) {
  Adapter("im-1");
  ASSERT_TRUE(Customer("c1").ok());
  ASSERT_TRUE(Customer("c2").ok());
  Turn();
  ASSERT_EQ(core_.queue_depth(), 2u);
  const SessionId sid = *core_.FindOpenSession("shop", Channel::kIm, "c1");
  clock_.Advance(3 * kSeconds);

  ASSERT_TRUE(Left("c1").ok());
  TurnOutput t = Turn();
  EXPECT_EQ(core_.queue_depth(), 1u);
  EXPECT_EQ(core_.FindSession(sid), nullptr);
  EXPECT_FALSE(core_.FindOpenSession("shop", Channel::kIm, "c1").has_value());
  // c2's waiting message is held, c1's is dropped; the Closed delivery waits in the outbox.
  EXPECT_EQ(core_.outbox_size(), 1u);
  EXPECT_EQ(core_.held_messages(), 2u);
  ASSERT_EQ(t.mutations.sessions.size(), 1u);
  EXPECT_EQ(t.mutations.sessions[0].state, SessionState::kClosed);
  EXPECT_EQ(t.mutations.sessions[0].disposition, Disposition::kAbandoned);
  auto closed = Sent<Delivery>(t, "im-1");
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].kind, Delivery::Kind::kClosed);
  EXPECT_EQ(closed[0].disposition, Disposition::kAbandoned);
  // An abandon after 3 s (under the default short-abandon limit of 5 s), then the close.
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_EQ(t.events[0].kind, ContactEvent::Kind::kAbandoned);
  EXPECT_EQ(t.events[0].wait, 3 * kSeconds);
  EXPECT_TRUE(t.events[0].short_abandon);
  EXPECT_EQ(t.events[0].labels.topic, "refund");
  EXPECT_EQ(t.events[1].kind, ContactEvent::Kind::kClosed);
  EXPECT_EQ(t.events[1].disposition, Disposition::kAbandoned);
  EXPECT_EQ(t.events[1].handle, 0);
  EXPECT_TRUE(t.events[1].agent.empty());

  // The next agent gets c2, not the abandoned contact.
  Worker("alice");
  auto offers = Sent<OfferOut>(Turn(), "alice");
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].customer_id, "c2");
}

TEST_F(RoutingRequestsTest, CustomerLeavingAfterTheShortAbandonLimitIsAnAbandon) {
  Adapter("im-1");
  ASSERT_TRUE(Customer("c1").ok());
  Turn();
  clock_.Advance(core_.config().short_abandon);  // not under the limit: a counted abandon

  ASSERT_TRUE(Left("c1").ok());
  TurnOutput t = Turn();
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_EQ(t.events[0].kind, ContactEvent::Kind::kAbandoned);
  EXPECT_EQ(t.events[0].wait, core_.config().short_abandon);
  EXPECT_FALSE(t.events[0].short_abandon);
  EXPECT_EQ(t.events[1].kind, ContactEvent::Kind::kClosed);
}

TEST_F(RoutingRequestsTest, CustomerLeavingDuringAnOfferWithdrawsIt) {
  Adapter("im-1");
  Worker("alice");
  ASSERT_TRUE(Customer("c1").ok());
  auto offers = Sent<OfferOut>(Turn(), "alice");
  ASSERT_EQ(offers.size(), 1u);

  ASSERT_TRUE(Left("c1").ok());
  TurnOutput t = Turn();
  auto withdrawn = Sent<OfferWithdrawnOut>(t, "alice");
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].session_id, offers[0].session_id);
  EXPECT_EQ(withdrawn[0].attempt, offers[0].attempt);
  EXPECT_EQ(withdrawn[0].reason, WithdrawReason::kContactLeft);
  EXPECT_EQ(core_.sessions_open(), 0u);
  EXPECT_EQ(core_.queue_depth(), 0u);

  // Alice's capacity is free again: the next customer is offered to her.
  ASSERT_TRUE(Customer("c2").ok());
  EXPECT_EQ(Sent<OfferOut>(Turn(), "alice").size(), 1u);
  // Accepting the withdrawn offer is refused.
  const uint64_t seq = Begin("alice");
  EXPECT_EQ(
      core_.OnAccept("alice", seq, offers[0].session_id, offers[0].attempt, clock_.Now()).code(),
      Code::kStaleOffer);
}

TEST_F(RoutingRequestsTest, CustomerLeavingAnActiveSessionTellsTheAgent) {
  Adapter("im-1");
  Worker("alice");
  ASSERT_TRUE(Customer("c1").ok());
  auto offers = Sent<OfferOut>(Turn(), "alice");
  ASSERT_EQ(offers.size(), 1u);
  const uint64_t seq = Begin("alice");
  ASSERT_TRUE(
      core_.OnAccept("alice", seq, offers[0].session_id, offers[0].attempt, clock_.Now()).ok());
  Turn();

  ASSERT_TRUE(Left("c1").ok());
  TurnOutput t = Turn();
  auto to_agent = Sent<Delivery>(t, "alice");
  ASSERT_EQ(to_agent.size(), 1u);
  EXPECT_EQ(to_agent[0].kind, Delivery::Kind::kClosed);
  EXPECT_EQ(to_agent[0].session_id, offers[0].session_id);
  EXPECT_EQ(to_agent[0].disposition, Disposition::kAbandoned);
  auto to_adapter = Sent<Delivery>(t, "im-1");
  ASSERT_EQ(to_adapter.size(), 1u);
  EXPECT_EQ(to_adapter[0].kind, Delivery::Kind::kClosed);
  EXPECT_EQ(t.mutations.deliveries.size(), 2u);  // both durable until acknowledged
  EXPECT_EQ(core_.sessions_open(), 0u);
  // Answered: not an abandon of the queue, only the close of alice's session.
  ASSERT_EQ(t.events.size(), 1u);
  EXPECT_EQ(t.events[0].kind, ContactEvent::Kind::kClosed);
  EXPECT_EQ(t.events[0].disposition, Disposition::kAbandoned);
  EXPECT_EQ(t.events[0].agent, "alice");

  // Alice's capacity is free again.
  ASSERT_TRUE(Customer("c2").ok());
  EXPECT_EQ(Sent<OfferOut>(Turn(), "alice").size(), 1u);
}

TEST_F(RoutingRequestsTest, CustomerLeftWithoutASessionOrFromAWorkerIsRefused) {
  Adapter("im-1");
  Worker("alice");
  Turn();
  Status st = Left("nobody");
  EXPECT_EQ(st.code(), Code::kUnknownSession);
  auto errors = Sent<ErrorOut>(Turn(), "im-1");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, Code::kUnknownSession);
  EXPECT_EQ(errors[0].ref_seq, seqs_["im-1"]);

  ASSERT_TRUE(Customer("c1").ok());
  Turn();
  EXPECT_EQ(Left("c1", "alice").code(), Code::kWrongRole);
  EXPECT_EQ(core_.sessions_open(), 1u);
}

TEST_F(RoutingRequestsTest, PositionRequestAnswersThePlaceInTheQueue) {
  Adapter("im-1");
  for (const char* c : {"c1", "c2", "c3"}) {
    ASSERT_TRUE(Customer(c).ok());
  }
  Turn();
  ASSERT_TRUE(AskPosition("c3").ok());
  auto p = Sent<PositionOut>(Turn(), "im-1");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].position, 3u);
  EXPECT_EQ(p[0].customer_id, "c3");
  EXPECT_EQ(p[0].tenant, "shop");
  EXPECT_EQ(p[0].session_id, *core_.FindOpenSession("shop", Channel::kIm, "c3"));
  EXPECT_EQ(p[0].expected_wait_ms, 0u);  // no agent and no handle time yet: no estimate

  ASSERT_TRUE(Left("c1").ok());
  Turn();
  ASSERT_TRUE(AskPosition("c3").ok());
  EXPECT_EQ(Sent<PositionOut>(Turn(), "im-1").at(0).position, 2u);

  // Offered: no longer waiting.
  Worker("alice");
  Turn();
  ASSERT_TRUE(AskPosition("c2").ok());
  EXPECT_EQ(Sent<PositionOut>(Turn(), "im-1").at(0).position, 0u);

  EXPECT_EQ(AskPosition("nobody").code(), Code::kUnknownSession);

  // The answer goes to the adapter that asked, not the one that carried the customer.
  Adapter("im-2");
  Turn();
  const uint64_t seq = Begin("im-2");
  ASSERT_TRUE(core_.OnPositionRequest("im-2", seq, PositionRequestIn{"shop", Channel::kIm, "c3"},
                                      clock_.Now())
                  .ok());
  TurnOutput t = Turn();
  EXPECT_TRUE(Sent<PositionOut>(t, "im-1").empty());
  ASSERT_EQ(Sent<PositionOut>(t, "im-2").size(), 1u);
  EXPECT_EQ(Sent<PositionOut>(t, "im-2")[0].position, 1u);
}

TEST_F(RoutingRequestsTest, AgentUpdateChangesCapacityAndKeepsLoad) {
  Adapter("im-1");
  Worker("alice", 1);
  for (const char* c : {"c1", "c2", "c3"}) {
    ASSERT_TRUE(Customer(c).ok());
  }
  EXPECT_EQ(Sent<OfferOut>(Turn(), "alice").size(), 1u);

  AgentUpdateIn update;
  update.group = "post-sale";
  update.capacity = {{Channel::kIm, 2}};
  update.profile.tier = 2;
  update.profile.budget = 100;  // a chat costs 20: five, capped at two by `capacity`
  const uint64_t seq = Begin("alice");
  ASSERT_TRUE(core_.OnAgentUpdate("alice", seq, update, clock_.Now()).ok());
  // Room for one more (its first offer still counts), not for two.
  auto more = Sent<OfferOut>(Turn(), "alice");
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].customer_id, "c2");
  EXPECT_EQ(core_.queue_depth(), 3u);  // unanswered: two offered, one waiting

  const uint64_t seq2 = Begin("im-1");
  EXPECT_EQ(core_.OnAgentUpdate("im-1", seq2, update, clock_.Now()).code(), Code::kWrongRole);
}

TEST_F(RoutingRequestsTest, AnExpiredOfferIsWithdrawn) {
  Adapter("im-1");
  Worker("alice");
  ASSERT_TRUE(Customer("c1").ok());
  auto offers = Sent<OfferOut>(Turn(), "alice");
  ASSERT_EQ(offers.size(), 1u);
  clock_.Advance(11 * kSeconds);
  core_.OnTick(clock_.Now());
  auto withdrawn = Sent<OfferWithdrawnOut>(Turn(), "alice");
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].attempt, offers[0].attempt);
  EXPECT_EQ(withdrawn[0].reason, WithdrawReason::kExpired);
}

TEST_F(RoutingRequestsTest, AnAgentAwayGetsNoOffersUntilAvailable) {
  Adapter("im-1");
  Worker("alice");
  Turn();
  ASSERT_TRUE(core_.OnPresence("alice", Begin("alice"), PresenceIn{PresenceState::kAway},
                               clock_.Now())
                  .ok());
  ASSERT_TRUE(Customer("c1").ok());
  EXPECT_TRUE(Sent<OfferOut>(Turn(), "alice").empty());
  ASSERT_TRUE(core_.OnPresence("alice", Begin("alice"), PresenceIn{PresenceState::kAvailable},
                               clock_.Now())
                  .ok());
  EXPECT_EQ(Sent<OfferOut>(Turn(), "alice").size(), 1u);
  EXPECT_EQ(core_.OnPresence("im-1", Begin("im-1"), PresenceIn{}, clock_.Now()).code(),
            Code::kWrongRole);
  EXPECT_TRUE(core_.OnReady("alice", Begin("alice"), {}, clock_.Now()).ok());  // no wrap-up
}

TEST_F(RoutingRequestsTest, TransferredSessionGoesToTheNamedAgentWithItsTranscript) {
  Adapter("im-1");
  Worker("alice");
  ASSERT_TRUE(Customer("c1").ok());
  auto offers = Sent<OfferOut>(Turn(), "alice");
  ASSERT_EQ(offers.size(), 1u);
  const SessionId sid = offers[0].session_id;
  ASSERT_TRUE(core_.OnAccept("alice", Begin("alice"), sid, offers[0].attempt, clock_.Now()).ok());
  Turn();
  Worker("bob");
  Turn();
  // Only the holder may transfer, and only to a signed-in agent.
  EXPECT_EQ(core_.OnTransfer("bob", Begin("bob"), TransferIn{sid, "", "alice", ""}, clock_.Now())
                .code(),
            Code::kNotSessionOwner);
  EXPECT_EQ(
      core_.OnTransfer("alice", Begin("alice"), TransferIn{sid, "", "nobody", ""}, clock_.Now())
          .code(),
      Code::kNotSignedIn);
  Turn();
  ASSERT_TRUE(
      core_.OnTransfer("alice", Begin("alice"), TransferIn{sid, "", "bob", "refund"}, clock_.Now())
          .ok());
  TurnOutput t = Turn();
  auto to_bob = Sent<OfferOut>(t, "bob");
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(to_bob[0].session_id, sid);
  EXPECT_EQ(to_bob[0].transferred_from, "alice");
  EXPECT_EQ(to_bob[0].summary, "refund");  // the note for the next agent
  // The next agent gets the whole transcript: the engine reads it back from the store.
  EXPECT_EQ(t.load_transcripts, (std::vector<SessionId>{sid}));
  EXPECT_EQ(core_.FindSession(sid)->state, SessionState::kQueued);
  bool transferred = false;
  for (const ContactEvent& e : t.events) {
    transferred = transferred || e.kind == ContactEvent::Kind::kTransferred;
  }
  EXPECT_TRUE(transferred);
}

TEST_F(RoutingRequestsTest, EscalationWaitsForATierTwoAgent) {
  Adapter("im-1");
  HelloIn h;
  h.role = Role::kWorker;
  h.client_id = "first-line";
  h.epoch = 1;
  h.profile.tier = 1;
  ASSERT_TRUE(core_.OnHello(h, clock_.Now()).ok());
  ASSERT_TRUE(Customer("c1").ok());
  auto offers = Sent<OfferOut>(Turn(), "first-line");
  ASSERT_EQ(offers.size(), 1u);
  const SessionId sid = offers[0].session_id;
  ASSERT_TRUE(
      core_.OnAccept("first-line", Begin("first-line"), sid, offers[0].attempt, clock_.Now()).ok());
  Turn();
  ASSERT_TRUE(core_.OnEscalate("first-line", Begin("first-line"), EscalateIn{sid, "refund > 500"},
                               clock_.Now())
                  .ok());
  // The tier-1 agent has room again but is not offered its escalation.
  EXPECT_TRUE(Sent<OfferOut>(Turn(), "first-line").empty());
  Worker("expert");  // tier 2
  auto to_expert = Sent<OfferOut>(Turn(), "expert");
  ASSERT_EQ(to_expert.size(), 1u);
  EXPECT_EQ(to_expert[0].session_id, sid);
  EXPECT_TRUE(to_expert[0].follow_up);
}

TEST_F(RoutingRequestsTest, ABotHandsOffToAHumanQueueWithItsIntentAndSummary) {
  Adapter("im-1");
  Worker("bot", 1, /*bot=*/true);
  ASSERT_TRUE(Customer("c1").ok());
  auto offers = Sent<OfferOut>(Turn(), "bot");
  ASSERT_EQ(offers.size(), 1u);
  const SessionId sid = offers[0].session_id;
  ASSERT_TRUE(core_.OnAccept("bot", Begin("bot"), sid, offers[0].attempt, clock_.Now()).ok());
  ASSERT_TRUE(Customer("c2").ok());  // waits: the bot is busy
  Turn();
  ASSERT_TRUE(core_.OnHandoff("bot", Begin("bot"),
                              HandoffIn{sid, "default", "return", "wants to return shoes"},
                              clock_.Now())
                  .ok());
  // The hand-off is a new contact of the queue: behind c2, which the bot takes next.
  auto next = Sent<OfferOut>(Turn(), "bot");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].customer_id, "c2");
  Worker("human");
  auto to_human = Sent<OfferOut>(Turn(), "human");
  ASSERT_EQ(to_human.size(), 1u);
  EXPECT_EQ(to_human[0].session_id, sid);
  EXPECT_EQ(to_human[0].summary, "wants to return shoes");
  EXPECT_EQ(to_human[0].attributes.intent, "return");
  EXPECT_EQ(to_human[0].intent, "return");
  EXPECT_EQ(to_human[0].transferred_from, "bot");
  EXPECT_EQ(core_.OnHandoff("im-1", Begin("im-1"), HandoffIn{sid, "default", "", ""},
                            clock_.Now())
                .code(),
            Code::kWrongRole);
  // A human agent holding the contact cannot hand it off: that is a bot's move.
  ASSERT_TRUE(core_.OnAccept("human", Begin("human"), sid, to_human[0].attempt, clock_.Now())
                  .ok());
  EXPECT_EQ(core_.OnHandoff("human", Begin("human"), HandoffIn{sid, "default", "x", ""},
                            clock_.Now())
                .code(),
            Code::kWrongRole);
  ASSERT_NE(core_.FindSession(sid), nullptr);
  EXPECT_EQ(core_.FindSession(sid)->agent_id, "human");  // still with the human
}

}  // namespace
}  // namespace switchboard::core
