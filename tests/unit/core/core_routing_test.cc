// BrokerCore with a routing configuration: the rules choose the queue and the agents, a
// reload keeps every contact, and recovery gives answered sessions back to their agents'
// capacity. (The routing decisions themselves are tested in tests/unit/routing.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/broker_core.h"

namespace switchboard::core {
namespace {

using routing::Expr;
using routing::QueueConfig;
using routing::RoutingConfig;
using routing::RuleConfig;
using routing::StepConfig;

QueueConfig Queue(const std::string& name, const std::string& pool = "true") {
  QueueConfig q;
  q.name = name;
  StepConfig step;
  step.pool = Expr::Parse(pool, false, true).value();
  q.steps.push_back(step);
  q.offer_timeout = 10 * kSeconds;
  return q;
}

// VIP contacts go to "vip", answered only by agents with the vip skill; the rest to "general".
RoutingConfig VipConfig() {
  RoutingConfig r;
  r.queues = {Queue("general"), Queue("vip", "agent.skill.vip >= 1")};
  r.default_queue = "general";
  RuleConfig rule;
  rule.name = "vip";
  rule.when = Expr::Parse("contact.vip_level >= 2", true, false).value();
  rule.queue = "vip";
  rule.priority = 10;
  r.rules = {rule};
  EXPECT_TRUE(r.Validate().ok()) << r.Validate().ToString();
  return r;
}

class CoreRoutingTest : public ::testing::Test {
 protected:
  void Start(RoutingConfig routing, RecoveredState state = {}) {
    CoreConfig c;
    c.routing = std::move(routing);
    core_ = std::make_unique<BrokerCore>(c);
    core_->Restore(std::move(state), clock_.Now());
    HelloIn a;
    a.role = Role::kAdapter;
    a.client_id = "im-1";
    a.epoch = 1;
    a.channels = {Channel::kIm};
    ASSERT_TRUE(core_->OnHello(a, clock_.Now()).ok());
    Turn();
  }
  void Worker(const std::string& id, std::vector<Skill> skills = {}) {
    HelloIn h;
    h.role = Role::kWorker;
    h.client_id = id;
    h.epoch = 1;
    h.skills = std::move(skills);
    ASSERT_TRUE(core_->OnHello(h, clock_.Now()).ok());
  }
  Status Customer(const std::string& customer, uint8_t vip_level = 0) {
    const uint64_t seq = ++seqs_["im-1"];
    EXPECT_EQ(Admission::kApply, core_->BeginEnvelope("im-1", seq));
    CustomerMessageIn m;
    m.tenant = "shop";
    m.channel = Channel::kIm;
    m.customer_id = customer;
    m.text = "hello";
    m.attributes.vip_level = vip_level;
    return core_->OnCustomerMessage("im-1", seq, m, clock_.Now());
  }
  Status Accept(const std::string& worker, const OfferOut& offer) {
    const uint64_t seq = ++seqs_[worker];
    EXPECT_EQ(Admission::kApply, core_->BeginEnvelope(worker, seq));
    return core_->OnAccept(worker, seq, offer.session_id, offer.attempt, clock_.Now());
  }
  TurnOutput Turn() {
    TurnOutput out = core_->FinishTurn();
    for (const Session& s : out.mutations.sessions) {
      stored_[s.id] = s;
    }
    core_->output().Clear();
    return out;
  }
  static std::vector<OfferOut> Offers(const TurnOutput& out, const std::string& worker) {
    std::vector<OfferOut> found;
    for (const Outgoing& o : out.outgoing) {
      if (o.client_id == worker && std::holds_alternative<OfferOut>(o.body)) {
        found.push_back(std::get<OfferOut>(o.body));
      }
    }
    return found;
  }

