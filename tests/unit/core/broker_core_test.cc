#include "core/broker_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sent.h"

namespace switchboard::core {
namespace {

// Drives a BrokerCore the way the engine does: one envelope at a time, FinishTurn, clear.
class CoreTest : public ::testing::Test {
 protected:
  CoreTest() : core_(Config()) { core_.Restore({}, clock_.Now()); }

  // im-1 and alice signed in, customer c1's first message `text` offered to alice, and her
  // Accept applied (not yet turned): the offer.
  OfferOut AliceAnswers(const std::string& text) {
    Adapter("im-1");
    Worker("alice");
    Turn();
    EXPECT_TRUE(Customer("im-1", "c1", text).ok());
    const std::vector<OfferOut> offers = Sent<OfferOut>(Turn(), "alice");
    EXPECT_EQ(offers.size(), 1u);
    const OfferOut offer = offers.empty() ? OfferOut{} : offers.front();
    EXPECT_TRUE(Accept("alice", offer).ok());
    return offer;
  }

  static CoreConfig Config() {
    CoreConfig c;
    c.offer_timeout = 10 * kSeconds;
    c.max_queue_size = 3;
    return c;
  }

  void Adapter(const std::string& id, uint64_t epoch = 1) {
    HelloIn h;
    h.role = Role::kAdapter;
    h.client_id = id;
    h.epoch = epoch;
    h.channels = {Channel::kIm, Channel::kPhone};
    ASSERT_TRUE(core_.OnHello(h, clock_.Now()).ok());
  }

  void Worker(const std::string& id, uint16_t im_capacity = 1, uint64_t epoch = 1) {
    HelloIn h;
    h.role = Role::kWorker;
    h.client_id = id;
    h.epoch = epoch;
    h.capacity = {{Channel::kIm, im_capacity}};
    ASSERT_TRUE(core_.OnHello(h, clock_.Now()).ok());
  }

  uint64_t NextSeq(const std::string& client) { return ++seqs_[client]; }

  Status Customer(const std::string& adapter, const std::string& customer,
                  const std::string& text, Channel channel = Channel::kIm) {
    const uint64_t seq = NextSeq(adapter);
    EXPECT_EQ(Admission::kApply, core_.BeginEnvelope(adapter, seq));
    CustomerMessageIn m;
    m.tenant = "shop";
    m.channel = channel;
    m.customer_id = customer;
    m.text = text;
    m.attributes.topic = "refund";
    return core_.OnCustomerMessage(adapter, seq, m, clock_.Now());
  }

  Status Accept(const std::string& worker, const OfferOut& offer) {
    const uint64_t seq = NextSeq(worker);
    EXPECT_EQ(Admission::kApply, core_.BeginEnvelope(worker, seq));
    return core_.OnAccept(worker, seq, offer.session_id, offer.attempt, clock_.Now());
  }

  Status Reply(const std::string& worker, SessionId session, const std::string& text) {
    const uint64_t seq = NextSeq(worker);
    EXPECT_EQ(Admission::kApply, core_.BeginEnvelope(worker, seq));
    return core_.OnAgentMessage(worker, seq, session, text, clock_.Now());
  }

  Status Close(const std::string& worker, SessionId session) {
    const uint64_t seq = NextSeq(worker);
    EXPECT_EQ(Admission::kApply, core_.BeginEnvelope(worker, seq));
    return core_.OnClose(worker, seq, session, Disposition::kResolved, clock_.Now());
  }

  // Ends the turn and returns what it produced.
  TurnOutput Turn() {
    TurnOutput out = core_.FinishTurn();
    all_mutations_.push_back(out.mutations);
    core_.output().Clear();
    return out;
  }

  template <typename T>
  static std::vector<T> Sent(const TurnOutput& out, const std::string& client) {
    return test_support::Sent<T>(out, client);
  }

  // Replays every committed mutation into a RecoveredState, as the store would return it.
  RecoveredState Recovered() const {
    std::map<SessionId, Session> sessions;
    std::map<std::pair<SessionId, uint32_t>, TranscriptEntry> entries;
    std::map<DeliveryId, Delivery> outbox;
    std::map<std::string, ClientMark> marks;
    RecoveredState r;
    for (const Mutations& m : all_mutations_) {
      for (const Session& s : m.sessions) sessions[s.id] = s;
      for (const TranscriptEntry& e : m.entries) entries[{e.session_id, e.index}] = e;
      for (const Delivery& d : m.deliveries) outbox[d.id] = d;
      for (DeliveryId id : m.delivered) outbox.erase(id);
      for (const ClientMark& c : m.marks) marks[c.client_id] = c;
      if (m.counters) r.counters = *m.counters;
    }
    for (auto& [id, s] : sessions) {
      if (s.state == SessionState::kClosed) continue;
      r.open_sessions.push_back(s);
      if (s.state != SessionState::kActive) {
        for (auto& [key, e] : entries) {
          if (key.first == id) r.waiting_entries.push_back(e);
        }
      }
    }
    for (auto& [id, d] : outbox) {
      r.outbox.push_back(d);
      if (d.kind == Delivery::Kind::kMessage) {  // the store reads the entry back
        r.outbox.back().entry = entries.at({d.session_id, d.entry.index});
      }
    }
    for (auto& [id, m] : marks) r.marks.push_back(m);
    return r;
  }

