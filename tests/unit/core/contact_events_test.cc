// The contact events the core emits for the metrics: which, when, with what waits and labels;
// ratings and orders; the read-only views the metrics sample.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/broker_core.h"

namespace switchboard::core {
namespace {

using Kind = ContactEvent::Kind;

class ContactEventsTest : public ::testing::Test {
 protected:
  explicit ContactEventsTest(CoreConfig config = Config()) : core_(config) {
    core_.Restore({}, clock_.Now());
  }

  static CoreConfig Config() {
    CoreConfig c;
    c.offer_timeout = 10 * kSeconds;
    c.fcr_window = 48 * 3600 * kSeconds;
    return c;
  }

  void Hello(Role role, const std::string& id, const std::string& group = "",
             uint16_t im_capacity = 1) {
    HelloIn h;
    h.role = role;
    h.client_id = id;
    h.epoch = 1;
    if (role == Role::kAdapter) {
      h.channels = {Channel::kIm, Channel::kPhone};
    }
    h.group = group;
    h.capacity = {{Channel::kIm, im_capacity}};
    ASSERT_TRUE(core_.OnHello(h, clock_.Now()).ok());
  }

  uint64_t Begin(const std::string& client) {
    const uint64_t seq = ++seqs_[client];
    EXPECT_EQ(Admission::kApply, core_.BeginEnvelope(client, seq));
    return seq;
  }

  Status Customer(const std::string& customer, const std::string& topic = "refund",
                  const std::string& tenant = "shop", Channel channel = Channel::kIm) {
    const uint64_t seq = Begin("im-1");
    CustomerMessageIn m;
    m.tenant = tenant;
    m.channel = channel;
    m.customer_id = customer;
    m.text = "hello";
    m.attributes.topic = topic;
    return core_.OnCustomerMessage("im-1", seq, m, clock_.Now());
  }
  Status Accept(const std::string& worker, const OfferOut& offer) {
    return core_.OnAccept(worker, Begin(worker), offer.session_id, offer.attempt, clock_.Now());
  }
  Status Reject(const std::string& worker, const OfferOut& offer) {
    return core_.OnReject(worker, Begin(worker), offer.session_id, offer.attempt, clock_.Now());
  }
  Status Reply(const std::string& worker, SessionId session) {
    return core_.OnAgentMessage(worker, Begin(worker), session, "sure", clock_.Now());
  }
  Status Close(const std::string& worker, SessionId session,
               Disposition disposition = Disposition::kResolved) {
    return core_.OnClose(worker, Begin(worker), session, disposition, clock_.Now());
  }
  Status Rate(const std::string& adapter, SessionId session, int rating) {
    return core_.OnRating(adapter, Begin(adapter), session, rating, clock_.Now());
  }

  // Ends the turn; returns its events (and keeps its offers in last_offers_).
  std::vector<ContactEvent> Turn() {
    TurnOutput& out = core_.FinishTurn();
    std::vector<ContactEvent> events = out.events;
    last_offers_.clear();
    for (const Outgoing& o : out.outgoing) {
      if (const auto* offer = std::get_if<OfferOut>(&o.body)) {
        last_offers_.push_back(*offer);
      }
    }
    core_.output().Clear();
    return events;
  }

  // A customer's session answered by `worker`; returns its offer.
  OfferOut Answered(const std::string& customer, const std::string& worker,
                    const std::string& topic = "refund") {
    EXPECT_TRUE(Customer(customer, topic).ok());
    Turn();
    EXPECT_EQ(last_offers_.size(), 1u);
    OfferOut offer = last_offers_.at(0);
    EXPECT_TRUE(Accept(worker, offer).ok());
    Turn();
    return offer;
  }

  static std::vector<ContactEvent> OfKind(const std::vector<ContactEvent>& events, Kind kind) {
    std::vector<ContactEvent> found;
    std::copy_if(events.begin(), events.end(), std::back_inserter(found),
                 [kind](const ContactEvent& e) { return e.kind == kind; });
    return found;
  }

