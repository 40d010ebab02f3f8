#include "core/routing/config.h"

#include <set>
#include <string>

namespace switchboard::core::routing {
namespace {

Status Bad(int line, std::string_view what, std::string_view field, const std::string& message) {
  std::string text;
  if (line > 0) {
    text = "line " + std::to_string(line) + ": ";
  }
  text += std::string(what) + ": " + std::string(field) + ": " + message;
  return Status(Code::kBadRequest, std::move(text));
}

}  // namespace

std::string_view StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kLongestIdle:
      return "longest_idle";
    case Strategy::kLeastOccupied:
      return "least_occupied";
    case Strategy::kRoundRobin:
      return "round_robin";
  }
  return "unknown";
}

RoutingConfig RoutingConfig::Default() {
  RoutingConfig config;
  QueueConfig queue;
  queue.name = "default";
  queue.steps.push_back(StepConfig{});
  config.queues.push_back(std::move(queue));
  config.default_queue = "default";
  return config;
}

const QueueConfig* RoutingConfig::FindQueue(std::string_view name) const {
  for (const QueueConfig& q : queues) {
    if (q.name == name) {
      return &q;
    }
  }
  return nullptr;
}

Status RoutingConfig::Validate() const {
  if (queues.empty()) {
    return Bad(0, "routing", "queues", "at least one queue is needed");
  }
  std::set<std::string, std::less<>> names;
  for (const QueueConfig& q : queues) {
    const std::string what = "queue '" + q.name + "'";
    if (q.name.empty()) {
      return Bad(q.line, "queue", "name", "must not be empty");
    }
    if (!names.insert(q.name).second) {
      return Bad(q.line, what, "name", "defined twice");
    }
    if (q.steps.empty()) {
      return Bad(q.line, what, "steps", "at least one step is needed");
    }
    for (size_t i = 0; i < q.steps.size(); ++i) {
      const StepConfig& s = q.steps[i];
      if (s.pool.uses_contact()) {
        return Bad(q.line, what, "steps[" + std::to_string(i) + "].pool",
                   "may use agent attributes only");
      }
      if (s.expires_after < 0) {
        return Bad(q.line, what, "steps[" + std::to_string(i) + "].expires_after",
                   "must not be negative");
      }
    }
    if (q.offer_to < 1) {
      return Bad(q.line, what, "offer_to", "must be at least 1");
    }
    if (q.offer_timeout <= 0) {
      return Bad(q.line, what, "offer_timeout", "must be positive");
    }
    if (q.max_size < 1) {
      return Bad(q.line, what, "max_size", "must be at least 1");
    }
    if (q.sticky_window < 0 || q.max_wait < 0 || q.wrap_up < 0 || q.sl_threshold < 0 ||
        q.aging_bound < 0) {
      return Bad(q.line, what, "durations", "must not be negative");
    }
    if (q.fallback == FallbackKind::kQueue && q.fallback_queue.empty()) {
      return Bad(q.line, what, "fallback_queue", "is needed for a queue fallback");
    }
    if (q.fallback != FallbackKind::kNone && q.max_wait == 0) {
      return Bad(q.line, what, "max_wait", "is needed for a fallback");
    }
  }
  for (const QueueConfig& q : queues) {
    const std::string what = "queue '" + q.name + "'";
    if (q.fallback == FallbackKind::kQueue) {
      if (!names.contains(q.fallback_queue)) {
        return Bad(q.line, what, "fallback_queue", "no queue '" + q.fallback_queue + "'");
      }
      if (q.fallback_queue == q.name) {
        return Bad(q.line, what, "fallback_queue", "must be another queue");
      }
    }
    if (!q.bot_queue.empty()) {
      if (!names.contains(q.bot_queue)) {
        return Bad(q.line, what, "bot_queue", "no queue '" + q.bot_queue + "'");
      }
      if (q.bot_queue == q.name) {
        return Bad(q.line, what, "bot_queue", "must be another queue");
      }
      if (!FindQueue(q.bot_queue)->bot_queue.empty()) {
        return Bad(q.line, what, "bot_queue",
                   "queue '" + q.bot_queue + "' has a bot queue of its own");
      }
    }
  }
  if (!names.contains(default_queue)) {
    return Bad(0, "routing", "default_queue", "no queue '" + default_queue + "'");
  }
  for (const RuleConfig& r : rules) {
    const std::string what = "rule '" + r.name + "'";
    if (!names.contains(r.queue)) {
      return Bad(r.line, what, "queue", "no queue '" + r.queue + "'");
    }
    if (r.when.uses_agent()) {
      return Bad(r.line, what, "when", "may use contact attributes only");
    }
    for (const SkillRequirement& s : r.skills) {
      if (s.skill.empty()) {
        return Bad(r.line, what, "skills", "a skill name must not be empty");
      }
      if (s.min_level < 0) {
        return Bad(r.line, what, "skills", "level of '" + s.skill + "' must not be negative");
      }
    }
  }
  if (short_abandon < 0 || rejoin_window < 0 || fcr_window < 0) {
    return Bad(0, "routing", "durations", "must not be negative");
  }
  if (reconcile_interval <= 0) {
    return Bad(0, "routing", "reconcile_interval", "must be positive");
  }
  for (int c = 0; c < kChannelCount; ++c) {
    if (channel_cost[c] == 0) {
      return Bad(0, "routing", "channel_cost",
                 std::string(ChannelName(static_cast<Channel>(c))) + " must be positive");
    }
  }
  if (default_budget == 0) {
    return Bad(0, "routing", "default_budget", "must be positive");
  }
  return Status::Ok();
}

}  // namespace switchboard::core::routing