  ManualClock clock_;
  BrokerCore core_;
  std::map<std::string, uint64_t> seqs_;
  std::vector<Mutations> all_mutations_;
};

TEST_F(CoreTest, FullConversationReachesAgentAndAdapter) {
  Adapter("im-1");
  Worker("alice");
  Turn();

  ASSERT_TRUE(Customer("im-1", "c1", "where is my parcel?").ok());
  TurnOutput t1 = Turn();
  auto offers = Sent<OfferOut>(t1, "alice");
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].customer_id, "c1");
  EXPECT_EQ(offers[0].attributes.topic, "refund");
  EXPECT_EQ(Sent<AckOut>(t1, "im-1").at(0).up_to, 1u);
  ASSERT_EQ(t1.mutations.entries.size(), 1u);
  ASSERT_EQ(t1.mutations.sessions.size(), 1u);
  // Offered is the routing engine's business: the session stays queued until accepted.
  EXPECT_EQ(t1.mutations.sessions[0].state, SessionState::kQueued);

  ASSERT_TRUE(Customer("im-1", "c1", "order 42").ok());  // still waiting: kept, not delivered
  EXPECT_TRUE(Sent<Delivery>(Turn(), "alice").empty());

  ASSERT_TRUE(Accept("alice", offers[0]).ok());
  TurnOutput t2 = Turn();
  auto backlog = Sent<Delivery>(t2, "alice");
  ASSERT_EQ(backlog.size(), 2u);
  EXPECT_EQ(backlog[0].entry.text, "where is my parcel?");
  EXPECT_EQ(backlog[1].entry.text, "order 42");
  EXPECT_LT(backlog[0].id, backlog[1].id);
  EXPECT_EQ(t2.mutations.deliveries.size(), 2u);

  ASSERT_TRUE(Customer("im-1", "c1", "hello?").ok());
  auto live = Sent<Delivery>(Turn(), "alice");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].entry.index, 2u);

  const SessionId sid = offers[0].session_id;
  ASSERT_TRUE(Reply("alice", sid, "it ships today").ok());
  auto replies = Sent<Delivery>(Turn(), "im-1");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].entry.from, Party::kAgent);
  EXPECT_EQ(replies[0].entry.agent_id, "alice");
  EXPECT_EQ(replies[0].entry.index, 3u);

  ASSERT_TRUE(Close("alice", sid).ok());
  TurnOutput t3 = Turn();
  auto closed = Sent<Delivery>(t3, "im-1");
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].kind, Delivery::Kind::kClosed);
  ASSERT_EQ(t3.mutations.sessions.size(), 1u);
  EXPECT_EQ(t3.mutations.sessions[0].state, SessionState::kClosed);
  EXPECT_EQ(core_.sessions_open(), 0u);

  // The same customer writing again opens a new session.
  ASSERT_TRUE(Customer("im-1", "c1", "one more thing").ok());
  auto again = Sent<OfferOut>(Turn(), "alice");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].session_id, sid);
}

TEST_F(CoreTest, OffersGoToTheLongestIdleAgentWithRoom) {
  Adapter("im-1");
  Worker("first");
  clock_.Advance(kSeconds);
  Worker("second");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  auto t1 = Turn();
  ASSERT_EQ(Sent<OfferOut>(t1, "first").size(), 1u);
  EXPECT_TRUE(Sent<OfferOut>(t1, "second").empty());
  ASSERT_TRUE(Customer("im-1", "c2", "b").ok());
  auto t2 = Turn();
  EXPECT_EQ(Sent<OfferOut>(t2, "second").size(), 1u);
  // Both at capacity (one IM each): the third customer waits.
  ASSERT_TRUE(Customer("im-1", "c3", "c").ok());
  auto t3 = Turn();
  EXPECT_TRUE(Sent<OfferOut>(t3, "first").empty());
  EXPECT_TRUE(Sent<OfferOut>(t3, "second").empty());
  EXPECT_EQ(core_.queue_depth(), 3u);  // unanswered: two offered, one waiting
}

TEST_F(CoreTest, ContactsDispatchedTogetherSpreadOverIdleAgents) {
  Adapter("im-1");
  Worker("w", 2);
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  ASSERT_TRUE(Customer("im-1", "c2", "b").ok());
  EXPECT_EQ(Sent<OfferOut>(Turn(), "w").size(), 2u);
  clock_.Advance(kSeconds);
  Worker("a", 2);
  clock_.Advance(kSeconds);
  Worker("b", 2);
  Turn();
  clock_.Advance(kSeconds);
  core_.OnDisconnect("w", clock_.Now());  // both contacts come back in one dispatch
  auto t = Turn();
  EXPECT_EQ(Sent<OfferOut>(t, "a").size(), 1u);
  EXPECT_EQ(Sent<OfferOut>(t, "b").size(), 1u);
}

