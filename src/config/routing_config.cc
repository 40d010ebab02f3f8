#include "config/routing_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "core/model.h"
#include "core/routing/expr.h"

namespace switchboard::config {
namespace {

using core::routing::Expr;
using core::routing::FallbackKind;
using core::routing::QueueConfig;
using core::routing::RoutingConfig;
using core::routing::RuleConfig;
using core::routing::SkillRequirement;
using core::routing::StepConfig;
using core::routing::Strategy;

// Ten years: long enough for any window, short enough that microseconds fit in int64.
constexpr int64_t kMaxDurationSeconds = 10LL * 365 * 24 * 3600;
constexpr int64_t kMaxCost = 1'000'000;
constexpr size_t kMaxNameSize = 128;

int LineOf(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    default:
      return "nothing";
  }
}

// Queue names and skill names: plain words, so that they read well in metric labels and can
// be written in expressions (agent.skill.NAME).
bool IsPlainName(std::string_view name, bool allow_dot) {
  if (name.empty() || name.size() > kMaxNameSize) {
    return false;
  }
  auto start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!start(name[0])) {
    return false;
  }
  for (char c : name) {
    bool ok = start(c) || (c >= '0' && c <= '9') || c == '-' || (allow_dot && c == '.');
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Reads one TOML document's [routing] table into a RoutingConfig, stopping at the first error.
class Loader {
 public:
  explicit Loader(std::string_view source) : source_(source) {}

  Result<RoutingConfig> Load(const toml::table& root);

 private:
  // "routing.toml:14: queue "complaints": step 2: pool: <message>"
  Status Error(int line, std::string_view where, std::string_view field,
               std::string_view message) const {
    std::string text = source_;
    if (line > 0) {
      text += ":" + std::to_string(line);
    }
    text += ": ";
    if (!where.empty()) {
      text += std::string(where) + ": ";
    }
    if (!field.empty()) {
      text += std::string(field) + ": ";
    }
    text += message;
    return Status(Code::kBadRequest, std::move(text));
  }

  Status TypeError(const toml::node& node, std::string_view where, std::string_view field,
                   std::string_view expected) const {
    return Error(LineOf(node), where, field,
                 "expected " + std::string(expected) + ", found " + std::string(TypeName(node)));
  }

  // Calls `handlers[key]` for each key of `table`; an unknown key is an error naming it.
  using Handler = std::function<Status(const toml::node&)>;
  Status ForEachKey(const toml::table& table, std::string_view where,
                    const std::map<std::string, Handler, std::less<>>& handlers) const {
    for (const auto& [key, node] : table) {
      auto it = handlers.find(key.str());
      if (it == handlers.end()) {
        std::string message = "unknown key '" + std::string(key.str()) + "'";
        if (handlers.contains(std::string(key.str()) + "_s")) {
          message += " (did you mean '" + std::string(key.str()) + "_s'? durations are whole "
                     "seconds in keys ending in _s)";
        }
        int line = static_cast<int>(key.source().begin.line);
        return Error(line > 0 ? line : LineOf(node), where, "", message);
      }
      Status status = it->second(node);
      if (!status.ok()) {
        return status;
      }
    }
    return Status::Ok();
  }

  Status ReadInt(const toml::node& node, std::string_view where, std::string_view field,
                 int64_t min, int64_t max, int64_t* out) const {
    const auto* value = node.as_integer();
    if (value == nullptr) {
      return TypeError(node, where, field, "an integer");
    }
    int64_t v = value->get();
    if (v < min || v > max) {
      return Error(LineOf(node), where, field,
                   std::to_string(v) + " is out of range [" + std::to_string(min) + ", " +
                       std::to_string(max) + "]");
    }
    *out = v;
    return Status::Ok();
  }

  template <typename T>
  Status ReadUnsigned(const toml::node& node, std::string_view where, std::string_view field,
                      int64_t min, int64_t max, T* out) const {
    int64_t v = 0;
    Status status = ReadInt(node, where, field, min, max, &v);
    if (status.ok()) {
      *out = static_cast<T>(v);
    }
    return status;
  }

  // Whole seconds in the file, microseconds in the config.
  Status ReadSeconds(const toml::node& node, std::string_view where, std::string_view field,
                     int64_t min, Micros* out) const {
    int64_t v = 0;
    Status status = ReadInt(node, where, field, min, kMaxDurationSeconds, &v);
    if (status.ok()) {
      *out = v * kSeconds;
    }
    return status;
  }

  Status ReadString(const toml::node& node, std::string_view where, std::string_view field,
                    std::string* out) const {
    const auto* value = node.as_string();
    if (value == nullptr) {
      return TypeError(node, where, field, "a string");
    }
    *out = value->get();
    return Status::Ok();
  }

  Status ReadBool(const toml::node& node, std::string_view where, std::string_view field,
                  bool* out) const {
    const auto* value = node.as_boolean();
    if (value == nullptr) {
      return TypeError(node, where, field, "true or false");
    }
    *out = value->get();
    return Status::Ok();
  }

  Status ReadExpr(const toml::node& node, std::string_view where, std::string_view field,
                  bool allow_contact, bool allow_agent, Expr* out) const {
    std::string text;
    Status status = ReadString(node, where, field, &text);
    if (!status.ok()) {
      return status;
    }
    Result<Expr> expr = Expr::Parse(text, allow_contact, allow_agent);
    if (!expr.ok()) {
      return Error(LineOf(node), where, field, expr.status().message());
    }
    *out = std::move(expr).value();
    return Status::Ok();
  }

  Status ReadQueueName(const toml::node& node, std::string_view where, std::string_view field,
                       std::string* out) const {
    Status status = ReadString(node, where, field, out);
    if (status.ok() && !IsPlainName(*out, false)) {
      return Error(LineOf(node), where, field,
                   Quoted(*out) + " is not a queue name (letters, digits, '_' and '-', "
                                  "starting with a letter or '_', at most 128)");
    }
    return status;
  }

  Status LoadSettings(const toml::table& routing, RoutingConfig* config);
  Status LoadChannelCost(const toml::node& node, RoutingConfig* config);
  Status LoadQueue(const toml::node& node, size_t index, QueueConfig* queue);
  Status LoadStep(const toml::node& node, std::string_view where, size_t index, StepConfig* step);
  Status LoadRule(const toml::node& node, size_t index, RuleConfig* rule);
  Status CheckReferences(const RoutingConfig& config) const;

  std::string source_;
  int routing_line_ = 0;
  int default_queue_line_ = 0;
  // Lines of cross-references, checked once every queue is known.
  struct Reference {
    std::string where;
    std::string field;
    std::string queue;
    int line = 0;
    std::string owner;  // the queue holding the reference; empty for rules
  };
  std::vector<Reference> references_;
};

Result<RoutingConfig> Loader::Load(const toml::table& root) {
  const toml::node* routing_node = root.get("routing");
  if (routing_node == nullptr) {
    return Error(0, "", "", "no [routing] table");
  }
  const toml::table* routing = routing_node->as_table();
  if (routing == nullptr) {
    return TypeError(*routing_node, "", "routing", "a table");
  }
  routing_line_ = LineOf(*routing);
  RoutingConfig config;
  // Channel costs start from the documented defaults; queues and rules come only from the file.
  Status status = LoadSettings(*routing, &config);
  if (!status.ok()) {
    return status;
  }
  if (config.queues.empty()) {
    return Error(routing_line_, "routing", "queue",
                 "at least one queue is needed (add a [[routing.queue]] table)");
  }
  status = CheckReferences(config);
  if (!status.ok()) {
    return status;
  }
  status = config.Validate();
  if (!status.ok()) {
    // Validate says "line N: ..." when it knows the line; make it "source:N: ...".
    std::string_view message = status.message();
    constexpr std::string_view kLine = "line ";
    if (message.starts_with(kLine)) {
      size_t colon = message.find(':');
      if (colon != std::string_view::npos) {
        return Status(Code::kBadRequest,
                      source_ + ":" +
                          std::string(message.substr(kLine.size(), colon - kLine.size())) +
                          std::string(message.substr(colon)));
      }
    }
    return Status(Code::kBadRequest, source_ + ": " + std::string(message));
  }
  return config;
}

Status Loader::LoadSettings(const toml::table& routing, RoutingConfig* config) {
  constexpr std::string_view kWhere = "routing";
  std::map<std::string, Handler, std::less<>> handlers;
  handlers["default_queue"] = [&](const toml::node& n) {
    default_queue_line_ = LineOf(n);
    return ReadQueueName(n, kWhere, "default_queue", &config->default_queue);
  };
  handlers["max_missed_offers"] = [&](const toml::node& n) {
    return ReadUnsigned(n, kWhere, "max_missed_offers", 0, 1000, &config->max_missed_offers);
  };
  handlers["short_abandon_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, kWhere, "short_abandon_s", 0, &config->short_abandon);
  };
  handlers["rejoin_window_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, kWhere, "rejoin_window_s", 0, &config->rejoin_window);
  };
  handlers["reconcile_interval_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, kWhere, "reconcile_interval_s", 1, &config->reconcile_interval);
  };
  handlers["fcr_window_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, kWhere, "fcr_window_s", 0, &config->fcr_window);
  };
  handlers["default_budget"] = [&](const toml::node& n) {
    return ReadUnsigned(n, kWhere, "default_budget", 1, kMaxCost, &config->default_budget);
  };
  handlers["channel_cost"] = [&](const toml::node& n) { return LoadChannelCost(n, config); };
  handlers["queue"] = [&](const toml::node& n) {
    const toml::array* array = n.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      return Error(LineOf(n), kWhere, "queue",
                   "expected queue tables, written [[routing.queue]], found " +
                       std::string(TypeName(n)));
    }
    for (size_t i = 0; i < array->size(); ++i) {
      QueueConfig queue;
      Status status = LoadQueue((*array)[i], i, &queue);
      if (!status.ok()) {
        return status;
      }
      config->queues.push_back(std::move(queue));
    }
    return Status::Ok();
  };
  handlers["rule"] = [&](const toml::node& n) {
    const toml::array* array = n.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      return Error(LineOf(n), kWhere, "rule",
                   "expected rule tables, written [[routing.rule]], found " +
                       std::string(TypeName(n)));
    }
    std::map<std::string, int, std::less<>> names;
    for (size_t i = 0; i < array->size(); ++i) {
      RuleConfig rule;
      Status status = LoadRule((*array)[i], i, &rule);
      if (!status.ok()) {
        return status;
      }
      auto [it, inserted] = names.emplace(rule.name, rule.line);
      if (!inserted) {
        return Error(rule.line, "rule " + Quoted(rule.name), "name",
                     "defined twice (first at line " + std::to_string(it->second) + ")");
      }
      config->rules.push_back(std::move(rule));
    }
    return Status::Ok();
  };
  return ForEachKey(routing, kWhere, handlers);
}

