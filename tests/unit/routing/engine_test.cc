#include "core/routing/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace switchboard::core::routing {
namespace {

constexpr TimePoint kT0 = 1'700'000'000'000'000;

Expr AgentExpr(std::string_view text) {
  auto r = Expr::Parse(text, false, true);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Expr::True();
}

Expr ContactExpr(std::string_view text) {
  auto r = Expr::Parse(text, true, false);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Expr::True();
}

QueueConfig Queue(std::string name) {
  QueueConfig q;
  q.name = std::move(name);
  q.steps.push_back(StepConfig{});
  return q;
}

AgentInfo Agent(std::string id, std::vector<std::pair<std::string, int64_t>> skills = {}) {
  AgentInfo a;
  a.id = std::move(id);
  a.group = "g";
  a.skills = std::move(skills);
  return a;
}

ContactInfo Contact(SessionId id, Channel channel = Channel::kIm,
                    std::vector<std::pair<std::string, Value>> attrs = {}) {
  ContactInfo c;
  c.id = id;
  c.tenant = "shop";
  c.channel = channel;
  c.customer_id = "cust-" + std::to_string(id);
  for (auto& [k, v] : attrs) {
    c.attributes.Set(k, v);
  }
  return c;
}

class EngineTest : public ::testing::Test {
 protected:
  void Make(RoutingConfig config) {
    ASSERT_TRUE(config.Validate().ok()) << config.Validate().ToString();
    engine_ = std::make_unique<RoutingEngine>(std::move(config));
  }
  void Drain() {
    for (Action& a : engine_->TakeActions()) {
      if (auto* o = std::get_if<OfferAction>(&a)) {
        offers_.push_back(*o);
      } else if (auto* w = std::get_if<OfferWithdrawn>(&a)) {
        withdrawn_.push_back(*w);
      } else if (auto* f = std::get_if<Overflowed>(&a)) {
        overflowed_.push_back(*f);
      } else if (auto* p = std::get_if<PositionUpdate>(&a)) {
        positions_.push_back(*p);
      } else if (auto* s = std::get_if<AgentPresence>(&a)) {
        presence_.push_back(*s);
      }
    }
    for (ContactEvent& e : engine_->TakeEvents()) {
      events_.push_back(e);
    }
  }
  // The one offer made since the last call (fails the test otherwise).
  OfferAction OnlyOffer() {
    Drain();
    EXPECT_EQ(offers_.size(), 1u);
    OfferAction o = offers_.empty() ? OfferAction{} : offers_.back();
    offers_.clear();
    return o;
  }
  void NoOffer() {
    Drain();
    EXPECT_TRUE(offers_.empty()) << "offered " << offers_.front().contact << " to "
                                 << offers_.front().agent;
    offers_.clear();
  }
  void SignIn(const AgentInfo& a) { ASSERT_TRUE(engine_->SignIn(a, now_).ok()); }
  void Arrive(const ContactInfo& c) {
    auto r = engine_->Arrive(c, now_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  void AcceptOffer(const OfferAction& o) {
    ASSERT_TRUE(engine_->Accept(o.contact, o.agent, o.attempt, now_).ok());
  }
  void Advance(Micros by) {
    now_ += by;
    engine_->Tick(now_);
  }
  int Count(ContactEvent::Kind kind) {
    Drain();
    return static_cast<int>(std::count_if(events_.begin(), events_.end(),
                                          [&](const ContactEvent& e) { return e.kind == kind; }));
  }

  TimePoint now_ = kT0;
  std::unique_ptr<RoutingEngine> engine_;
  std::vector<OfferAction> offers_;
  std::vector<OfferWithdrawn> withdrawn_;
  std::vector<Overflowed> overflowed_;
  std::vector<PositionUpdate> positions_;
  std::vector<AgentPresence> presence_;
  std::vector<ContactEvent> events_;
};

TEST_F(EngineTest, DefaultConfigOffersToLongestIdleAgent) {
  Make(RoutingConfig::Default());
  SignIn(Agent("a"));
  now_ += kSeconds;
  SignIn(Agent("b"));
  now_ += kSeconds;
  Arrive(Contact(1));
  OfferAction o = OnlyOffer();
  EXPECT_EQ(o.agent, "a");
  EXPECT_EQ(o.queue, "default");
  AcceptOffer(o);
  now_ += kSeconds;
  Arrive(Contact(2));
  EXPECT_EQ(OnlyOffer().agent, "b");  // a was assigned last
  EXPECT_EQ(Count(ContactEvent::Kind::kQueued), 2);
  EXPECT_EQ(Count(ContactEvent::Kind::kAnswered), 1);
}

// A worker's free attributes (here its language) are agent attributes that pools read; a
// free attribute cannot pose as one of the engine's own (tier, skill.*).
TEST_F(EngineTest, PoolsReadAnAgentsFreeAttributes) {
  RoutingConfig config = RoutingConfig::Default();
  config.queues[0].steps[0].pool = AgentExpr("agent.language == \"de\" and agent.tier < 2");
  Make(config);
  AgentInfo french = Agent("fr");
  french.attributes = {{"language", "fr"}};
  SignIn(french);
  AgentInfo german = Agent("de");
  german.attributes = {{"language", "de"}, {"tier", "9"}, {"skill.x", "5"}};
  now_ += kSeconds;  // idle for less time than "fr"
  SignIn(german);
  Arrive(Contact(1));
  EXPECT_EQ(OnlyOffer().agent, "de");
  auto view = engine_->Agent("de");
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->attributes.Find("tier") != nullptr &&
                std::get<int64_t>(*view->attributes.Find("tier")) == 1,
            true);
  EXPECT_EQ(view->attributes.Find("skill.x"), nullptr);
}

TEST_F(EngineTest, CapacityBudgetCostsPerChannel) {
  Make(RoutingConfig::Default());  // budget 100, phone 100, chat 20
  SignIn(Agent("a"));
  for (SessionId id = 1; id <= 6; ++id) {
    Arrive(Contact(id));
  }
  Drain();
  EXPECT_EQ(offers_.size(), 5u);  // five chats fill the budget
  auto view = engine_->Agent("a");
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->used, 100u);
  for (const auto& o : offers_) {
    AcceptOffer(o);
  }
  offers_.clear();
  Arrive(Contact(10, Channel::kPhone));
  NoOffer();
  // Closing one chat frees 20: still no room for a call (100), but room for the waiting chat.
  ASSERT_TRUE(engine_->Close(1, now_).ok());
  EXPECT_EQ(OnlyOffer().contact, 6u);
}

TEST_F(EngineTest, HardCapPerChannel) {
  Make(RoutingConfig::Default());
  AgentInfo a = Agent("a");
  a.cap[static_cast<size_t>(Channel::kIm)] = 2;
  SignIn(a);
  for (SessionId id = 1; id <= 3; ++id) {
    Arrive(Contact(id));
  }
  Drain();
  EXPECT_EQ(offers_.size(), 2u);
  EXPECT_EQ(engine_->Agent("a")->count[0], 2u);
}

TEST_F(EngineTest, PhoneTakesWholeBudget) {
  Make(RoutingConfig::Default());
  SignIn(Agent("a"));
  Arrive(Contact(1, Channel::kPhone));
  AcceptOffer(OnlyOffer());
  Arrive(Contact(2));
  NoOffer();
}

TEST_F(EngineTest, FirstMatchingRuleWinsAndDefaultCatchesTheRest) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues.push_back(Queue("presale"));
  cfg.queues.push_back(Queue("vip"));
  cfg.rules.push_back(RuleConfig{"vip", ContactExpr("contact.vip_level >= 2"), "vip", 5, {}, 0});
  cfg.rules.push_back(
      RuleConfig{"presale", ContactExpr("contact.topic == \"presale\""), "presale", 0, {}, 0});
  Make(cfg);
  auto r1 = engine_->Arrive(Contact(1, Channel::kIm, {{"topic", "presale"}, {"vip_level", 3}}),
                            now_);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->queue, "vip");
  EXPECT_EQ(r1->priority, 5);
  auto r2 = engine_->Arrive(Contact(2, Channel::kIm, {{"topic", "presale"}}), now_);
  EXPECT_EQ(r2->queue, "presale");
  auto r3 = engine_->Arrive(Contact(3, Channel::kIm, {{"topic", "refund"}}), now_);
  EXPECT_EQ(r3->queue, "default");
}