TEST_F(CoreTest, SessionKeysOfDifferentTenantsNeverCollide) {
  HelloIn h{Role::kAdapter, "im-1", 1, {Channel::kIm}, {}, "", {}, {}, {}};
  ASSERT_TRUE(core_.OnHello(h, clock_.Now()).ok());
  CustomerMessageIn a{"x\x1f" "0\x1fy", Channel::kIm, "z", "one", {}};
  CustomerMessageIn b{"x", Channel::kIm, "y\x1f" "0\x1fz", "two", {}};
  ASSERT_EQ(Admission::kApply, core_.BeginEnvelope("im-1", 1));
  ASSERT_TRUE(core_.OnCustomerMessage("im-1", 1, a, clock_.Now()).ok());
  ASSERT_EQ(Admission::kApply, core_.BeginEnvelope("im-1", 2));
  ASSERT_TRUE(core_.OnCustomerMessage("im-1", 2, b, clock_.Now()).ok());
  EXPECT_EQ(core_.sessions_open(), 2u);
}

TEST_F(CoreTest, HelloAgainDropsWhatWasQueuedForTheOldConnection) {
  const OfferOut offer = AliceAnswers("a");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "b").ok());  // a delivery to alice queued this turn...
  Worker("alice");                                 // ...then she signs in on a new socket
  auto t = Turn();
  std::vector<const Outgoing*> to_alice;
  for (const Outgoing& o : t.outgoing) {
    if (o.client_id == "alice") to_alice.push_back(&o);
  }
  ASSERT_GE(to_alice.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<WelcomeOut>(to_alice[0]->body));  // Welcome first,
  // then every unacknowledged delivery in id order, each once.
  DeliveryId last = 0;
  for (size_t i = 1; i < to_alice.size(); ++i) {
    if (const auto* d = std::get_if<SharedDelivery>(&to_alice[i]->body)) {
      EXPECT_GT((*d)->id, last);
      last = (*d)->id;
    }
  }
  EXPECT_EQ(std::get<SharedDelivery>(to_alice.back()->body)->entry.text, "b");
}

TEST_F(CoreTest, CapacityIsPerChannel) {
  Adapter("im-1");
  Worker("alice", /*im_capacity=*/2);
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  ASSERT_TRUE(Customer("im-1", "p1", "call", Channel::kPhone).ok());  // alice takes no calls
  ASSERT_TRUE(Customer("im-1", "c2", "b").ok());
  auto offers = Sent<OfferOut>(Turn(), "alice");
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0].customer_id, "c1");
  EXPECT_EQ(offers[1].customer_id, "c2");
  EXPECT_EQ(core_.queue_depth(), 3u);  // the call waits; two chats are offered
}

TEST_F(CoreTest, ClosingFreesCapacityForTheOldestWaitingContact) {
  Adapter("im-1");
  Worker("alice");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  auto offer = Sent<OfferOut>(Turn(), "alice").at(0);
  ASSERT_TRUE(Customer("im-1", "c2", "b").ok());
  clock_.Advance(kSeconds);
  ASSERT_TRUE(Customer("im-1", "c3", "c").ok());
  ASSERT_TRUE(Accept("alice", offer).ok());
  EXPECT_TRUE(Sent<OfferOut>(Turn(), "alice").empty());
  ASSERT_TRUE(Close("alice", offer.session_id).ok());
  auto next = Sent<OfferOut>(Turn(), "alice");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].customer_id, "c2");
}

TEST_F(CoreTest, RejectedContactGoesToAnotherAgentNotBackToTheSameOne) {
  Adapter("im-1");
  Worker("alice");
  clock_.Advance(kSeconds);
  Worker("bob");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  auto offer = Sent<OfferOut>(Turn(), "alice").at(0);
  const uint64_t seq = NextSeq("alice");
  ASSERT_EQ(Admission::kApply, core_.BeginEnvelope("alice", seq));
  ASSERT_TRUE(core_.OnReject("alice", seq, offer.session_id, offer.attempt, clock_.Now()).ok());
  auto t = Turn();
  EXPECT_TRUE(Sent<OfferOut>(t, "alice").empty());
  auto to_bob = Sent<OfferOut>(t, "bob");
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_NE(to_bob[0].attempt, offer.attempt);
  // alice's late accept of her old attempt is refused and changes nothing.
  Status late = Accept("alice", offer);
  EXPECT_EQ(late.code(), Code::kStaleOffer);
  auto t2 = Turn();
  EXPECT_EQ(Sent<ErrorOut>(t2, "alice").at(0).code, Code::kStaleOffer);
  EXPECT_TRUE(t2.mutations.sessions.empty());
  EXPECT_TRUE(Accept("bob", to_bob[0]).ok());
}

TEST_F(CoreTest, UnansweredOfferExpiresAndMovesOn) {
  Adapter("im-1");
  Worker("alice");
  clock_.Advance(kSeconds);
  Worker("bob");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  auto offer = Sent<OfferOut>(Turn(), "alice").at(0);
  core_.OnActivity("alice", clock_.Now() + 9 * kSeconds);
  core_.OnActivity("bob", clock_.Now() + 9 * kSeconds);
  core_.OnActivity("im-1", clock_.Now() + 9 * kSeconds);
  EXPECT_LE(core_.NextDeadline(), clock_.Now() + 10 * kSeconds);  // the offer's expiry
  clock_.Advance(9 * kSeconds);
  core_.OnTick(clock_.Now());
  EXPECT_TRUE(Sent<OfferOut>(Turn(), "bob").empty());
  clock_.Advance(kSeconds);
  core_.OnTick(clock_.Now());
  auto moved = Sent<OfferOut>(Turn(), "bob");
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].session_id, offer.session_id);
  EXPECT_EQ(Accept("alice", offer).code(), Code::kStaleOffer);
}