Status Loader::LoadChannelCost(const toml::node& node, RoutingConfig* config) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    return TypeError(node, "routing", "channel_cost", "a table");
  }
  std::map<std::string, Handler, std::less<>> handlers;
  for (int c = 0; c < core::kChannelCount; ++c) {
    std::string name(core::ChannelName(static_cast<core::Channel>(c)));
    handlers[name] = [this, config, c, name](const toml::node& n) {
      return ReadUnsigned(n, "routing.channel_cost", name, 1, kMaxCost, &config->channel_cost[c]);
    };
  }
  return ForEachKey(*table, "routing.channel_cost", handlers);
}

Status Loader::LoadQueue(const toml::node& node, size_t index, QueueConfig* queue) {
  const toml::table& table = *node.as_table();
  queue->line = LineOf(table);
  const toml::node* name = table.get("name");
  std::string where = "queue " + std::to_string(index + 1);
  if (name == nullptr) {
    return Error(queue->line, where, "name", "missing (every queue needs a name)");
  }
  Status status = ReadQueueName(*name, where, "name", &queue->name);
  if (!status.ok()) {
    return status;
  }
  where = "queue " + Quoted(queue->name);

  std::string fallback_text;
  int fallback_line = 0;
  int fallback_queue_line = 0;
  std::map<std::string, Handler, std::less<>> handlers;
  handlers["name"] = [](const toml::node&) { return Status::Ok(); };
  handlers["strategy"] = [&](const toml::node& n) {
    std::string text;
    Status s = ReadString(n, where, "strategy", &text);
    if (!s.ok()) {
      return s;
    }
    if (text == "longest_idle") {
      queue->strategy = Strategy::kLongestIdle;
    } else if (text == "least_occupied") {
      queue->strategy = Strategy::kLeastOccupied;
    } else if (text == "round_robin") {
      queue->strategy = Strategy::kRoundRobin;
    } else {
      return Error(LineOf(n), where, "strategy",
                   "unknown strategy " + Quoted(text) +
                       " (expected \"longest_idle\", \"least_occupied\" or \"round_robin\")");
    }
    return Status::Ok();
  };
  handlers["sticky_window_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, where, "sticky_window_s", 0, &queue->sticky_window);
  };
  handlers["max_size"] = [&](const toml::node& n) {
    return ReadUnsigned(n, where, "max_size", 1, 100'000'000, &queue->max_size);
  };
  handlers["max_wait_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, where, "max_wait_s", 0, &queue->max_wait);
  };
  handlers["fallback"] = [&](const toml::node& n) {
    fallback_line = LineOf(n);
    return ReadString(n, where, "fallback", &fallback_text);
  };
  handlers["fallback_queue"] = [&](const toml::node& n) {
    fallback_queue_line = LineOf(n);
    return ReadQueueName(n, where, "fallback_queue", &queue->fallback_queue);
  };
  handlers["wrap_up_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, where, "wrap_up_s", 0, &queue->wrap_up);
  };
  handlers["wrap_up_until_ready"] = [&](const toml::node& n) {
    return ReadBool(n, where, "wrap_up_until_ready", &queue->wrap_up_until_ready);
  };
  handlers["restricted"] = [&](const toml::node& n) {
    return ReadBool(n, where, "restricted", &queue->restricted);
  };
  handlers["bot_queue"] = [&](const toml::node& n) {
    Status s = ReadQueueName(n, where, "bot_queue", &queue->bot_queue);
    if (s.ok()) {
      references_.push_back({where, "bot_queue", queue->bot_queue, LineOf(n), queue->name});
    }
    return s;
  };
  handlers["offer_to"] = [&](const toml::node& n) {
    return ReadUnsigned(n, where, "offer_to", 1, 100, &queue->offer_to);
  };
  handlers["offer_timeout_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, where, "offer_timeout_s", 1, &queue->offer_timeout);
  };
  handlers["sl_threshold_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, where, "sl_threshold_s", 0, &queue->sl_threshold);
  };
  handlers["aging_bound_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, where, "aging_bound_s", 0, &queue->aging_bound);
  };
  handlers["position_step"] = [&](const toml::node& n) {
    return ReadUnsigned(n, where, "position_step", 0, 1'000'000, &queue->position_step);
  };
  handlers["step"] = [&](const toml::node& n) {
    const toml::array* array = n.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      return Error(LineOf(n), where, "step",
                   "expected step tables, written [[routing.queue.step]], found " +
                       std::string(TypeName(n)));
    }
    for (size_t i = 0; i < array->size(); ++i) {
      StepConfig step;
      Status s = LoadStep((*array)[i], where, i, &step);
      if (!s.ok()) {
        return s;
      }
      queue->steps.push_back(std::move(step));
    }
    return Status::Ok();
  };
  status = ForEachKey(table, where, handlers);
  if (!status.ok()) {
    return status;
  }

  // fallback: "none" (the default), "queue" (needs fallback_queue) or "leave_message".
  // fallback_queue alone means "queue".
  if (fallback_text.empty() && !queue->fallback_queue.empty()) {
    fallback_text = "queue";
  }
  if (fallback_text.empty() || fallback_text == "none") {
    queue->fallback = FallbackKind::kNone;
  } else if (fallback_text == "queue") {
    queue->fallback = FallbackKind::kQueue;
  } else if (fallback_text == "leave_message") {
    queue->fallback = FallbackKind::kLeaveMessage;
  } else {
    return Error(fallback_line, where, "fallback",
                 "unknown fallback " + Quoted(fallback_text) +
                     " (expected \"none\", \"queue\" or \"leave_message\")");
  }
  if (queue->fallback == FallbackKind::kQueue && queue->fallback_queue.empty()) {
    return Error(fallback_line, where, "fallback_queue",
                 "missing (fallback = \"queue\" needs the queue's name)");
  }
  if (queue->fallback != FallbackKind::kQueue && !queue->fallback_queue.empty()) {
    return Error(fallback_queue_line, where, "fallback_queue",
                 "set, but fallback is " + Quoted(fallback_text) + ", not \"queue\"");
  }
  if (queue->fallback != FallbackKind::kNone && queue->max_wait == 0) {
    return Error(fallback_line > 0 ? fallback_line : fallback_queue_line, where, "max_wait_s",
                 "missing (a fallback is taken after max_wait_s)");
  }
  if (queue->fallback == FallbackKind::kQueue) {
    references_.push_back(
        {where, "fallback_queue", queue->fallback_queue, fallback_queue_line, queue->name});
  }
  if (queue->wrap_up_until_ready && queue->wrap_up > 0) {
    return Error(queue->line, where, "wrap_up_s",
                 "set together with wrap_up_until_ready = true (choose one)");
  }
  // A queue without steps offers to every signed-in agent, with no expiry.
  if (queue->steps.empty()) {
    queue->steps.push_back(StepConfig{});
  }
  return Status::Ok();
}

