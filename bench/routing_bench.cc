// switchboard-routing-bench: routing decisions per second of the routing engine alone (no
// broker, no sockets, no store), with many agents signed in and a long queue waiting.
//
// A decision is one contact-to-agent choice: the engine picks, for an agent whose capacity
// freed, the best waiting contact it may take (or, for a new contact, the best agent with
// room) and emits the offer. The measured loop is the steady state of a busy centre: every
// agent is full and `--waiting` contacts wait; each round closes one answered contact (its
// agent's capacity frees and the engine decides whom it gets next), accepts that offer, and a
// new contact arrives (a second decision only when an agent has room, which here it has not),
// so the waiting count stays put. The figure counts the whole round (close, decision, accept,
// arrival, actions and events drained), divided by the decisions made: a decision's full
// cost, not the choice alone. Virtual time moves 10 us per round and Tick runs every 1,000
// rounds (steps expire, offers' timers are cleared).
//
// The configuration is the shape of a real one: `--queues` topic queues, each with two steps
// (skill level 3 or more for 20 s, then level 1 or more), a VIP rule with priority, agents
// with three skills at random levels and a budget of five chats.
#include <CLI/CLI.hpp>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/routing/engine.h"

namespace {

using namespace switchboard;                 // NOLINT
using namespace switchboard::core::routing;  // NOLINT

Expr Parse(const std::string& text, bool contact) {
  auto r = Expr::Parse(text, contact, !contact);
  if (!r.ok()) {
    std::fprintf(stderr, "bad expression %s: %s\n", text.c_str(), r.status().ToString().c_str());
    std::exit(1);
  }
  return *r;
}

}  // namespace

int main(int argc, char** argv) {
  int agents = 10000;
  int waiting = 100000;
  int queues = 10;
  int64_t rounds = 2000000;
  uint64_t seed = 1;
  CLI::App app{"Routing decisions per second of the routing engine alone"};
  app.add_option("--agents", agents, "agents signed in")->check(CLI::PositiveNumber);
  app.add_option("--waiting", waiting, "contacts waiting throughout")->check(CLI::NonNegativeNumber);
  app.add_option("--queues", queues, "topic queues")->check(CLI::PositiveNumber);
  app.add_option("--rounds", rounds, "measured rounds (one decision each)")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "random seed");
  CLI11_PARSE(app, argc, argv);

  RoutingConfig cfg;
  cfg.default_queue = "topic-0";
  for (int q = 0; q < queues; ++q) {
    const std::string skill = "agent.skill.topic" + std::to_string(q);
    QueueConfig queue;
    queue.name = "topic-" + std::to_string(q);
    queue.steps = {StepConfig{Parse(skill + " >= 3", false), 20 * kSeconds},
                   StepConfig{Parse(skill + " >= 1", false), 0}};
    queue.max_size = static_cast<uint32_t>(waiting) + 1000;
    cfg.queues.push_back(std::move(queue));
  }
  cfg.rules.push_back(RuleConfig{"vip", Parse("contact.vip_level >= 1", true), "topic-0", 5, {}, 0});
  for (int q = 0; q < queues; ++q) {
    cfg.rules.push_back(RuleConfig{"topic-" + std::to_string(q),
                                   Parse("contact.topic == \"t" + std::to_string(q) + "\"", true),
                                   "topic-" + std::to_string(q), 0, {}, 0});
  }
  if (Status st = cfg.Validate(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  RoutingEngine engine(cfg);
  std::mt19937_64 rng(seed);
  TimePoint now = 1'700'000'000'000'000;

  for (int i = 0; i < agents; ++i) {
    AgentInfo a;
    a.id = "agent-" + std::to_string(i);
    a.group = "g" + std::to_string(i % 20);
    for (int k = 0; k < 3; ++k) {
      a.skills.emplace_back("topic" + std::to_string((i + k * 3) % queues),
                            1 + static_cast<int64_t>(rng() % 4));
    }
    if (!engine.SignIn(a, now).ok()) {
      return 1;
    }
  }

  std::vector<core::SessionId> active;
  core::SessionId next_id = 1;
  auto arrive = [&] {
    ContactInfo c;
    c.id = next_id++;
    c.tenant = "shop";
    c.channel = core::Channel::kIm;
    c.customer_id = "c" + std::to_string(c.id % 100000);
    c.attributes.Set("topic", "t" + std::to_string(rng() % queues));
    c.attributes.Set("vip_level", static_cast<int64_t>(rng() % 20 == 0 ? 1 : 0));
    auto r = engine.Arrive(c, now);
    if (!r.ok()) {
      std::fprintf(stderr, "arrival refused: %s\n", r.status().ToString().c_str());
      std::exit(1);
    }
  };
  auto accept_offers = [&] {
    for (Action& a : engine.TakeActions()) {
      if (auto* o = std::get_if<OfferAction>(&a)) {
        if (engine.Accept(o->contact, o->agent, o->attempt, now).ok()) {
          active.push_back(o->contact);
        }
      }
    }
    engine.TakeEvents();
  };

  // Fill every agent, then the queue.
  const auto t_fill = std::chrono::steady_clock::now();
  while (engine.waiting() < static_cast<size_t>(waiting)) {
    arrive();
    accept_offers();
  }
  const double fill_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_fill).count();

  const uint64_t decisions_before = engine.decisions();
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t cpu0 = std::clock();
  for (int64_t r = 0; r < rounds; ++r) {
    const size_t pick = rng() % active.size();
    const core::SessionId id = active[pick];
    active[pick] = active.back();
    active.pop_back();
    if (!engine.Close(id, now).ok()) {
      std::fprintf(stderr, "close refused\n");
      return 1;
    }
    accept_offers();
    arrive();
    accept_offers();
    now += 10;
    if (r % 1000 == 999) {
      engine.Tick(now);
      accept_offers();
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu_secs = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  const uint64_t decisions = engine.decisions() - decisions_before;

  std::string command;
  for (int i = 0; i < argc; ++i) {
    command += (i ? " " : "") + std::string(argv[i]);
  }
  std::printf("command: %s\n", command.c_str());
  std::printf("agents %d, waiting %zu (kept), queues %d, rounds %lld, fill %.2f s\n", agents,
              engine.waiting(), queues, static_cast<long long>(rounds), fill_s);
  std::printf("decisions %llu in %.3f s wall, %.3f s CPU\n",
              static_cast<unsigned long long>(decisions), secs, cpu_secs);
  std::printf("%.0f decisions/s per CPU second (%.3f us each, whole round); %.0f per wall second\n",
              static_cast<double>(decisions) / cpu_secs,
              cpu_secs * 1e6 / static_cast<double>(decisions),
              static_cast<double>(decisions) / secs);
  return 0;
}