// The built-in routing (no routing file) never sets an agent away for missed offers: the
// contact comes back to it once its exclusion (one offer timeout) is over.
TEST_F(CoreTest, WithoutARoutingFileMissedOffersNeverSetAnAgentAway) {
  Adapter("im-1");
  Worker("alice");
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  ASSERT_EQ(Sent<OfferOut>(Turn(), "alice").size(), 1u);
  for (int missed = 1; missed <= 4; ++missed) {
    for (const char* who : {"alice", "im-1"}) {
      core_.OnActivity(who, clock_.Now() + 10 * kSeconds);
    }
    clock_.Advance(10 * kSeconds);
    core_.OnTick(clock_.Now());
    TurnOutput t = Turn();
    EXPECT_TRUE(Sent<PresenceChangedOut>(t, "alice").empty()) << "after " << missed;
    if (Sent<OfferOut>(t, "alice").empty()) {  // excluded for one offer timeout
      for (const char* who : {"alice", "im-1"}) {
        core_.OnActivity(who, clock_.Now() + 10 * kSeconds);
      }
      clock_.Advance(10 * kSeconds);
      core_.OnTick(clock_.Now());
      t = Turn();
      EXPECT_TRUE(Sent<PresenceChangedOut>(t, "alice").empty()) << "after " << missed;
    }
    ASSERT_EQ(Sent<OfferOut>(t, "alice").size(), 1u) << "after " << missed << " missed offers";
  }
}

TEST_F(CoreTest, ResentSeqIsDroppedButAcknowledgedAgain) {
  Adapter("im-1");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  Turn();
  EXPECT_EQ(core_.BeginEnvelope("im-1", 1), Admission::kDuplicate);  // the same seq again
  auto t = Turn();
  EXPECT_TRUE(t.mutations.empty());
  EXPECT_EQ(Sent<AckOut>(t, "im-1").at(0).up_to, 1u);
}

TEST_F(CoreTest, SeqThatSkipsAheadIsRejectedAndNotAcknowledged) {
  Adapter("im-1");
  Turn();
  EXPECT_EQ(core_.BeginEnvelope("im-1", 3), Admission::kRejected);
  auto t = Turn();
  EXPECT_EQ(Sent<ErrorOut>(t, "im-1").at(0).code, Code::kBadRequest);
  EXPECT_TRUE(Sent<AckOut>(t, "im-1").empty());
  EXPECT_EQ(Admission::kApply, core_.BeginEnvelope("im-1", 1));
}

TEST_F(CoreTest, NewEpochStartsSeqAgainAndSameEpochResumes) {
  Adapter("im-1", /*epoch=*/7);
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  ASSERT_TRUE(Customer("im-1", "c1", "b").ok());
  Turn();
  Adapter("im-1", 7);  // reconnect, same incarnation
  EXPECT_EQ(Sent<WelcomeOut>(Turn(), "im-1").at(0).processed_seq, 2u);
  Adapter("im-1", 8);  // a restarted client
  auto t = Turn();
  EXPECT_EQ(Sent<WelcomeOut>(t, "im-1").at(0).processed_seq, 0u);
  ASSERT_EQ(t.mutations.marks.size(), 1u);
  EXPECT_EQ(t.mutations.marks[0].epoch, 8u);
}

TEST_F(CoreTest, WrongSessionOwnerAndUnknownSessionAreRejectedWithoutChange) {
  Adapter("im-1");
  Worker("alice");
  Worker("bob");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  auto t = Turn();
  auto offers = Sent<OfferOut>(t, "alice");
  const std::string holder = offers.empty() ? "bob" : "alice";
  const std::string other = offers.empty() ? "alice" : "bob";
  auto offer = offers.empty() ? Sent<OfferOut>(t, "bob").at(0) : offers[0];
  ASSERT_TRUE(Accept(holder, offer).ok());
  Turn();
  EXPECT_EQ(Reply(other, offer.session_id, "hi").code(), Code::kNotSessionOwner);
  EXPECT_EQ(Reply(holder, 999, "hi").code(), Code::kUnknownSession);
  EXPECT_EQ(Close(other, offer.session_id).code(), Code::kNotSessionOwner);
  auto after = Turn();
  EXPECT_TRUE(after.mutations.entries.empty());
  EXPECT_TRUE(after.mutations.sessions.empty());
  EXPECT_EQ(Sent<ErrorOut>(after, other).size(), 2u);
  EXPECT_EQ(Sent<ErrorOut>(after, holder).size(), 1u);
}

TEST_F(CoreTest, WrongRoleAndUnservedChannelAreRejected) {
  Adapter("im-1");
  Worker("alice");
  Turn();
  const uint64_t seq = NextSeq("alice");
  ASSERT_EQ(Admission::kApply, core_.BeginEnvelope("alice", seq));
  CustomerMessageIn m{"shop", Channel::kIm, "c1", "hi", {}};
  EXPECT_EQ(core_.OnCustomerMessage("alice", seq, m, clock_.Now()).code(), Code::kWrongRole);
  EXPECT_EQ(Customer("im-1", "c1", "hi", Channel::kSocial).code(), Code::kBadRequest);
  EXPECT_EQ(core_.sessions_open(), 0u);
}