TEST_F(EngineTest, RuleSkillsLimitTheAgents) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.rules.push_back(RuleConfig{"laptops", ContactExpr("contact.product_category == \"laptop\""),
                                 "default", 0, {{"laptops", 3}}, 0});
  Make(cfg);
  SignIn(Agent("novice", {{"laptops", 2}}));
  Arrive(Contact(1, Channel::kIm, {{"product_category", "laptop"}}));
  NoOffer();
  SignIn(Agent("expert", {{"laptops", 3}}));
  EXPECT_EQ(OnlyOffer().agent, "expert");
}

TEST_F(EngineTest, StepsWidenThePoolOverTime) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].steps = {StepConfig{AgentExpr("agent.skill.returns >= 3"), 30 * kSeconds},
                         StepConfig{AgentExpr("agent.skill.returns >= 1"), 0}};
  Make(cfg);
  SignIn(Agent("expert", {{"returns", 3}}));
  SignIn(Agent("junior", {{"returns", 1}}));
  Arrive(Contact(1));
  AcceptOffer(OnlyOffer());  // to the expert (first step)
  ASSERT_TRUE(engine_->UpdateAgent(
                          [] {
                            AgentInfo a = Agent("expert", {{"returns", 3}});
                            a.budget = 20;  // full with one chat
                            return a;
                          }(),
                          now_)
                  .ok());
  Arrive(Contact(2));
  NoOffer();  // the junior is not in the first step's pool
  Advance(29 * kSeconds);
  NoOffer();
  Advance(1 * kSeconds);
  EXPECT_EQ(OnlyOffer().agent, "junior");
  EXPECT_EQ(engine_->Contact(2)->step, 1);
}