  ManualClock clock_;
  BrokerCore core_;
  std::map<std::string, uint64_t> seqs_;
  std::vector<OfferOut> last_offers_;
};

TEST_F(ContactEventsTest, NewContactIsOpenedAndQueuedWithItsLabels) {
  Hello(Role::kAdapter, "im-1");
  Turn();
  ASSERT_TRUE(Customer("c1", "refund", "shop", Channel::kPhone).ok());
  const auto events = Turn();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, Kind::kOpened);
  EXPECT_EQ(events[1].kind, Kind::kQueued);
  EXPECT_EQ(events[2].kind, Kind::kCustomerMessage);
  const ContactLabels expected{"default", Channel::kPhone, "shop", "refund"};
  for (const ContactEvent& e : events) {
    EXPECT_EQ(e.labels, expected);
    EXPECT_TRUE(e.agent.empty());
  }
  // A second message of the open session is only a message.
  ASSERT_TRUE(Customer("c1", "refund", "shop", Channel::kPhone).ok());
  const auto more = Turn();
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].kind, Kind::kCustomerMessage);
}

TEST_F(ContactEventsTest, AcceptIsAnsweredWithTheWaitTheAgentAndItsGroup) {
  Hello(Role::kAdapter, "im-1");
  Turn();
  ASSERT_TRUE(Customer("c1").ok());
  Turn();  // no agent yet: it waits
  clock_.Advance(7 * kSeconds);
  Hello(Role::kWorker, "alice", "post-sale");
  Turn();
  ASSERT_EQ(last_offers_.size(), 1u);
  clock_.Advance(2 * kSeconds);
  ASSERT_TRUE(Accept("alice", last_offers_[0]).ok());
  const auto answered = OfKind(Turn(), Kind::kAnswered);
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0].wait, 9 * kSeconds);
  EXPECT_EQ(answered[0].agent, "alice");
  EXPECT_EQ(answered[0].group, "post-sale");
  EXPECT_EQ(answered[0].labels.topic, "refund");
}

TEST_F(ContactEventsTest, FirstResponseAndResponsesAreTimedFromTheRightMessages) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice", "pre-sale");
  Turn();
  ASSERT_TRUE(Customer("c1").ok());  // t = 0: the first customer message
  Turn();
  const OfferOut offer = last_offers_.at(0);
  clock_.Advance(3 * kSeconds);
  ASSERT_TRUE(Customer("c1").ok());  // t = 3, while offered
  clock_.Advance(7 * kSeconds);
  ASSERT_TRUE(Accept("alice", offer).ok());  // t = 10
  Turn();
  clock_.Advance(2 * kSeconds);
  ASSERT_TRUE(Reply("alice", offer.session_id).ok());  // t = 12
  auto events = Turn();
  auto first = OfKind(events, Kind::kFirstResponse);
  auto responses = OfKind(events, Kind::kResponse);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].wait, 12 * kSeconds);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].wait, 12 * kSeconds);  // from the oldest unanswered message
  EXPECT_EQ(OfKind(events, Kind::kAgentMessage).size(), 1u);

  // A second reply answers nothing new: a message, no response.
  clock_.Advance(kSeconds);
  ASSERT_TRUE(Reply("alice", offer.session_id).ok());
  events = Turn();
  EXPECT_TRUE(OfKind(events, Kind::kResponse).empty());
  EXPECT_EQ(OfKind(events, Kind::kAgentMessage).size(), 1u);

  // Two customer messages, one reply: timed from the first of them; no first response again.
  clock_.Advance(kSeconds);
  ASSERT_TRUE(Customer("c1").ok());
  clock_.Advance(4 * kSeconds);
  ASSERT_TRUE(Customer("c1").ok());
  clock_.Advance(5 * kSeconds);
  ASSERT_TRUE(Reply("alice", offer.session_id).ok());
  events = Turn();
  EXPECT_TRUE(OfKind(events, Kind::kFirstResponse).empty());
  responses = OfKind(events, Kind::kResponse);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].wait, 9 * kSeconds);
  EXPECT_EQ(OfKind(events, Kind::kCustomerMessage).size(), 2u);
}