TEST_F(CoreTest, FullQueueAnswersBusyWithPosition) {
  Adapter("im-1");
  Turn();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Customer("im-1", "c" + std::to_string(i), "hi").ok());
  }
  Status busy = Customer("im-1", "c9", "hi");
  EXPECT_EQ(busy.code(), Code::kBusy);
  auto errors = Sent<ErrorOut>(Turn(), "im-1");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].position, 4u);
  EXPECT_EQ(core_.sessions_open(), 3u);
  // A customer already in a session is never refused for load.
  EXPECT_TRUE(Customer("im-1", "c0", "still there?").ok());
}

TEST_F(CoreTest, DisconnectWithdrawsOffersButKeepsHeldSessions) {
  Adapter("im-1");
  Worker("alice", 2);
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  ASSERT_TRUE(Customer("im-1", "c2", "b").ok());
  auto offers = Sent<OfferOut>(Turn(), "alice");
  ASSERT_EQ(offers.size(), 2u);
  ASSERT_TRUE(Accept("alice", offers[0]).ok());
  Turn();
  core_.OnDisconnect("alice", clock_.Now());
  EXPECT_EQ(core_.queue_depth(), 1u);
  EXPECT_EQ(core_.FindSession(offers[0].session_id)->agent_id, "alice");
  // A message for alice's session while she is away waits in the outbox...
  ASSERT_TRUE(Customer("im-1", "c1", "are you there?").ok());
  EXPECT_TRUE(Sent<Delivery>(Turn(), "alice").empty());
  // ...and reaches her when she is back, before anything new.
  Worker("alice", 2);
  auto back = Turn();
  auto redelivered = Sent<Delivery>(back, "alice");
  ASSERT_EQ(redelivered.size(), 2u);  // the backlog from the accept and the new message
  EXPECT_EQ(redelivered.back().entry.text, "are you there?");
  ASSERT_FALSE(back.outgoing.empty());
  EXPECT_TRUE(std::holds_alternative<WelcomeOut>(back.outgoing.front().body));
}

TEST_F(CoreTest, DeliveryAckEmptiesTheOutbox) {
  Adapter("im-1");
  Worker("alice");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  ASSERT_TRUE(Customer("im-1", "c1", "b").ok());
  auto offer = Sent<OfferOut>(Turn(), "alice").at(0);
  ASSERT_TRUE(Accept("alice", offer).ok());
  auto ds = Sent<Delivery>(Turn(), "alice");
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(core_.outbox_size(), 2u);
  core_.OnDeliveryAck("alice", ds[0].id);
  EXPECT_EQ(core_.outbox_size(), 1u);
  // A turn of nothing but acks writes nothing: the mark waits for ack_mark_delay...
  EXPECT_TRUE(Turn().mutations.empty());
  EXPECT_LE(core_.NextDeadline(), clock_.Now() + CoreConfig{}.ack_mark_delay);
  clock_.Advance(CoreConfig{}.ack_mark_delay);
  core_.OnTick(clock_.Now());
  auto t = Turn();
  // ...and is then one mark per client, not a delete per delivery.
  EXPECT_TRUE(t.mutations.delivered.empty());
  ASSERT_EQ(t.mutations.marks.size(), 1u);
  EXPECT_EQ(t.mutations.marks[0].client_id, "alice");
  EXPECT_EQ(t.mutations.marks[0].acked_delivery, ds[0].id);
  core_.OnDeliveryAck("alice", ds[1].id + 100);
  EXPECT_EQ(core_.outbox_size(), 0u);
  // A turn that writes anyway takes the mark along at once.
  ASSERT_TRUE(Customer("im-1", "c2", "hello").ok());
  t = Turn();
  EXPECT_FALSE(t.mutations.entries.empty());
  bool found = false;
  for (const ClientMark& m : t.mutations.marks) {
    if (m.client_id == "alice") {
      found = true;
      // Never past what was sent: a later delivery to alice must not count as acknowledged.
      EXPECT_EQ(m.acked_delivery, ds[1].id);
    }
  }
  EXPECT_TRUE(found);
  core_.OnDeliveryAck("alice", ds[1].id + 100);  // nothing left to acknowledge: no write
  clock_.Advance(CoreConfig{}.ack_mark_delay);
  core_.OnTick(clock_.Now());
  EXPECT_TRUE(Turn().mutations.marks.empty());
}

TEST_F(CoreTest, AckMarksAreWrittenAtOnceWhileDraining) {
  const OfferOut offer = AliceAnswers("a");
  auto ds = Sent<Delivery>(Turn(), "alice");
  ASSERT_EQ(ds.size(), 1u);
  core_.StartDrain();
  Turn();
  core_.OnDeliveryAck("alice", ds[0].id);
  auto t = Turn();
  ASSERT_EQ(t.mutations.marks.size(), 1u);
  EXPECT_EQ(t.mutations.marks[0].acked_delivery, ds[0].id);
}

TEST_F(CoreTest, SilentClientIsDroppedAfterThreeHeartbeats) {
  Adapter("im-1");
  Worker("alice");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  Turn();
  clock_.Advance(2 * kSeconds);
  core_.OnActivity("im-1", clock_.Now());
  clock_.Advance(1 * kSeconds + 1);
  core_.OnTick(clock_.Now());
  EXPECT_FALSE(core_.IsConnected("alice"));
  EXPECT_TRUE(core_.IsConnected("im-1"));
  EXPECT_EQ(core_.queue_depth(), 1u);  // the offer to alice was withdrawn
}