Status Loader::LoadStep(const toml::node& node, std::string_view queue_where, size_t index,
                        StepConfig* step) {
  const toml::table& table = *node.as_table();
  std::string where = std::string(queue_where) + ": step " + std::to_string(index + 1);
  std::map<std::string, Handler, std::less<>> handlers;
  handlers["pool"] = [&](const toml::node& n) {
    return ReadExpr(n, where, "pool", /*allow_contact=*/false, /*allow_agent=*/true,
                    &step->pool);
  };
  handlers["expires_after_s"] = [&](const toml::node& n) {
    return ReadSeconds(n, where, "expires_after_s", 0, &step->expires_after);
  };
  return ForEachKey(table, where, handlers);
}

Status Loader::LoadRule(const toml::node& node, size_t index, RuleConfig* rule) {
  const toml::table& table = *node.as_table();
  rule->line = LineOf(table);
  std::string where = "rule " + std::to_string(index + 1);
  rule->name = where;
  if (const toml::node* name = table.get("name")) {
    Status status = ReadString(*name, where, "name", &rule->name);
    if (!status.ok()) {
      return status;
    }
    if (rule->name.empty() || rule->name.size() > kMaxNameSize) {
      return Error(LineOf(*name), where, "name", "must be 1 to 128 characters");
    }
    where = "rule " + Quoted(rule->name);
  }
  bool has_queue = false;
  std::map<std::string, Handler, std::less<>> handlers;
  handlers["name"] = [](const toml::node&) { return Status::Ok(); };
  handlers["when"] = [&](const toml::node& n) {
    return ReadExpr(n, where, "when", /*allow_contact=*/true, /*allow_agent=*/false, &rule->when);
  };
  handlers["queue"] = [&](const toml::node& n) {
    has_queue = true;
    Status s = ReadQueueName(n, where, "queue", &rule->queue);
    if (s.ok()) {
      references_.push_back({where, "queue", rule->queue, LineOf(n), ""});
    }
    return s;
  };
  handlers["priority"] = [&](const toml::node& n) {
    int64_t v = 0;
    Status s = ReadInt(n, where, "priority", -1'000'000, 1'000'000, &v);
    rule->priority = static_cast<int>(v);
    return s;
  };
  handlers["skills"] = [&](const toml::node& n) {
    const toml::table* skills = n.as_table();
    if (skills == nullptr) {
      return TypeError(n, where, "skills", "a table of skill = level, e.g. { refunds = 2 }");
    }
    for (const auto& [key, level_node] : *skills) {
      std::string field = "skills." + std::string(key.str());
      if (!IsPlainName(key.str(), false)) {
        return Error(LineOf(level_node), where, field,
                     "not a skill name (letters, digits, '_' and '-', starting with a letter "
                     "or '_')");
      }
      SkillRequirement requirement{.skill = std::string(key.str())};
      Status s = ReadInt(level_node, where, field, 1, 1'000'000, &requirement.min_level);
      if (!s.ok()) {
        return s;
      }
      rule->skills.push_back(std::move(requirement));
    }
    return Status::Ok();
  };
  Status status = ForEachKey(table, where, handlers);
  if (!status.ok()) {
    return status;
  }
  if (!has_queue) {
    return Error(rule->line, where, "queue", "missing (every rule names its queue)");
  }
  return Status::Ok();
}