  ManualClock clock_;
  std::unique_ptr<BrokerCore> core_;
  std::map<std::string, uint64_t> seqs_;
  std::map<SessionId, Session> stored_;
};

TEST_F(CoreRoutingTest, RulesChooseTheQueueAndItsPoolTheAgent) {
  Start(VipConfig());
  Worker("bob");  // idle longest, but without the skill
  clock_.Advance(kSeconds);
  Worker("alice", {{"vip", 1}});
  Turn();
  ASSERT_TRUE(Customer("big-spender", 3).ok());
  TurnOutput t = Turn();
  EXPECT_TRUE(Offers(t, "bob").empty());
  auto offers = Offers(t, "alice");
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].queue, "vip");
  const SessionId vip = offers[0].session_id;
  EXPECT_EQ(stored_.at(vip).queue, "vip");  // the stored session names its queue
  // Any other contact goes to the general queue, whose pool is everyone: bob.
  ASSERT_TRUE(Customer("someone").ok());
  auto general = Offers(Turn(), "bob");
  ASSERT_EQ(general.size(), 1u);
  EXPECT_EQ(general[0].queue, "general");
  // The events carry the queue as their label.
  ASSERT_TRUE(Accept("alice", offers[0]).ok());
  TurnOutput accepted = Turn();
  bool answered = false;
  for (const ContactEvent& e : accepted.events) {
    if (e.kind == ContactEvent::Kind::kAnswered) {
      answered = true;
      EXPECT_EQ(e.labels.queue, "vip");
    }
  }
  EXPECT_TRUE(answered);
}

TEST_F(CoreRoutingTest, ReloadMovesContactsOfARemovedQueueToTheDefault) {
  Start(VipConfig());
  ASSERT_TRUE(Customer("big-spender", 3).ok());  // waits in "vip": nobody has the skill
  Turn();
  EXPECT_EQ(core_->routing().waiting("vip"), 1u);

  RoutingConfig bad = VipConfig();
  bad.default_queue = "nowhere";
  EXPECT_EQ(core_->Reconfigure(bad, clock_.Now()).code(), Code::kBadRequest);
  EXPECT_EQ(core_->routing().waiting("vip"), 1u);  // the old configuration stays

  RoutingConfig one;
  one.queues = {Queue("general")};
  one.default_queue = "general";
  ASSERT_TRUE(core_->Reconfigure(one, clock_.Now()).ok());
  EXPECT_EQ(core_->routing().waiting("general"), 1u);
  Turn();
  for (const auto& [id, s] : stored_) {
    EXPECT_EQ(s.queue, "general") << "session " << id;  // the store follows the move
  }
  Worker("bob");
  auto offers = Offers(Turn(), "bob");
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].queue, "general");
}

TEST_F(CoreRoutingTest, RecoveredAnsweredSessionsCountAgainstTheirAgentsCapacity) {
  RecoveredState state;
  state.counters.next_session_id = 3;
  Session held;
  held.id = 1;
  held.tenant = "shop";
  held.customer_id = "c1";
  held.state = SessionState::kActive;
  held.queue = "general";
  held.agent_id = "alice";
  held.adapter_id = "im-1";
  held.queue_seq = 1;
  held.answered_at = clock_.Now() - kSeconds;
  Session waiting = held;
  waiting.id = 2;
  waiting.customer_id = "c2";
  waiting.state = SessionState::kQueued;
  waiting.agent_id.clear();
  waiting.answered_at = 0;
  waiting.queue_seq = 2;
  state.open_sessions = {held, waiting};
  Start(VipConfig(), state);
  EXPECT_EQ(core_->routing().waiting(), 1u);

  Worker("alice");  // one IM session: the one she held before the restart
  EXPECT_TRUE(Offers(Turn(), "alice").empty());
  Worker("bob");
  auto offers = Offers(Turn(), "bob");
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].session_id, 2u);
  // Attempts of this run start above any a previous run could have used (its clock).
  EXPECT_GE(offers[0].attempt, static_cast<uint64_t>(clock_.Now()));
}

}  // namespace
}  // namespace switchboard::core