TEST_F(CoreTest, RestoreResumesSessionsQueuesAndOutbox) {
  const OfferOut offer = AliceAnswers("held by alice");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c2", "waiting 1").ok());
  ASSERT_TRUE(Customer("im-1", "c2", "waiting 2").ok());
  Turn();

  BrokerCore restored(Config());
  restored.Restore(Recovered(), clock_.Now());
  EXPECT_EQ(restored.sessions_open(), 2u);
  EXPECT_EQ(restored.queue_depth(), 1u);
  EXPECT_EQ(restored.FindSession(offer.session_id)->agent_id, "alice");
  EXPECT_EQ(restored.outbox_size(), 1u);

  // The re-sent seq of the adapter is recognised after the restart.
  HelloIn a{Role::kAdapter, "im-1", 1, {Channel::kIm}, {}, "", {}, {}, {}};
  ASSERT_TRUE(restored.OnHello(a, clock_.Now()).ok());
  EXPECT_EQ(restored.BeginEnvelope("im-1", 3), Admission::kDuplicate);
  // alice comes back: gets her undelivered message; still at capacity, so no offer.
  HelloIn w{Role::kWorker, "alice", 1, {}, {}, "", {}, {{Channel::kIm, 1}}, {}};
  ASSERT_TRUE(restored.OnHello(w, clock_.Now()).ok());
  TurnOutput& out = restored.FinishTurn();
  EXPECT_EQ(Sent<Delivery>(out, "alice").size(), 1u);
  EXPECT_TRUE(Sent<OfferOut>(out, "alice").empty());
  restored.output().Clear();
  // After she closes, the waiting customer is offered with the whole transcript.
  uint64_t seq = 2;  // alice's epoch 1 processed seq 1 (the accept)
  ASSERT_EQ(Admission::kApply, restored.BeginEnvelope("alice", seq));
  ASSERT_TRUE(restored.OnClose("alice", seq, offer.session_id, Disposition::kResolved,
                               clock_.Now())
                  .ok());
  auto next = Sent<OfferOut>(restored.FinishTurn(), "alice");
  ASSERT_EQ(next.size(), 1u);
  restored.output().Clear();
  ++seq;
  ASSERT_EQ(Admission::kApply, restored.BeginEnvelope("alice", seq));
  ASSERT_TRUE(restored.OnAccept("alice", seq, next[0].session_id, next[0].attempt, clock_.Now())
                  .ok());
  auto backlog = Sent<Delivery>(restored.FinishTurn(), "alice");
  ASSERT_EQ(backlog.size(), 2u);
  EXPECT_EQ(backlog[1].entry.text, "waiting 2");
}


TEST_F(CoreTest, WorkerBackWithinGraceKeepsItsSessions) {
  const OfferOut offer = AliceAnswers("a");
  Turn();
  core_.OnDisconnect("alice", clock_.Now());
  clock_.Advance(59 * kSeconds);
  core_.OnActivity("im-1", clock_.Now());
  core_.OnTick(clock_.Now());
  EXPECT_TRUE(Turn().load_transcripts.empty());
  Worker("alice");
  Turn();
  clock_.Advance(10 * kSeconds);
  core_.OnActivity("im-1", clock_.Now());
  core_.OnActivity("alice", clock_.Now());
  core_.OnTick(clock_.Now());
  Turn();
  EXPECT_EQ(core_.FindSession(offer.session_id)->agent_id, "alice");
  EXPECT_EQ(core_.FindSession(offer.session_id)->state, SessionState::kActive);
}

TEST_F(CoreTest, WorkerGonePastGraceLosesSessionsToAnotherAgentWithWholeTranscript) {
  const OfferOut offer = AliceAnswers("first");
  Turn();
  ASSERT_TRUE(Reply("alice", offer.session_id, "hello").ok());
  Turn();
  core_.OnDisconnect("alice", clock_.Now());
  ASSERT_TRUE(Customer("im-1", "c1", "while away").ok());  // waits in alice's outbox
  Turn();
  EXPECT_EQ(core_.outbox_size(), 3u);  // first, while away (alice) + hello (adapter)
  Worker("bob");
  Turn();
  clock_.Advance(60 * kSeconds);
  core_.OnActivity("im-1", clock_.Now());
  core_.OnActivity("bob", clock_.Now());
  core_.OnTick(clock_.Now());
  TurnOutput released = Turn();
  ASSERT_EQ(released.load_transcripts, std::vector<SessionId>{offer.session_id});
  EXPECT_EQ(released.mutations.delivered.size(), 2u);  // alice's undelivered entries dropped
  ASSERT_EQ(released.mutations.sessions.size(), 1u);
  EXPECT_EQ(released.mutations.sessions[0].agent_id, "");
  auto to_bob = Sent<OfferOut>(released, "bob");
  ASSERT_EQ(to_bob.size(), 1u);
  // The engine hands over the stored transcript; a message that came meanwhile is merged.
  ASSERT_TRUE(Customer("im-1", "c1", "anyone?").ok());
  Turn();
  std::vector<TranscriptEntry> stored;
  for (const Mutations& m : all_mutations_) {
    for (const TranscriptEntry& e : m.entries) {
      if (e.session_id == offer.session_id) stored.push_back(e);
    }
  }
  ASSERT_EQ(stored.size(), 4u);
  core_.LoadBacklog(offer.session_id, stored);
  ASSERT_TRUE(Accept("bob", to_bob[0]).ok());
  auto backlog = Sent<Delivery>(Turn(), "bob");
  ASSERT_EQ(backlog.size(), 4u);
  const std::vector<std::string> texts = {"first", "hello", "while away", "anyone?"};
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(backlog[i].entry.index, i);
    EXPECT_EQ(backlog[i].entry.text, texts[i]);
  }
  // alice, back late, no longer holds the session.
  Worker("alice");
  Turn();
  EXPECT_EQ(Reply("alice", offer.session_id, "sorry").code(), Code::kNotSessionOwner);
}