Status Loader::CheckReferences(const RoutingConfig& config) const {
  std::map<std::string_view, int> lines;
  for (const QueueConfig& queue : config.queues) {
    auto [it, inserted] = lines.emplace(queue.name, queue.line);
    if (!inserted) {
      return Error(queue.line, "queue " + Quoted(queue.name), "name",
                   "defined twice (first at line " + std::to_string(it->second) + ")");
    }
  }
  for (const Reference& ref : references_) {
    if (config.FindQueue(ref.queue) == nullptr) {
      return Error(ref.line, ref.where, ref.field, "no queue " + Quoted(ref.queue));
    }
    if (ref.queue == ref.owner) {
      return Error(ref.line, ref.where, ref.field, "must name another queue, not this one");
    }
  }
  if (config.FindQueue(config.default_queue) == nullptr) {
    return Error(default_queue_line_ > 0 ? default_queue_line_ : routing_line_, "routing",
                 "default_queue",
                 "no queue " + Quoted(config.default_queue) +
                     (default_queue_line_ > 0 ? "" : " (the default; set default_queue)"));
  }
  return Status::Ok();
}

}  // namespace

Result<RoutingConfig> LoadRoutingConfig(std::string_view toml_text, std::string_view source_name) {
  std::string source(source_name.empty() ? "<inline>" : source_name);
#if TOML_EXCEPTIONS
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& error) {
    return Status(Code::kBadRequest, source + ":" + std::to_string(error.source().begin.line) +
                                         ": " + std::string(error.description()));
  }
#else
  toml::parse_result parsed = toml::parse(toml_text, source);
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    return Status(Code::kBadRequest, source + ":" + std::to_string(error.source().begin.line) +
                                         ": " + std::string(error.description()));
  }
  const toml::table& root = parsed.table();
#endif
  Loader loader(source);
  return loader.Load(root);
}

Result<RoutingConfig> LoadRoutingConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status(Code::kBadRequest,
                  path + ": cannot open the routing configuration: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Status(Code::kBadRequest, path + ": cannot read the routing configuration");
  }
  return LoadRoutingConfig(text.str(), path);
}

}  // namespace switchboard::config