TEST_F(EngineTest, StepWithNobodySignedInIsSkippedAtOnce) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].steps = {StepConfig{AgentExpr("agent.group == \"experts\""), 60 * kSeconds},
                         StepConfig{AgentExpr("agent.group == \"generalists\""), 0}};
  Make(cfg);
  AgentInfo g = Agent("g1");
  g.group = "generalists";
  SignIn(g);
  Arrive(Contact(1));
  EXPECT_EQ(OnlyOffer().agent, "g1");
  EXPECT_EQ(engine_->Contact(1)->step, 1);
}

TEST_F(EngineTest, LastExpertSigningOutMovesWaitingContactsOn) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].steps = {StepConfig{AgentExpr("agent.group == \"experts\""), 60 * kSeconds},
                         StepConfig{AgentExpr("true"), 0}};
  Make(cfg);
  AgentInfo e = Agent("e1");
  e.group = "experts";
  e.budget = 20;
  SignIn(e);
  AgentInfo g = Agent("g1");
  g.group = "generalists";
  g.budget = 20;
  SignIn(g);
  Arrive(Contact(1));
  AcceptOffer(OnlyOffer());  // e1 (longest idle among experts)
  Arrive(Contact(2));
  NoOffer();  // e1 is full; g1 is not in step 0
  ASSERT_TRUE(engine_->SignOut("e1", now_).ok());
  EXPECT_EQ(OnlyOffer().agent, "g1");
}

TEST_F(EngineTest, OfferTimeoutRedirectsAndLateAcceptIsRefused) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].offer_timeout = 10 * kSeconds;
  Make(cfg);
  SignIn(Agent("a"));
  now_ += kSeconds;
  SignIn(Agent("b"));
  Arrive(Contact(1));
  OfferAction first = OnlyOffer();
  EXPECT_EQ(first.agent, "a");
  Advance(10 * kSeconds);
  Drain();
  ASSERT_EQ(withdrawn_.size(), 1u);
  EXPECT_EQ(withdrawn_[0].attempt, first.attempt);
  OfferAction second = OnlyOffer();
  EXPECT_EQ(second.agent, "b");
  EXPECT_NE(second.attempt, first.attempt);
  Status late = engine_->Accept(1, "a", first.attempt, now_);
  EXPECT_EQ(late.code(), Code::kStaleOffer);
  // The late accept changed nothing: b's offer still stands and can be accepted.
  EXPECT_EQ(engine_->Contact(1)->state, ContactState::kOffered);
  EXPECT_EQ(engine_->Accept(1, "b", first.attempt, now_).code(), Code::kStaleOffer);
  AcceptOffer(second);
  EXPECT_EQ(engine_->Contact(1)->agent, "b");
  EXPECT_EQ(Count(ContactEvent::Kind::kOfferMissed), 1);
}

TEST_F(EngineTest, AgentMissingOffersInARowIsSetAway) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.max_missed_offers = 2;
  cfg.queues[0].offer_timeout = 5 * kSeconds;
  Make(cfg);
  SignIn(Agent("a"));
  Arrive(Contact(1));
  OnlyOffer();
  Advance(5 * kSeconds);
  NoOffer();  // the contact excludes a now; nobody else
  Arrive(Contact(2));
  OnlyOffer();
  Advance(5 * kSeconds);
  Drain();
  ASSERT_EQ(presence_.size(), 1u);
  EXPECT_EQ(presence_[0].agent, "a");
  EXPECT_EQ(presence_[0].state, AgentState::kAway);
  EXPECT_EQ(engine_->Agent("a")->presence, Presence::kAway);
  offers_.clear();  // contact 1 came back to a once its exclusion lapsed
  Arrive(Contact(3));
  NoOffer();
  ASSERT_TRUE(engine_->SetPresence("a", Presence::kAvailable, now_).ok());
  EXPECT_EQ(OnlyOffer().contact, 3u);
}