TEST_F(CoreTest, RestoredSessionsOfAnAgentWhoNeverReturnsMoveOnAfterGrace) {
  const OfferOut offer = AliceAnswers("a");
  Turn();
  BrokerCore restored(Config());
  restored.Restore(Recovered(), clock_.Now());
  HelloIn bob{Role::kWorker, "bob", 1, {}, {}, "", {}, {{Channel::kIm, 1}}, {}};
  clock_.Advance(60 * kSeconds);
  ASSERT_TRUE(restored.OnHello(bob, clock_.Now()).ok());
  restored.OnTick(clock_.Now());
  TurnOutput& out = restored.FinishTurn();
  EXPECT_EQ(out.load_transcripts, std::vector<SessionId>{offer.session_id});
  EXPECT_EQ(Sent<OfferOut>(out, "bob").size(), 1u);
}

TEST_F(CoreTest, UnacknowledgedDeliveriesAreSentAgainAfterTheTimeout) {
  const OfferOut offer = AliceAnswers("a");
  auto first = Sent<Delivery>(Turn(), "alice");
  ASSERT_EQ(first.size(), 1u);
  for (int i = 0; i < 29; ++i) {  // heartbeats keep everyone connected; no ack from alice
    clock_.Advance(kSeconds);
    core_.OnActivity("alice", clock_.Now());
    core_.OnActivity("im-1", clock_.Now());
    core_.OnTick(clock_.Now());
    EXPECT_TRUE(Sent<Delivery>(Turn(), "alice").empty()) << i;
  }
  clock_.Advance(kSeconds);
  core_.OnActivity("alice", clock_.Now());
  core_.OnActivity("im-1", clock_.Now());
  core_.OnTick(clock_.Now());
  auto again = Sent<Delivery>(Turn(), "alice");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, first[0].id);
  core_.OnDeliveryAck("alice", first[0].id);
  EXPECT_EQ(core_.outbox_size(), 0u);
}

TEST_F(CoreTest, DrainRefusesNewContactsButNotOpenSessions) {
  Adapter("im-1");
  Worker("alice");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c1", "a").ok());
  Turn();
  core_.StartDrain();
  auto notice = Turn();
  EXPECT_EQ(Sent<ErrorOut>(notice, "im-1").at(0).code, Code::kShuttingDown);
  EXPECT_EQ(Sent<ErrorOut>(notice, "alice").at(0).code, Code::kShuttingDown);
  EXPECT_EQ(Customer("im-1", "c2", "new").code(), Code::kShuttingDown);
  EXPECT_TRUE(Customer("im-1", "c1", "more").ok());
  EXPECT_EQ(core_.sessions_open(), 1u);
}

TEST_F(CoreTest, BusyCarriesAnExpectedWaitOnceHandleTimesAreKnown) {
  Adapter("im-1");
  Worker("alice");
  Turn();
  ASSERT_TRUE(Customer("im-1", "c0", "a").ok());
  auto offer = Sent<OfferOut>(Turn(), "alice").at(0);
  ASSERT_TRUE(Accept("alice", offer).ok());
  clock_.Advance(120 * kSeconds);
  ASSERT_TRUE(Close("alice", offer.session_id).ok());
  Turn();
  for (int i = 1; i <= 3; ++i) {  // one offered to alice, two wait: three unanswered fill it
    ASSERT_TRUE(Customer("im-1", "c" + std::to_string(i), "hi").ok());
  }
  EXPECT_EQ(Customer("im-1", "c9", "hi").code(), Code::kBusy);
  auto busy = Sent<ErrorOut>(Turn(), "im-1");
  ASSERT_EQ(busy.size(), 1u);
  EXPECT_EQ(busy[0].position, 4u);
  EXPECT_EQ(busy[0].expected_wait_ms, 4u * 120'000u);  // 4 ahead x 120 s / 1 agent
}


TEST_F(CoreTest, AdaptersLoseCreditWhileTheOutboxIsOverItsBoundAndGetItBack) {
  CoreConfig config = Config();
  config.max_outbox = 10;
  config.window = 50;
  config.max_queue_size = 100;
  BrokerCore core(config);
  core.Restore({}, clock_.Now());
  HelloIn a{Role::kAdapter, "im-1", 1, {Channel::kIm}, {}, "", {}, {}, {}};
  ASSERT_TRUE(core.OnHello(a, clock_.Now()).ok());
  HelloIn w{Role::kWorker, "alice", 1, {}, {}, "", {}, {{Channel::kIm, 1}}, {}};
  ASSERT_TRUE(core.OnHello(w, clock_.Now()).ok());
  EXPECT_EQ(Sent<WelcomeOut>(core.FinishTurn(), "im-1").at(0).credit, 50u);
  core.output().Clear();
  // alice takes c1 and never acknowledges anything: its messages pile up in her outbox.
  uint64_t seq = 0;
  auto send = [&](const std::string& text) {
    ++seq;
    EXPECT_EQ(core.BeginEnvelope("im-1", seq), Admission::kApply);
    CustomerMessageIn m{"shop", Channel::kIm, "c1", text, {}};
    EXPECT_TRUE(core.OnCustomerMessage("im-1", seq, m, clock_.Now()).ok());
  };
  send("first");
  auto offer = Sent<OfferOut>(core.FinishTurn(), "alice").at(0);
  core.output().Clear();
  ASSERT_EQ(core.BeginEnvelope("alice", 1), Admission::kApply);
  ASSERT_TRUE(core.OnAccept("alice", 1, offer.session_id, offer.attempt, clock_.Now()).ok());
  core.FinishTurn();
  core.output().Clear();
  for (int i = 0; i < 9; ++i) {
    send("more");
  }
  TurnOutput& full = core.FinishTurn();
  EXPECT_TRUE(core.credit_withheld());
  EXPECT_EQ(Sent<AckOut>(full, "im-1").back().credit, 0u);
  EXPECT_EQ(Sent<AckOut>(full, "alice").size(), 0u);  // workers are never held back
  core.output().Clear();
  // alice catches up: the adapter is granted credit again without sending anything.
  core.OnDeliveryAck("alice", UINT64_MAX);
  TurnOutput& granted = core.FinishTurn();
  EXPECT_FALSE(core.credit_withheld());
  auto acks = Sent<AckOut>(granted, "im-1");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].up_to, seq);
  EXPECT_EQ(acks[0].credit, 50u);
}