TEST_F(ContactEventsTest, CloseCarriesHandleTimeDispositionAndGroup) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice", "complaints");
  Turn();
  const OfferOut offer = Answered("c1", "alice");
  clock_.Advance(300 * kSeconds);
  ASSERT_TRUE(Close("alice", offer.session_id, Disposition::kEscalated).ok());
  const auto closed = OfKind(Turn(), Kind::kClosed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].handle, 300 * kSeconds);
  EXPECT_EQ(closed[0].disposition, Disposition::kEscalated);
  EXPECT_EQ(closed[0].group, "complaints");
  EXPECT_EQ(closed[0].agent, "alice");
}

TEST_F(ContactEventsTest, RejectedAndExpiredOffersAreMissedByThatAgent) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice", "pre-sale");
  Turn();
  ASSERT_TRUE(Customer("c1").ok());
  Turn();
  ASSERT_TRUE(Reject("alice", last_offers_.at(0)).ok());
  auto missed = OfKind(Turn(), Kind::kOfferMissed);
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].agent, "alice");
  EXPECT_EQ(missed[0].group, "pre-sale");

  clock_.Advance(kSeconds);
  Hello(Role::kWorker, "bob", "post-sale");
  Turn();
  ASSERT_EQ(last_offers_.size(), 1u);
  clock_.Advance(11 * kSeconds);
  core_.OnActivity("im-1", clock_.Now());  // alive past the heartbeat timeout
  core_.OnActivity("bob", clock_.Now());
  core_.OnTick(clock_.Now());
  missed = OfKind(Turn(), Kind::kOfferMissed);
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].agent, "bob");
  EXPECT_EQ(missed[0].group, "post-sale");
}

TEST_F(ContactEventsTest, RecontactOnTheSameTopicWithinTheWindowCountsOnce) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice", "g", 4);
  Turn();
  OfferOut offer = Answered("c1", "alice");
  ASSERT_TRUE(Close("alice", offer.session_id, Disposition::kResolved).ok());
  Turn();

  clock_.Advance(3600 * kSeconds);
  ASSERT_TRUE(Customer("c1", "refund", "shop", Channel::kPhone).ok());  // any channel
  auto recontacts = OfKind(Turn(), Kind::kRecontact);
  ASSERT_EQ(recontacts.size(), 1u);
  EXPECT_EQ(recontacts[0].disposition, Disposition::kResolved);
  EXPECT_EQ(recontacts[0].labels.topic, "refund");
  EXPECT_EQ(recontacts[0].labels.channel, Channel::kPhone);

  // The same close is not spoiled twice; another topic or customer is no re-contact.
  ASSERT_TRUE(Customer("c1", "refund").ok());
  ASSERT_TRUE(Customer("c1", "delivery", "shop", Channel::kPhone).ok());
  ASSERT_TRUE(Customer("c2", "refund").ok());
  EXPECT_TRUE(OfKind(Turn(), Kind::kRecontact).empty());
}

TEST_F(ContactEventsTest, RecontactAfterTheWindowIsNone) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice");
  Turn();
  OfferOut offer = Answered("c1", "alice");
  ASSERT_TRUE(Close("alice", offer.session_id, Disposition::kUnresolved).ok());
  Turn();
  clock_.Advance(48 * 3600 * kSeconds + 1);
  Hello(Role::kAdapter, "im-1");
  ASSERT_TRUE(Customer("c1").ok());
  EXPECT_TRUE(OfKind(Turn(), Kind::kRecontact).empty());
}