TEST_F(EngineTest, RejectGoesToTheNextCandidate) {
  Make(RoutingConfig::Default());
  SignIn(Agent("a"));
  now_ += kSeconds;
  SignIn(Agent("b"));
  Arrive(Contact(1));
  OfferAction o = OnlyOffer();
  ASSERT_TRUE(engine_->Reject(1, "a", o.attempt, now_).ok());
  OfferAction next = OnlyOffer();
  EXPECT_EQ(next.agent, "b");
  EXPECT_EQ(engine_->Reject(1, "a", o.attempt, now_).code(), Code::kStaleOffer);
}

TEST_F(EngineTest, OfferToSeveralFirstAcceptWins) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].offer_to = 3;
  Make(cfg);
  SignIn(Agent("a"));
  SignIn(Agent("b"));
  SignIn(Agent("c"));
  Arrive(Contact(1));
  Drain();
  ASSERT_EQ(offers_.size(), 3u);
  const uint64_t attempt = offers_[0].attempt;
  ASSERT_TRUE(engine_->Accept(1, "b", attempt, now_).ok());
  Drain();
  EXPECT_EQ(withdrawn_.size(), 2u);
  EXPECT_EQ(engine_->Accept(1, "a", attempt, now_).code(), Code::kStaleOffer);
  EXPECT_EQ(engine_->Agent("a")->used, 0u);
  EXPECT_EQ(engine_->Agent("b")->used, 20u);
}

TEST_F(EngineTest, HigherPriorityFirstThenOldest) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.rules.push_back(RuleConfig{"vip", ContactExpr("contact.vip_level > 0"), "default", 9, {}, 0});
  Make(cfg);
  Arrive(Contact(1));
  now_ += kSeconds;
  Arrive(Contact(2, Channel::kIm, {{"vip_level", 1}}));
  now_ += kSeconds;
  Arrive(Contact(3));
  AgentInfo a = Agent("a");
  a.budget = 20;
  SignIn(a);
  EXPECT_EQ(OnlyOffer().contact, 2u);
}

TEST_F(EngineTest, AgingBoundOutranksPriority) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].aging_bound = 60 * kSeconds;
  cfg.rules.push_back(RuleConfig{"vip", ContactExpr("contact.vip_level > 0"), "default", 9, {}, 0});
  Make(cfg);
  Arrive(Contact(1));
  Advance(61 * kSeconds);
  Arrive(Contact(2, Channel::kIm, {{"vip_level", 1}}));
  EXPECT_TRUE(engine_->Contact(1)->aged);
  AgentInfo a = Agent("a");
  a.budget = 20;
  SignIn(a);
  EXPECT_EQ(OnlyOffer().contact, 1u);
}

TEST_F(EngineTest, RestrictedQueueNeverReachesOutsourcedAgents) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues.push_back(Queue("complaints"));
  cfg.queues.back().restricted = true;
  cfg.rules.push_back(
      RuleConfig{"c", ContactExpr("contact.topic == \"complaint\""), "complaints", 0, {}, 0});
  Make(cfg);
  AgentInfo out = Agent("vendor");
  out.outsourced = true;
  SignIn(out);
  Arrive(Contact(1, Channel::kIm, {{"topic", "complaint"}}));
  NoOffer();
  EXPECT_EQ(engine_->TransferToAgent(1, "vendor", now_).code(), Code::kBadRequest);
  SignIn(Agent("staff"));
  EXPECT_EQ(OnlyOffer().agent, "staff");
}

TEST_F(EngineTest, FullQueueAnswersBusy) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].max_size = 2;
  Make(cfg);
  Arrive(Contact(1));
  Arrive(Contact(2));
  auto r = engine_->Arrive(Contact(3), now_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBusy);
  EXPECT_EQ(engine_->contacts(), 2u);
}

TEST_F(EngineTest, MaxWaitGoesToTheFallbackQueue) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues.push_back(Queue("bot"));
  cfg.queues[0].max_wait = 120 * kSeconds;
  cfg.queues[0].fallback = FallbackKind::kQueue;
  cfg.queues[0].fallback_queue = "bot";
  Make(cfg);
  Arrive(Contact(1));
  Advance(120 * kSeconds);
  Drain();
  ASSERT_EQ(overflowed_.size(), 1u);
  EXPECT_EQ(overflowed_[0].queue, "bot");
  EXPECT_FALSE(overflowed_[0].leave_message);
  EXPECT_EQ(engine_->Contact(1)->queue, "bot");
  EXPECT_EQ(Count(ContactEvent::Kind::kOverflowed), 1);
}

