// RoutingConfig: queues with their steps, routing rules and the engine-wide settings, as
// plain values. The TOML loader (src/config) fills it and calls Validate(); the routing engine
// (engine.h) consumes it, at start and on every reload.
//
// Durations are microseconds (Micros). Expressions are parsed and checked when the config is
// built, never per contact.
//
// Thread rules: plain data.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "core/model.h"
#include "core/routing/expr.h"

namespace switchboard::core::routing {

// How a queue chooses among the agents of a step's pool who have room for the contact.
enum class Strategy : uint8_t {
  kLongestIdle,    // the agent idle longest (since its last assignment or sign-in)
  kLeastOccupied,  // the agent with the smallest share of its capacity budget in use
  kRoundRobin,     // agents in turn, in the order they joined the pool
};

std::string_view StrategyName(Strategy strategy);  // "longest_idle", ...

struct StepConfig {
  Expr pool = Expr::True();  // which agents (agent attributes only)
  Micros expires_after = 0;  // time in this step before moving to the next; 0: never
  // A step whose pool has nobody signed in is skipped at once (always).
};

enum class FallbackKind : uint8_t { kNone, kQueue, kLeaveMessage };

struct QueueConfig {
  std::string name;
  Strategy strategy = Strategy::kLongestIdle;
  Micros sticky_window = 0;          // > 0: a returning customer goes to their last agent if
                                     // available, if served within this window
  std::vector<StepConfig> steps;     // at least one
  uint32_t max_size = 100000;        // waiting contacts; over it: the arrival is refused (busy)
  Micros max_wait = 0;               // > 0: past it the contact goes to `fallback`
  FallbackKind fallback = FallbackKind::kNone;
  std::string fallback_queue;        // kQueue
  Micros wrap_up = 0;                // after-close time before the agent gets new offers
  bool wrap_up_until_ready = false;  // wrap-up lasts until the worker says ready
  bool restricted = false;           // never offered to outsourced agents
  std::string bot_queue;             // non-empty: new contacts go to this (bot) queue first
  uint32_t offer_to = 1;             // agents offered at once; first accept wins (when a
                                     // contact starts waiting and several agents have room;
                                     // an agent whose capacity frees takes one alone)
  Micros offer_timeout = 15 * kSeconds;
  Micros sl_threshold = 20 * kSeconds;  // the service-level threshold T of this queue
  Micros aging_bound = 0;            // > 0: a contact waiting this long outranks any priority
  uint32_t position_step = 0;        // > 0: tell a waiting contact its position when it moves
                                     // by this many places
  int line = 0;                      // where it was defined (for messages)
};

struct SkillRequirement {
  std::string skill;
  int64_t min_level = 1;

  bool operator==(const SkillRequirement&) const = default;
};

struct RuleConfig {
  std::string name;
  Expr when = Expr::True();  // contact attributes only
  std::string queue;
  int priority = 0;                      // higher first
  std::vector<SkillRequirement> skills;  // needed on top of the step's pool
  int line = 0;
};

struct RoutingConfig {
  std::vector<QueueConfig> queues;
  std::vector<RuleConfig> rules;          // first match wins
  std::string default_queue = "default";  // catches the rest; must be a queue
  uint32_t max_missed_offers = 3;         // in a row; then the agent is set away (0: never)
  Micros short_abandon = 5 * kSeconds;    // abandons quicker than this are "short"
  Micros rejoin_window = 0;               // > 0: a customer back within it gets their old place
  Micros reconcile_interval = 10 * kSeconds;
  Micros fcr_window = 48 * 3600 * kSeconds;
  uint32_t default_budget = 100;  // an agent's capacity budget when it sends none
  // Cost of one session per channel, indexed by core::Channel: im, phone, social, merchant,
  // proactive.
  std::array<uint32_t, kChannelCount> channel_cost{20, 100, 20, 20, 20};

  // The built-in configuration used when the broker has no routing file: one queue
  // "default", one step with every agent, longest idle. (Matches today's behaviour.)
  static RoutingConfig Default();
  // Checks cross-references (rule -> queue, fallback_queue, bot_queue, default_queue exist;
  // at least one step per queue; offer_to >= 1; unique queue names; no negative durations;
  // rule conditions use only contact attributes and pools only agent attributes; a bot queue
  // has no bot queue of its own). kBadRequest naming the line and field.
  Status Validate() const;

  // The queue of that name, or nullptr.
  const QueueConfig* FindQueue(std::string_view name) const;
};

}  // namespace switchboard::core::routing