TEST_F(ContactEventsTest, RecontactCarriesTheEarlierDisposition) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice");
  Turn();
  OfferOut offer = Answered("c1", "alice");
  ASSERT_TRUE(Close("alice", offer.session_id, Disposition::kUnresolved).ok());
  Turn();
  ASSERT_TRUE(Customer("c1").ok());
  auto recontacts = OfKind(Turn(), Kind::kRecontact);
  ASSERT_EQ(recontacts.size(), 1u);
  EXPECT_EQ(recontacts[0].disposition, Disposition::kUnresolved);
}

class BoundedMemoryTest : public ContactEventsTest {
 protected:
  BoundedMemoryTest() : ContactEventsTest(Small()) {}
  static CoreConfig Small() {
    CoreConfig c = Config();
    c.fcr_memory = 2;
    c.rating_memory = 2;
    return c;
  }
};

TEST_F(BoundedMemoryTest, OldestClosesAreForgottenPastTheBounds) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice");
  Turn();
  std::vector<SessionId> sessions;
  for (const std::string customer : {"c1", "c2", "c3"}) {
    OfferOut offer = Answered(customer, "alice");
    ASSERT_TRUE(Close("alice", offer.session_id).ok());
    Turn();
    sessions.push_back(offer.session_id);
  }
  // c1's close is forgotten (3 closes, room for 2): no re-contact, no rating.
  EXPECT_EQ(Rate("im-1", sessions[0], 5).code(), Code::kUnknownSession);
  EXPECT_TRUE(Rate("im-1", sessions[2], 5).ok());
  Turn();
  ASSERT_TRUE(Customer("c1").ok());
  EXPECT_TRUE(OfKind(Turn(), Kind::kRecontact).empty());
  ASSERT_TRUE(Customer("c3").ok());
  EXPECT_EQ(OfKind(Turn(), Kind::kRecontact).size(), 1u);
}

TEST_F(ContactEventsTest, RatingOfAClosedSessionCarriesItsLabelsAndGroup) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice", "post-sale");
  Turn();
  const OfferOut offer = Answered("c1", "alice");
  ASSERT_TRUE(Close("alice", offer.session_id).ok());
  Turn();
  ASSERT_TRUE(Rate("im-1", offer.session_id, 4).ok());
  const auto events = Turn();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kRating);
  EXPECT_EQ(events[0].rating, 4);
  EXPECT_EQ(events[0].group, "post-sale");
  EXPECT_EQ(events[0].labels, (ContactLabels{"default", Channel::kIm, "shop", "refund"}));
}

TEST_F(ContactEventsTest, RatingIsCheckedAndTakenOncePerSession) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice");
  Turn();
  const OfferOut offer = Answered("c1", "alice");
  for (int bad : {0, 6, -1}) {
    Status st = Rate("im-1", offer.session_id, bad);
    EXPECT_EQ(st.code(), Code::kBadRequest) << bad;
    EXPECT_NE(st.message().find("1 to 5"), std::string::npos);
  }
  EXPECT_EQ(Rate("im-1", 999, 3).code(), Code::kUnknownSession);
  EXPECT_EQ(core_.OnRating("alice", Begin("alice"), offer.session_id, 3, clock_.Now()).code(),
            Code::kWrongRole);
  auto events = Turn();
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(Rate("im-1", offer.session_id, 2).ok());  // open sessions may be rated
  EXPECT_EQ(OfKind(Turn(), Kind::kRating).size(), 1u);
  ASSERT_TRUE(Close("alice", offer.session_id).ok());
  Turn();
  Status again = Rate("im-1", offer.session_id, 5);  // the rating follows it past the close
  EXPECT_EQ(again.code(), Code::kBadRequest);
  EXPECT_NE(again.message().find("already rated"), std::string::npos);
  EXPECT_TRUE(Turn().empty());
}