TEST_F(EngineTest, MaxWaitLeaveMessageEndsTheContact) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].max_wait = 60 * kSeconds;
  cfg.queues[0].fallback = FallbackKind::kLeaveMessage;
  Make(cfg);
  Arrive(Contact(1));
  Advance(60 * kSeconds);
  Drain();
  ASSERT_EQ(overflowed_.size(), 1u);
  EXPECT_TRUE(overflowed_[0].leave_message);
  EXPECT_FALSE(engine_->Contact(1).has_value());
  EXPECT_EQ(engine_->waiting(), 0u);
}

TEST_F(EngineTest, WrapUpHoldsAcrossQueuesUntilItEnds) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].wrap_up = 30 * kSeconds;
  cfg.queues.push_back(Queue("other"));
  cfg.rules.push_back(
      RuleConfig{"o", ContactExpr("contact.topic == \"other\""), "other", 0, {}, 0});
  Make(cfg);
  SignIn(Agent("a"));
  Arrive(Contact(1));
  AcceptOffer(OnlyOffer());
  ASSERT_TRUE(engine_->Close(1, now_).ok());
  Arrive(Contact(2, Channel::kIm, {{"topic", "other"}}));
  NoOffer();
  EXPECT_TRUE(engine_->Agent("a")->wrap_up);
  Advance(30 * kSeconds);
  EXPECT_EQ(OnlyOffer().contact, 2u);
  EXPECT_EQ(presence_.front().state, AgentState::kWrapUp);
  EXPECT_EQ(presence_.back().state, AgentState::kAvailable);
}

TEST_F(EngineTest, WrapUpUntilReady) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].wrap_up_until_ready = true;
  Make(cfg);
  SignIn(Agent("a"));
  Arrive(Contact(1));
  AcceptOffer(OnlyOffer());
  ASSERT_TRUE(engine_->Close(1, now_).ok());
  Arrive(Contact(2));
  Advance(3600 * kSeconds);
  NoOffer();
  ASSERT_TRUE(engine_->Ready("a", now_).ok());
  EXPECT_EQ(OnlyOffer().contact, 2u);
}

TEST_F(EngineTest, LeastOccupiedSpreadsLoad) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].strategy = Strategy::kLeastOccupied;
  Make(cfg);
  SignIn(Agent("a"));
  SignIn(Agent("b"));
  for (SessionId id = 1; id <= 4; ++id) {
    Arrive(Contact(id));
  }
  Drain();
  ASSERT_EQ(offers_.size(), 4u);
  EXPECT_EQ(engine_->Agent("a")->used, 40u);
  EXPECT_EQ(engine_->Agent("b")->used, 40u);
}

TEST_F(EngineTest, RoundRobinTakesAgentsInTurn) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].strategy = Strategy::kRoundRobin;
  Make(cfg);
  SignIn(Agent("a"));
  SignIn(Agent("b"));
  SignIn(Agent("c"));
  std::vector<std::string> order;
  for (SessionId id = 1; id <= 6; ++id) {
    Arrive(Contact(id));
    order.push_back(OnlyOffer().agent);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "a", "b", "c"}));
}

TEST_F(EngineTest, StickyReturningCustomerGetsLastAgent) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].sticky_window = 3600 * kSeconds;
  Make(cfg);
  SignIn(Agent("a"));
  now_ += kSeconds;
  SignIn(Agent("b"));
  ContactInfo c = Contact(1);
  c.last_agent = "b";
  c.last_served_at = now_ - 600 * kSeconds;
  Arrive(c);
  EXPECT_EQ(OnlyOffer().agent, "b");
  ContactInfo old = Contact(2);
  old.last_agent = "b";
  old.last_served_at = now_ - 7200 * kSeconds;  // outside the window
  Arrive(old);
  EXPECT_EQ(OnlyOffer().agent, "a");
}

TEST_F(EngineTest, ClosingDispatchesTheOldestWaitingContact) {
  Make(RoutingConfig::Default());
  AgentInfo a = Agent("a");
  a.budget = 20;
  SignIn(a);
  Arrive(Contact(1));
  AcceptOffer(OnlyOffer());
  Arrive(Contact(2));
  now_ += kSeconds;
  Arrive(Contact(3));
  NoOffer();
  ASSERT_TRUE(engine_->Close(1, now_).ok());
  EXPECT_EQ(OnlyOffer().contact, 2u);
}

