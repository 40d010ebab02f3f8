// Long randomized simulations of the routing engine with fixed seeds; the driver checks the
// invariants after every engine call (see tests/sim/simulation.h).
#include "sim/simulation.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::sim {
namespace {

using core::Channel;
using core::SessionId;
using namespace core::routing;  // NOLINT

Expr A(std::string_view text) {
  auto r = Expr::Parse(text, false, true);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Expr::True();
}

Expr C(std::string_view text) {
  auto r = Expr::Parse(text, true, false);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Expr::True();
}

// Five queues exercising steps, skills, strategies, restricted, bot first, fallbacks, wrap-up
// (timed and until ready), multi-offers, aging and positions.
RoutingConfig MixedConfig() {
  RoutingConfig cfg;
  cfg.default_queue = "general";
  cfg.max_missed_offers = 2;
  cfg.rejoin_window = 30 * kSeconds;
  cfg.reconcile_interval = 15 * kSeconds;

  QueueConfig general;
  general.name = "general";
  general.steps = {StepConfig{A("agent.skill.general >= 3"), 20 * kSeconds},
                   StepConfig{A("agent.skill.general >= 1"), 0}};
  general.wrap_up = 5 * kSeconds;
  general.aging_bound = 90 * kSeconds;
  general.max_wait = 600 * kSeconds;
  general.fallback = FallbackKind::kLeaveMessage;
  general.position_step = 2;
  general.offer_timeout = 20 * kSeconds;

  QueueConfig vip;
  vip.name = "vip";
  vip.strategy = Strategy::kLeastOccupied;
  vip.offer_to = 2;
  vip.steps = {StepConfig{A("agent.tier >= 2"), 15 * kSeconds},
               StepConfig{A("agent.bot == 0"), 0}};
  vip.offer_timeout = 10 * kSeconds;

  QueueConfig complaints;
  complaints.name = "complaints";
  complaints.restricted = true;
  complaints.strategy = Strategy::kRoundRobin;
  complaints.wrap_up_until_ready = true;
  complaints.steps = {StepConfig{A("agent.bot == 0"), 0}};
  complaints.aging_bound = 60 * kSeconds;

  QueueConfig sales;
  sales.name = "sales";
  sales.bot_queue = "bot";
  sales.sticky_window = 3600 * kSeconds;
  sales.steps = {StepConfig{A("agent.bot == 0 and agent.group == \"sales\""), 30 * kSeconds},
                 StepConfig{A("agent.bot == 0"), 0}};
  sales.max_wait = 300 * kSeconds;
  sales.fallback = FallbackKind::kQueue;
  sales.fallback_queue = "general";

  QueueConfig bot;
  bot.name = "bot";
  bot.steps = {StepConfig{A("agent.bot == 1"), 0}};

  cfg.queues = {general, vip, complaints, sales, bot};
  cfg.rules = {
      RuleConfig{"vip", C("contact.vip_level >= 1"), "vip", 5, {}, 0},
      RuleConfig{"complaint", C("contact.topic == \"complaint\" or contact.intent == \"complaint\""),
                 "complaints", 1, {}, 0},
      RuleConfig{"sales", C("contact.topic == \"sales\""), "sales", 0, {}, 0},
      RuleConfig{"laptop", C("contact.topic == \"laptop\""), "general", 2, {{"laptops", 2}}, 0},
  };
  return cfg;
}

AgentInfo MixedAgent(int i, std::mt19937_64& rng) {
  AgentInfo a;
  a.id = "agent-" + std::to_string(i);
  if (i % 8 == 0) {
    a.group = "bots";
    a.bot = true;
    a.budget = 1000;
    return a;
  }
  a.group = i % 3 == 0 ? "sales" : "care";
  a.tier = i % 4 == 1 ? 2 : 1;
  a.outsourced = a.tier == 1 && i % 3 == 2;
  // A call (100) or five chats, or two to three chats only.
  // (Tier 2 takes calls too: escalated calls need them.)
  a.budget = i % 2 == 0 || a.tier == 2 ? 100 : 40 + 20 * static_cast<uint32_t>(rng() % 2);
  a.skills = {{"general", 1 + static_cast<int64_t>(rng() % 4)},
              {"laptops", static_cast<int64_t>(rng() % 4)}};
  if (i % 5 == 0) {
    a.cap[static_cast<size_t>(Channel::kIm)] = 2;
  }
  return a;
}

ContactInfo MixedContact(SessionId id, std::mt19937_64& rng) {
  static const char* kTopics[] = {"general", "complaint", "sales", "laptop", "general"};
  ContactInfo c;
  c.id = id;
  c.tenant = id % 2 == 0 ? "shop-a" : "shop-b";
  c.channel = rng() % 5 == 0 ? Channel::kPhone : Channel::kIm;
  c.customer_id = "cust-" + std::to_string(rng() % 400);
  c.attributes.Set("topic", kTopics[rng() % 5]);
  c.attributes.Set("vip_level", static_cast<int64_t>(rng() % 10 == 0 ? 1 : 0));
  return c;
}

SimConfig Mixed(uint64_t seed) {
  SimConfig s;
  s.seed = seed;
  s.routing = MixedConfig();
  s.duration = 1800 * kSeconds;
  s.arrivals_per_second = 0.4;
  s.mean_handle = 90 * kSeconds;
  s.handle_dist = HandleDist::kLogNormal;
  s.mean_patience = 150 * kSeconds;
  s.agents = 24;
  s.make_agent = MixedAgent;
  s.make_contact = MixedContact;
  s.max_answer_delay = 4 * kSeconds;
  s.p_reject = 0.05;
  s.p_miss = 0.05;
  s.p_late_accept = 0.5;
  s.p_transfer = 0.05;
  s.transfer_queue = "complaints";
  s.p_transfer_agent = 0.03;
  s.p_escalate = 0.05;
  s.p_requeue = 0.02;
  s.p_returning = 0.1;
  s.p_rejoin = 0.3;
  s.p_position_request = 0.1;
  return s;
}

void ExpectClean(const SimStats& st) {
  for (const std::string& v : st.violations) {
    ADD_FAILURE() << v;
  }
  EXPECT_TRUE(st.drained);
  EXPECT_EQ(st.repairs, 0u);
  // Every contact ended once: answered, abandoned, overflowed, or refused busy.
  EXPECT_EQ(st.arrivals, st.answered + st.abandoned + st.overflowed + st.busy);
  EXPECT_GT(st.checks, 1000u);
}

TEST(RoutingSimulation, MixedQueuesKeepTheInvariants) {
  for (uint64_t seed : {1u, 2u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const SimStats st = Simulation(Mixed(seed)).Run();
    ExpectClean(st);
    // The run exercised what it claims to.
    EXPECT_GT(st.answered, 300u);
    EXPECT_GT(st.abandoned, 0u);
    EXPECT_GT(st.rejects, 0u);
    EXPECT_GT(st.late_accepts_refused, 0u);
    EXPECT_GT(st.transfers, 0u);
    EXPECT_GT(st.escalations, 0u);
    EXPECT_GT(st.handoffs, 0u);
    EXPECT_GT(st.set_away, 0u);
  }
}

TEST(RoutingSimulation, ChurnAndReloadKeepTheInvariants) {
  SimConfig s = Mixed(7);
  s.mean_signed_in = 600 * kSeconds;
  s.mean_off = 120 * kSeconds;
  RoutingConfig other = MixedConfig();
  other.queues.erase(other.queues.begin() + 1);  // no vip queue: its contacts go to general
  other.rules.erase(other.rules.begin());
  other.queues[0].strategy = Strategy::kRoundRobin;
  other.queues[0].steps.pop_back();
  s.reloads = {other};
  s.reconfigure_every = 300 * kSeconds;
  const SimStats st = Simulation(s).Run();
  ExpectClean(st);
  EXPECT_GT(st.sign_outs, 5u);
  EXPECT_GT(st.reconfigures, 3u);
}

TEST(RoutingSimulation, OverloadWithMaxSizeAndFallbacks) {
  SimConfig s = Mixed(11);
  s.arrivals_per_second = 1.5;  // far above what the agents can handle
  s.duration = 900 * kSeconds;
  s.routing.queues[0].max_size = 40;
  s.mean_patience = 400 * kSeconds;
  const SimStats st = Simulation(s).Run();
  ExpectClean(st);
  EXPECT_GT(st.busy, 0u);
  EXPECT_GT(st.overflowed, 0u);
}

}  // namespace
}  // namespace switchboard::sim