TEST_F(ContactEventsTest, OrdersAreCountedForTheirTenantFromServicesOnly) {
  Hello(Role::kService, "orders");
  Hello(Role::kAdapter, "im-1");
  Turn();
  ASSERT_TRUE(core_.OnOrder("orders", Begin("orders"), "shop", "o-1", 3, clock_.Now()).ok());
  auto events = Turn();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kOrder);
  EXPECT_EQ(events[0].labels.tenant, "shop");
  EXPECT_EQ(events[0].count, 3u);

  EXPECT_EQ(core_.OnOrder("orders", Begin("orders"), "", "o-2", 1, clock_.Now()).code(),
            Code::kBadRequest);
  EXPECT_EQ(core_.OnOrder("orders", Begin("orders"), "shop", "o-2", 0, clock_.Now()).code(),
            Code::kBadRequest);
  EXPECT_EQ(core_
                .OnOrder("orders", Begin("orders"), "shop", "o-2", BrokerCore::kMaxOrderCount + 1,
                         clock_.Now())
                .code(),
            Code::kBadRequest);
  EXPECT_EQ(core_.OnOrder("orders", Begin("orders"), "shop", std::string(300, 'x'), 1, clock_.Now())
                .code(),
            Code::kBadRequest);
  EXPECT_EQ(core_.OnOrder("im-1", Begin("im-1"), "shop", "o-2", 1, clock_.Now()).code(),
            Code::kWrongRole);
  EXPECT_TRUE(Turn().empty());
}

TEST_F(ContactEventsTest, SessionsOfAnAgentGonePastGraceAreQueuedAgain) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice");
  Turn();
  Answered("c1", "alice");
  core_.OnDisconnect("alice", clock_.Now());
  Turn();
  clock_.Advance(61 * kSeconds);
  Hello(Role::kAdapter, "im-1");
  core_.OnTick(clock_.Now());
  const auto queued = OfKind(Turn(), Kind::kQueued);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].labels.topic, "refund");
}

TEST_F(ContactEventsTest, RecoveredSessionsHaveNoFirstResponseButLaterResponses) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice");
  Turn();
  const OfferOut offer = Answered("c1", "alice");
  Session s = *core_.FindSession(offer.session_id);
  RecoveredState state;
  state.open_sessions.push_back(s);
  BrokerCore restored(Config());
  restored.Restore(state, clock_.Now());
  HelloIn h;
  h.role = Role::kWorker;
  h.client_id = "alice";
  h.epoch = 2;
  ASSERT_TRUE(restored.OnHello(h, clock_.Now()).ok());
  h.role = Role::kAdapter;
  h.client_id = "im-1";
  h.channels = {Channel::kIm};
  ASSERT_TRUE(restored.OnHello(h, clock_.Now()).ok());
  restored.FinishTurn();
  restored.output().Clear();

  ASSERT_EQ(Admission::kApply, restored.BeginEnvelope("alice", 1));
  ASSERT_TRUE(restored.OnAgentMessage("alice", 1, offer.session_id, "hi", clock_.Now()).ok());
  auto events = restored.FinishTurn().events;
  restored.output().Clear();
  EXPECT_TRUE(OfKind(events, Kind::kFirstResponse).empty());
  EXPECT_TRUE(OfKind(events, Kind::kResponse).empty());

  CustomerMessageIn m{"shop", Channel::kIm, "c1", "still there?", {}};
  ASSERT_EQ(Admission::kApply, restored.BeginEnvelope("im-1", 1));
  ASSERT_TRUE(restored.OnCustomerMessage("im-1", 1, m, clock_.Now()).ok());
  clock_.Advance(4 * kSeconds);
  ASSERT_EQ(Admission::kApply, restored.BeginEnvelope("alice", 2));
  ASSERT_TRUE(restored.OnAgentMessage("alice", 2, offer.session_id, "yes", clock_.Now()).ok());
  events = restored.FinishTurn().events;
  EXPECT_TRUE(OfKind(events, Kind::kFirstResponse).empty());
  auto responses = OfKind(events, Kind::kResponse);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].wait, 4 * kSeconds);
}