TEST_F(EngineTest, TransferToQueueCountsAsANewContact) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues.push_back(Queue("billing"));
  cfg.queues.back().steps[0].pool = AgentExpr("agent.group == \"billing\"");
  Make(cfg);
  SignIn(Agent("a"));
  AgentInfo b = Agent("b");
  b.group = "billing";
  Arrive(Contact(1, Channel::kIm, {{"topic", "invoice"}}));
  AcceptOffer(OnlyOffer());
  ASSERT_TRUE(engine_->TransferToQueue(1, "billing", now_).ok());
  EXPECT_EQ(engine_->Agent("a")->used, 0u);
  SignIn(b);
  OfferAction o = OnlyOffer();
  EXPECT_EQ(o.agent, "b");
  EXPECT_EQ(o.queue, "billing");
  EXPECT_EQ(Count(ContactEvent::Kind::kTransferred), 1);
  EXPECT_EQ(Count(ContactEvent::Kind::kQueued), 2);
  auto view = engine_->Contact(1);
  const Value* topic = view->attributes.Find("topic");
  ASSERT_NE(topic, nullptr);
  EXPECT_EQ(std::get<std::string>(*topic), "invoice");
}

TEST_F(EngineTest, TransferToANamedAgent) {
  Make(RoutingConfig::Default());
  SignIn(Agent("a"));
  now_ += kSeconds;
  SignIn(Agent("b"));
  Arrive(Contact(1));
  AcceptOffer(OnlyOffer());  // a
  EXPECT_EQ(engine_->TransferToAgent(1, "nobody", now_).code(), Code::kNotSignedIn);
  ASSERT_TRUE(engine_->TransferToAgent(1, "b", now_).ok());
  EXPECT_EQ(OnlyOffer().agent, "b");
}

TEST_F(EngineTest, EscalationWaitsForTierTwoAndStaysOpenUntilClosed) {
  Make(RoutingConfig::Default());
  SignIn(Agent("t1"));
  Arrive(Contact(1));
  AcceptOffer(OnlyOffer());
  ASSERT_TRUE(engine_->Escalate(1, now_).ok());
  NoOffer();  // t1 is tier 1
  EXPECT_TRUE(engine_->Contact(1)->follow_up);
  AgentInfo t2 = Agent("t2");
  t2.tier = 2;
  SignIn(t2);
  OfferAction o = OnlyOffer();
  EXPECT_EQ(o.agent, "t2");
  AcceptOffer(o);
  Advance(3600 * kSeconds);
  EXPECT_TRUE(engine_->Contact(1).has_value());  // open until closed
  ASSERT_TRUE(engine_->Close(1, now_).ok());
  EXPECT_FALSE(engine_->Contact(1).has_value());
}

TEST_F(EngineTest, BotFirstThenHandoffToHumans) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues.push_back(Queue("bot"));
  cfg.queues.back().steps[0].pool = AgentExpr("agent.bot == 1");
  cfg.queues[0].bot_queue = "bot";
  cfg.queues[0].steps[0].pool = AgentExpr("agent.bot == 0");
  cfg.queues.push_back(Queue("returns"));
  cfg.queues.back().steps[0].pool = AgentExpr("agent.bot == 0");
  cfg.rules.push_back(
      RuleConfig{"r", ContactExpr("contact.intent == \"return\""), "returns", 0, {}, 0});
  Make(cfg);
  AgentInfo bot = Agent("bot-1");
  bot.bot = true;
  bot.budget = 1000;
  SignIn(bot);
  SignIn(Agent("human"));
  auto placed = engine_->Arrive(Contact(1), now_);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->queue, "bot");
  OfferAction o = OnlyOffer();
  EXPECT_EQ(o.agent, "bot-1");
  AcceptOffer(o);
  ASSERT_TRUE(engine_->Handoff(1, "", "return", "wants to return shoes", now_).ok());
  OfferAction h = OnlyOffer();
  EXPECT_EQ(h.agent, "human");
  EXPECT_EQ(h.queue, "returns");
  EXPECT_EQ(engine_->Contact(1)->summary, "wants to return shoes");
  EXPECT_EQ(engine_->Agent("bot-1")->used, 0u);
}

// The contact's attributes read back as they came (integers, strings, empty and long
// values), with tenant and channel added, and a handoff's intent on top.
TEST_F(EngineTest, ContactAttributesReadBackAfterArrivalAndHandoff) {
  Make(RoutingConfig::Default());
  const std::string long_value(300, 'x');
  Arrive(Contact(1, Channel::kPhone,
                 {{"vip_level", int64_t{-3}}, {"topic", "refund"}, {"note", ""},
                  {"long", long_value}, {"big", int64_t{1} << 40}}));
  Attributes want;
  want.Set("vip_level", int64_t{-3});
  want.Set("topic", "refund");
  want.Set("note", "");
  want.Set("long", long_value);
  want.Set("big", int64_t{1} << 40);
  want.Set("tenant", "shop");
  want.Set("channel", "phone");
  ASSERT_TRUE(engine_->Contact(1).has_value());
  EXPECT_TRUE(engine_->Contact(1)->attributes == want);
  SignIn(Agent("a"));
  AcceptOffer(OnlyOffer());
  ASSERT_TRUE(engine_->Handoff(1, "default", "return", "", now_).ok());
  want.Set("intent", "return");
  EXPECT_TRUE(engine_->Contact(1)->attributes == want);
}