TEST_F(CoreTest, MessagesOfWaitingContactsCountAsHeld) {
  CoreConfig config = Config();
  config.max_outbox = 5;
  config.max_queue_size = 100;
  BrokerCore core(config);
  core.Restore({}, clock_.Now());
  HelloIn a{Role::kAdapter, "im-1", 1, {Channel::kIm}, {}, "", {}, {}, {}};
  ASSERT_TRUE(core.OnHello(a, clock_.Now()).ok());
  for (uint64_t seq = 1; seq <= 5; ++seq) {  // nobody signed in: all wait in the queue
    ASSERT_EQ(core.BeginEnvelope("im-1", seq), Admission::kApply);
    CustomerMessageIn m{"shop", Channel::kIm, "c" + std::to_string(seq % 2), "hi", {}};
    ASSERT_TRUE(core.OnCustomerMessage("im-1", seq, m, clock_.Now()).ok());
  }
  EXPECT_EQ(core.held_messages(), 5u);
  EXPECT_EQ(Sent<AckOut>(core.FinishTurn(), "im-1").at(0).credit, 0u);
  EXPECT_TRUE(core.credit_withheld());
}


TEST_F(CoreTest, ATenantOverItsLimitGetsBusyWhileOthersAreServed) {
  CoreConfig config = Config();
  config.max_queue_size = 100;
  config.max_tenant_waiting = 2;
  BrokerCore core(config);
  core.Restore({}, clock_.Now());
  HelloIn a{Role::kAdapter, "im-1", 1, {Channel::kIm}, {}, "", {}, {}, {}};
  ASSERT_TRUE(core.OnHello(a, clock_.Now()).ok());
  uint64_t seq = 0;
  auto send = [&](const std::string& tenant, const std::string& customer) {
    EXPECT_EQ(core.BeginEnvelope("im-1", ++seq), Admission::kApply);
    CustomerMessageIn m{tenant, Channel::kIm, customer, "hi", {}};
    return core.OnCustomerMessage("im-1", seq, m, clock_.Now());
  };
  EXPECT_TRUE(send("big", "c1").ok());
  EXPECT_TRUE(send("big", "c2").ok());
  Status busy = send("big", "c3");
  EXPECT_EQ(busy.code(), Code::kBusy);
  EXPECT_NE(busy.message().find("tenant 'big'"), std::string::npos);
  EXPECT_TRUE(send("small", "c1").ok());
  EXPECT_TRUE(send("big", "c1").ok());  // an open session is never refused for load
  // Once a contact of the tenant is answered, a new one fits.
  HelloIn w{Role::kWorker, "alice", 1, {}, {}, "", {}, {{Channel::kIm, 1}}, {}};
  ASSERT_TRUE(core.OnHello(w, clock_.Now()).ok());
  EXPECT_EQ(send("big", "c4").code(), Code::kBusy);  // offered is not answered
  const auto& out = core.FinishTurn().outgoing;
  auto offer = std::find_if(out.begin(), out.end(), [](const Outgoing& o) {
    return o.client_id == "alice" && std::holds_alternative<OfferOut>(o.body);
  });
  ASSERT_NE(offer, out.end());
  const OfferOut o = std::get<OfferOut>(offer->body);
  core.output().Clear();
  ASSERT_EQ(core.BeginEnvelope("alice", 1), Admission::kApply);
  ASSERT_TRUE(core.OnAccept("alice", 1, o.session_id, o.attempt, clock_.Now()).ok());
  EXPECT_TRUE(send("big", "c4").ok());
}

}  // namespace
}  // namespace switchboard::core