TEST_F(ContactEventsTest, AgentsByGroupCountsEachState) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "a1", "pre-sale");
  Hello(Role::kWorker, "a2", "pre-sale");
  Hello(Role::kWorker, "b1", "post-sale", 2);
  Hello(Role::kWorker, "gone", "post-sale");
  Turn();
  core_.OnDisconnect("gone", clock_.Now());
  // Contacts go to the longest idle: a1 (at capacity), then a2 (at capacity), then b1 (1 of 2).
  ASSERT_TRUE(Customer("c1").ok());
  ASSERT_TRUE(Customer("c2").ok());
  ASSERT_TRUE(Customer("c3").ok());
  Turn();
  const auto groups = core_.AgentsByGroup();
  ASSERT_EQ(groups.size(), 2u);
  const auto& pre = groups.at("pre-sale");
  EXPECT_EQ(pre.available, 0u);
  EXPECT_EQ(pre.busy, 2u);
  EXPECT_EQ(pre.handling, 2u);
  EXPECT_EQ(pre.offline, 0u);
  const auto& post = groups.at("post-sale");
  EXPECT_EQ(post.available, 1u);
  EXPECT_EQ(post.busy, 0u);
  EXPECT_EQ(post.handling, 1u);
  // "gone" signed out holding nothing: the routing engine forgets it (offline counts the
  // agents gone within their grace, still holding sessions).
  EXPECT_EQ(post.offline, 0u);
  EXPECT_EQ(post.away, 0u);
}

TEST_F(ContactEventsTest, QueuesReportDepthAndOldestWait) {
  Hello(Role::kAdapter, "im-1");
  Turn();
  auto queues = core_.Queues(clock_.Now(), true);
  ASSERT_EQ(queues.size(), 1u);  // the default queue, before any contact
  EXPECT_EQ(queues[0].queue, "default");
  EXPECT_EQ(queues[0].waiting, 0u);
  ASSERT_TRUE(Customer("c1").ok());
  clock_.Advance(5 * kSeconds);
  ASSERT_TRUE(Customer("c2").ok());
  Turn();
  clock_.Advance(2 * kSeconds);
  queues = core_.Queues(clock_.Now(), true);
  ASSERT_EQ(queues.size(), 1u);
  EXPECT_EQ(queues[0].waiting, 2u);
  EXPECT_EQ(queues[0].oldest_wait, 7 * kSeconds);
  EXPECT_EQ(core_.Queues(clock_.Now(), false)[0].oldest_wait, 0);  // not asked for
}

TEST_F(ContactEventsTest, ClientsAreCountedByRoleAndRedeliveriesRunningTotal) {
  Hello(Role::kAdapter, "im-1");
  Hello(Role::kWorker, "alice");
  Hello(Role::kService, "orders");
  Turn();
  EXPECT_EQ(core_.clients_connected(Role::kAdapter), 1u);
  EXPECT_EQ(core_.clients_connected(Role::kWorker), 1u);
  EXPECT_EQ(core_.clients_connected(Role::kService), 1u);
  EXPECT_EQ(core_.clients_connected(Role::kAdmin), 0u);
  Hello(Role::kWorker, "alice");  // a new connection replaces the old: still one
  EXPECT_EQ(core_.clients_connected(Role::kWorker), 1u);
  core_.OnDisconnect("orders", clock_.Now());
  EXPECT_EQ(core_.clients_connected(Role::kService), 0u);

  const OfferOut offer = Answered("c1", "alice");  // one delivery to alice, not acknowledged
  EXPECT_EQ(core_.redeliveries(), 0u);
  Hello(Role::kWorker, "alice");  // signs in again: the delivery is sent again
  Turn();
  EXPECT_EQ(core_.redeliveries(), 1u);
  (void)offer;
}

}  // namespace
}  // namespace switchboard::core