// Events carry each contact's own tenant and topic, also past the number of distinct
// values the engine keeps once (65,536): 40,000 contacts with a tenant and a topic each.
TEST_F(EngineTest, EventsCarryTenantAndTopicOfManyDistinctValues) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].max_size = 50000;
  Make(cfg);
  for (SessionId id = 1; id <= 40000; ++id) {
    ContactInfo c = Contact(id, Channel::kIm, {{"topic", "topic-" + std::to_string(id)}});
    c.tenant = "tenant-" + std::to_string(id);
    Arrive(c);
  }
  Drain();
  ASSERT_EQ(events_.size(), 40000u);
  for (size_t i = 0; i < events_.size(); i += 997) {
    EXPECT_EQ(events_[i].labels.tenant, "tenant-" + std::to_string(i + 1));
    EXPECT_EQ(events_[i].labels.topic, "topic-" + std::to_string(i + 1));
  }
  EXPECT_EQ(events_.back().labels.tenant, "tenant-40000");
  EXPECT_EQ(events_.back().labels.topic, "topic-40000");
  AgentInfo one = Agent("a");
  one.budget = 20;  // one chat
  SignIn(one);
  const OfferAction o = OnlyOffer();
  AcceptOffer(o);
  Drain();
  EXPECT_EQ(events_.back().labels.tenant, "tenant-" + std::to_string(o.contact));
  EXPECT_EQ(events_.back().labels.topic, "topic-" + std::to_string(o.contact));
}

TEST_F(EngineTest, BotQueueIgnoresTheRuleSkills) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues.push_back(Queue("bot"));
  cfg.queues.back().steps[0].pool = AgentExpr("agent.bot == 1");
  cfg.queues[0].bot_queue = "bot";
  cfg.rules.push_back(RuleConfig{"l", ContactExpr("contact.topic == \"laptop\""), "default", 0,
                                 {{"laptops", 3}}, 0});
  Make(cfg);
  AgentInfo bot = Agent("bot-1");
  bot.bot = true;
  SignIn(bot);
  Arrive(Contact(1, Channel::kIm, {{"topic", "laptop"}}));
  EXPECT_EQ(OnlyOffer().agent, "bot-1");
}

TEST_F(EngineTest, AbandonIsShortUnderTheThreshold) {
  Make(RoutingConfig::Default());  // short_abandon 5 s
  Arrive(Contact(1));
  Arrive(Contact(2));
  now_ += 2 * kSeconds;
  ASSERT_TRUE(engine_->Abandon(1, now_).ok());
  now_ += 10 * kSeconds;
  ASSERT_TRUE(engine_->Abandon(2, now_).ok());
  Drain();
  std::vector<bool> shorts;
  for (const auto& e : events_) {
    if (e.kind == ContactEvent::Kind::kAbandoned) {
      shorts.push_back(e.short_abandon);
    }
  }
  EXPECT_EQ(shorts, (std::vector<bool>{true, false}));
  EXPECT_EQ(engine_->contacts(), 0u);
}

TEST_F(EngineTest, AbandonWithdrawsAPendingOffer) {
  Make(RoutingConfig::Default());
  SignIn(Agent("a"));
  Arrive(Contact(1));
  OfferAction o = OnlyOffer();
  ASSERT_TRUE(engine_->Abandon(1, now_).ok());
  Drain();
  ASSERT_EQ(withdrawn_.size(), 1u);
  EXPECT_EQ(engine_->Agent("a")->used, 0u);
  EXPECT_EQ(engine_->Accept(1, "a", o.attempt, now_).code(), Code::kUnknownSession);
}

TEST_F(EngineTest, CustomerBackWithinRejoinWindowGetsOldPlace) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.rejoin_window = 60 * kSeconds;
  Make(cfg);
  ContactInfo first = Contact(1);
  first.customer_id = "alice";
  Arrive(first);
  now_ += kSeconds;
  Arrive(Contact(2));
  now_ += kSeconds;
  ASSERT_TRUE(engine_->Abandon(1, now_).ok());
  now_ += 10 * kSeconds;
  ContactInfo back = Contact(3);
  back.customer_id = "alice";
  auto r = engine_->Arrive(back, now_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->rejoined);
  AgentInfo a = Agent("a");
  a.budget = 20;
  SignIn(a);
  EXPECT_EQ(OnlyOffer().contact, 3u);  // ahead of contact 2
}

TEST_F(EngineTest, PositionOnRequestAndWhenItMoves) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].position_step = 2;
  Make(cfg);
  for (SessionId id = 1; id <= 5; ++id) {
    Arrive(Contact(id));
  }
  ASSERT_TRUE(engine_->PositionRequest(4, now_).ok());
  Drain();
  ASSERT_EQ(positions_.size(), 1u);
  EXPECT_EQ(positions_[0].position, 4u);
  positions_.clear();
  ASSERT_TRUE(engine_->Abandon(1, now_).ok());
  ASSERT_TRUE(engine_->Abandon(2, now_).ok());
  Advance(2 * kSeconds);
  Drain();
  // Contact 4 moved from 4 to 2 (a step of 2): told; 5 first told its place 3.
  bool told4 = false;
  for (const auto& p : positions_) {
    if (p.contact == 4) {
      told4 = true;
      EXPECT_EQ(p.position, 2u);
    }
  }
  EXPECT_TRUE(told4);
}

TEST_F(EngineTest, ReconfigureKeepsContactsAndMovesRemovedQueueToDefault) {
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues.push_back(Queue("old"));
  cfg.rules.push_back(RuleConfig{"o", ContactExpr("contact.topic == \"x\""), "old", 0, {}, 0});
  Make(cfg);
  Arrive(Contact(1, Channel::kIm, {{"topic", "x"}}));
  now_ += kSeconds;
  Arrive(Contact(2));
  now_ += kSeconds;
  Arrive(Contact(3, Channel::kIm, {{"topic", "x"}}));
  ASSERT_TRUE(engine_->Reconfigure(RoutingConfig::Default(), now_).ok());
  EXPECT_EQ(engine_->contacts(), 3u);
  EXPECT_EQ(engine_->waiting("default"), 3u);
  AgentInfo a = Agent("a");
  a.budget = 20;
  SignIn(a);
  EXPECT_EQ(OnlyOffer().contact, 1u);  // arrival order kept
  RoutingConfig bad = RoutingConfig::Default();
  bad.default_queue = "missing";
  EXPECT_EQ(engine_->Reconfigure(bad, now_).code(), Code::kBadRequest);
}

TEST_F(EngineTest, ReconfigureKeepsOffersValid) {
  Make(RoutingConfig::Default());
  SignIn(Agent("a"));
  Arrive(Contact(1));
  OfferAction o = OnlyOffer();
  RoutingConfig cfg = RoutingConfig::Default();
  cfg.queues[0].strategy = Strategy::kRoundRobin;
  ASSERT_TRUE(engine_->Reconfigure(cfg, now_).ok());
  AcceptOffer(o);
  EXPECT_EQ(engine_->Agent("a")->used, 20u);
}

TEST_F(EngineTest, NothingToRepairInNormalRunning) {
  Make(RoutingConfig::Default());
  SignIn(Agent("a"));
  Arrive(Contact(1));
  Advance(60 * kSeconds);  // several offer timeouts and reconciliations
  EXPECT_EQ(engine_->repairs(), 0u);
}

TEST_F(EngineTest, RequeueReturnsTheContactToItsPlace) {
  Make(RoutingConfig::Default());
  AgentInfo a = Agent("a");
  a.budget = 20;
  SignIn(a);
  Arrive(Contact(1));
  AcceptOffer(OnlyOffer());
  Arrive(Contact(2));
  ASSERT_TRUE(engine_->SignOut("a", now_).ok());
  ASSERT_TRUE(engine_->Requeue(1, now_).ok());
  SignIn(Agent("b"));
  Drain();
  ASSERT_EQ(offers_.size(), 2u);
  EXPECT_EQ(offers_[0].contact, 1u);
  EXPECT_FALSE(engine_->Agent("a").has_value());  // forgotten once it held nothing
}

TEST(RoutingConfigTest, ValidateNamesTheField) {
  RoutingConfig cfg = RoutingConfig::Default();
  EXPECT_TRUE(cfg.Validate().ok());
  cfg.queues[0].offer_to = 0;
  cfg.queues[0].line = 7;
  Status st = cfg.Validate();
  EXPECT_EQ(st.code(), Code::kBadRequest);
  EXPECT_NE(st.message().find("line 7"), std::string::npos);
  EXPECT_NE(st.message().find("offer_to"), std::string::npos);
  RoutingConfig bad = RoutingConfig::Default();
  bad.rules.push_back(RuleConfig{"r", Expr::True(), "nowhere", 0, {}, 3});
  EXPECT_NE(bad.Validate().message().find("nowhere"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::core::routing
