#include "config/routing_config.h"

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::config {
namespace {

using core::routing::Attributes;
using core::routing::FallbackKind;
using core::routing::QueueConfig;
using core::routing::RoutingConfig;
using core::routing::SkillRequirement;
using core::routing::Strategy;

const Attributes kNone;

RoutingConfig MustLoad(std::string_view text) {
  Result<RoutingConfig> config = LoadRoutingConfig(text, "routing.toml");
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? std::move(config).value() : RoutingConfig::Default();
}

std::string ErrorOf(std::string_view text) {
  Result<RoutingConfig> config = LoadRoutingConfig(text, "routing.toml");
  EXPECT_FALSE(config.ok()) << "loaded:\n" << text;
  if (config.ok()) {
    return "";
  }
  EXPECT_EQ(config.status().code(), Code::kBadRequest);
  return config.status().message();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A queue "general" to make small configs valid.
constexpr std::string_view kGeneral = R"(
[[routing.queue]]
name = "general"
)";

TEST(LoadRoutingConfig, MinimalFileGetsTheDefaults) {
  RoutingConfig config = MustLoad(R"(
[routing]
default_queue = "general"
)" + std::string(kGeneral));
  RoutingConfig defaults;
  ASSERT_EQ(config.queues.size(), 1u);
  const QueueConfig& q = config.queues[0];
  EXPECT_EQ(q.name, "general");
  EXPECT_EQ(q.line, 5);
  EXPECT_EQ(q.strategy, Strategy::kLongestIdle);
  ASSERT_EQ(q.steps.size(), 1u);  // no step written: every agent, never expires
  EXPECT_EQ(q.steps[0].pool.text(), "true");
  EXPECT_EQ(q.steps[0].expires_after, 0);
  EXPECT_EQ(q.offer_to, 1u);
  EXPECT_EQ(q.offer_timeout, 15 * kSeconds);
  EXPECT_EQ(q.max_size, 100000u);
  EXPECT_EQ(q.fallback, FallbackKind::kNone);
  EXPECT_TRUE(config.rules.empty());
  EXPECT_EQ(config.default_queue, "general");
  EXPECT_EQ(config.max_missed_offers, defaults.max_missed_offers);
  EXPECT_EQ(config.short_abandon, defaults.short_abandon);
  EXPECT_EQ(config.channel_cost, defaults.channel_cost);
  EXPECT_EQ(config.default_budget, 100u);
}

TEST(LoadRoutingConfig, EveryKeyLandsInItsField) {
  RoutingConfig config = MustLoad(R"(
[routing]
default_queue = "general"
max_missed_offers = 5
short_abandon_s = 7
rejoin_window_s = 90
reconcile_interval_s = 3
fcr_window_s = 3600
default_budget = 200

[routing.channel_cost]
im = 25
phone = 200
social = 10
merchant = 30
proactive = 40

[[routing.rule]]
name = "vip"
when = 'contact.vip_level >= 2 and contact.topic in ["refund", "complaint"]'
queue = "complaints"
priority = 10
skills = { complaints = 3, refunds = 1 }

[[routing.rule]]
queue = "general"

[[routing.queue]]
name = "complaints"
strategy = "least_occupied"
sticky_window_s = 600
max_size = 50
max_wait_s = 300
fallback_queue = "general"
wrap_up_s = 20
restricted = true
bot_queue = "bot"
offer_to = 2
offer_timeout_s = 25
sl_threshold_s = 40
aging_bound_s = 120
position_step = 3

  [[routing.queue.step]]
  pool = 'agent.skill.complaints >= 3'
  expires_after_s = 30

  [[routing.queue.step]]
  pool = 'agent.tier >= 2'

[[routing.queue]]
name = "general"
strategy = "round_robin"
wrap_up_until_ready = true
max_wait_s = 60
fallback = "leave_message"

[[routing.queue]]
name = "bot"

[other]
ignored = "not routing"
)");
  EXPECT_EQ(config.max_missed_offers, 5u);
  EXPECT_EQ(config.short_abandon, 7 * kSeconds);
  EXPECT_EQ(config.rejoin_window, 90 * kSeconds);
  EXPECT_EQ(config.reconcile_interval, 3 * kSeconds);
  EXPECT_EQ(config.fcr_window, 3600 * kSeconds);
  EXPECT_EQ(config.default_budget, 200u);
  EXPECT_EQ(config.channel_cost, (std::array<uint32_t, core::kChannelCount>{25, 200, 10, 30, 40}));

  ASSERT_EQ(config.rules.size(), 2u);
  const auto& vip = config.rules[0];
  EXPECT_EQ(vip.name, "vip");
  EXPECT_EQ(vip.line, 18);
  EXPECT_EQ(vip.queue, "complaints");
  EXPECT_EQ(vip.priority, 10);
  EXPECT_EQ(vip.skills, (std::vector<SkillRequirement>{{"complaints", 3}, {"refunds", 1}}));
  Attributes contact;
  contact.Set("vip_level", int64_t{2});
  contact.Set("topic", std::string("refund"));
  EXPECT_TRUE(vip.when.Eval(contact, kNone));
  EXPECT_FALSE(vip.when.Eval(kNone, kNone));
  EXPECT_EQ(config.rules[1].name, "rule 2");
  EXPECT_EQ(config.rules[1].when.text(), "true");

  ASSERT_EQ(config.queues.size(), 3u);
  const QueueConfig& c = config.queues[0];
  EXPECT_EQ(c.line, 28);
  EXPECT_EQ(c.strategy, Strategy::kLeastOccupied);
  EXPECT_EQ(c.sticky_window, 600 * kSeconds);
  EXPECT_EQ(c.max_size, 50u);
  EXPECT_EQ(c.max_wait, 300 * kSeconds);
  EXPECT_EQ(c.fallback, FallbackKind::kQueue);
  EXPECT_EQ(c.fallback_queue, "general");
  EXPECT_EQ(c.wrap_up, 20 * kSeconds);
  EXPECT_FALSE(c.wrap_up_until_ready);
  EXPECT_TRUE(c.restricted);
  EXPECT_EQ(c.bot_queue, "bot");
  EXPECT_EQ(c.offer_to, 2u);
  EXPECT_EQ(c.offer_timeout, 25 * kSeconds);
  EXPECT_EQ(c.sl_threshold, 40 * kSeconds);
  EXPECT_EQ(c.aging_bound, 120 * kSeconds);
  EXPECT_EQ(c.position_step, 3u);
  ASSERT_EQ(c.steps.size(), 2u);
  EXPECT_EQ(c.steps[0].pool.text(), "agent.skill.complaints >= 3");
  EXPECT_EQ(c.steps[0].expires_after, 30 * kSeconds);
  EXPECT_EQ(c.steps[1].expires_after, 0);
  Attributes agent;
  agent.Set("tier", int64_t{2});
  EXPECT_FALSE(c.steps[0].pool.Eval(kNone, agent));
  EXPECT_TRUE(c.steps[1].pool.Eval(kNone, agent));

  const QueueConfig& g = config.queues[1];
  EXPECT_EQ(g.strategy, Strategy::kRoundRobin);
  EXPECT_TRUE(g.wrap_up_until_ready);
  EXPECT_EQ(g.fallback, FallbackKind::kLeaveMessage);
  EXPECT_TRUE(g.fallback_queue.empty());
}

TEST(LoadRoutingConfig, KeysOutsideRoutingAreIgnored) {
  RoutingConfig config = MustLoad(R"(
[broker]
bind = "tcp://*:5555"
whatever = [1, 2, 3]

[routing]
default_queue = "general"
)" + std::string(kGeneral) + R"(
[metrics]
port = 9100
)");
  EXPECT_EQ(config.queues.size(), 1u);
}

TEST(LoadRoutingConfigErrors, TomlSyntaxNamesTheLine) {
  std::string message = ErrorOf("[routing]\ndefault_queue = \"general\n");
  EXPECT_EQ(message.rfind("routing.toml:2: ", 0), 0u) << message;
}

TEST(LoadRoutingConfigErrors, MissingRoutingTable) {
  EXPECT_EQ(ErrorOf("[broker]\nx = 1\n"), "routing.toml: no [routing] table");
  EXPECT_EQ(ErrorOf("routing = 3\n"),
            "routing.toml:1: routing: expected a table, found an integer");
  EXPECT_EQ(ErrorOf("[routing]\n"),
            "routing.toml:1: routing: queue: at least one queue is needed (add a "
            "[[routing.queue]] table)");
}

TEST(LoadRoutingConfigErrors, UnknownKeysNameTheLine) {
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"general\"\nmax_missed = 3\n" +
                    std::string(kGeneral)),
            "routing.toml:3: routing: unknown key 'max_missed'");
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"general\"\n" + std::string(kGeneral) +
                    "offer_timeout = 5\n"),
            "routing.toml:6: queue \"general\": unknown key 'offer_timeout' (did you mean "
            "'offer_timeout_s'? durations are whole seconds in keys ending in _s)");
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"general\"\n" + std::string(kGeneral) +
                    "[[routing.queue.step]]\npool = 'agent.tier > 1'\nexpire_s = 3\n"),
            "routing.toml:8: queue \"general\": step 1: unknown key 'expire_s'");
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"general\"\n" + std::string(kGeneral) +
                    "[routing.channel_cost]\nfax = 3\n"),
            "routing.toml:7: routing.channel_cost: unknown key 'fax'");
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"general\"\n" + std::string(kGeneral) +
                    "[[routing.rule]]\nqueue = \"general\"\nthen = 1\n"),
            "routing.toml:8: rule 1: unknown key 'then'");
}

TEST(LoadRoutingConfigErrors, BadExpressionsNameLineFieldAndColumn) {
  EXPECT_EQ(ErrorOf(R"([routing]
default_queue = "complaints"

[[routing.queue]]
name = "complaints"

  [[routing.queue.step]]
  pool = 'agent.tier >= 2'

  [[routing.queue.step]]
  pool = 'agent.tier >= 2 or agnt.skill.complaints >= 3'
)"),
            "routing.toml:11: queue \"complaints\": step 2: pool: column 20: unknown scope "
            "'agnt' (expected 'contact' or 'agent')");
  EXPECT_EQ(ErrorOf(R"([routing]
default_queue = "general"
[[routing.rule]]
name = "vip"
when = 'agent.tier >= 2'
queue = "general"
)" + std::string(kGeneral)),
            "routing.toml:5: rule \"vip\": when: column 1: 'agent.' is not allowed here (rule "
            "conditions read contact attributes)");
  EXPECT_EQ(ErrorOf(R"([routing]
default_queue = "general"
[[routing.queue]]
name = "general"
[[routing.queue.step]]
pool = 'contact.vip_level > 1'
)"),
            "routing.toml:6: queue \"general\": step 1: pool: column 1: 'contact.' is not allowed "
            "here (agent pools read agent attributes)");
  EXPECT_EQ(ErrorOf(R"([routing]
default_queue = "general"
[[routing.rule]]
when = 'contact.topic in ["a", 2]'
queue = "general"
)" + std::string(kGeneral)),
            "routing.toml:4: rule 1: when: column 24: list mixes strings and integers (this item "
            "is an integer, the first is a string)");
}

TEST(LoadRoutingConfigErrors, WrongTypesAndRanges) {
  const std::string head = "[routing]\ndefault_queue = \"general\"\n" + std::string(kGeneral);
  EXPECT_EQ(ErrorOf(head + "max_size = \"big\"\n"),
            "routing.toml:6: queue \"general\": max_size: expected an integer, found a string");
  EXPECT_EQ(ErrorOf(head + "max_wait_s = 1.5\n"),
            "routing.toml:6: queue \"general\": max_wait_s: expected an integer, found a "
            "floating-point number");
  EXPECT_EQ(ErrorOf(head + "offer_to = 0\n"),
            "routing.toml:6: queue \"general\": offer_to: 0 is out of range [1, 100]");
  EXPECT_EQ(ErrorOf(head + "wrap_up_s = -1\n"),
            "routing.toml:6: queue \"general\": wrap_up_s: -1 is out of range [0, 315360000]");
  EXPECT_EQ(ErrorOf(head + "restricted = \"yes\"\n"),
            "routing.toml:6: queue \"general\": restricted: expected true or false, found a "
            "string");
  EXPECT_EQ(ErrorOf(head + "strategy = \"sticky\"\n"),
            "routing.toml:6: queue \"general\": strategy: unknown strategy \"sticky\" (expected "
            "\"longest_idle\", \"least_occupied\" or \"round_robin\")");
  EXPECT_EQ(ErrorOf(head + "[[routing.queue.step]]\npool = 3\n"),
            "routing.toml:7: queue \"general\": step 1: pool: expected a string, found an "
            "integer");
  EXPECT_EQ(ErrorOf(head + "[routing.channel_cost]\nphone = 0\n"),
            "routing.toml:7: routing.channel_cost: phone: 0 is out of range [1, 1000000]");
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"general\"\nreconcile_interval_s = 0\n" +
                    std::string(kGeneral)),
            "routing.toml:3: routing: reconcile_interval_s: 0 is out of range [1, 315360000]");
  EXPECT_EQ(ErrorOf(head + "[[routing.rule]]\nqueue = \"general\"\nskills = { refunds = 0 }\n"),
            "routing.toml:8: rule 1: skills.refunds: 0 is out of range [1, 1000000]");
  EXPECT_EQ(ErrorOf(head + "[[routing.rule]]\nqueue = \"general\"\nskills = [\"refunds\"]\n"),
            "routing.toml:8: rule 1: skills: expected a table of skill = level, e.g. { refunds "
            "= 2 }, found an array");
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"general\"\nqueue = \"general\"\n"),
            "routing.toml:3: routing: queue: expected queue tables, written [[routing.queue]], "
            "found a string");
}

TEST(LoadRoutingConfigErrors, NamesAndRequiredKeys) {
  EXPECT_EQ(ErrorOf("[routing]\n[[routing.queue]]\nstrategy = \"round_robin\"\n"),
            "routing.toml:2: queue 1: name: missing (every queue needs a name)");
  EXPECT_EQ(ErrorOf("[routing]\n[[routing.queue]]\nname = \"after sale\"\n"),
            "routing.toml:3: queue 1: name: \"after sale\" is not a queue name (letters, "
            "digits, '_' and '-', starting with a letter or '_', at most 128)");
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"general\"\n" + std::string(kGeneral) +
                    "[[routing.rule]]\nname = \"r\"\nwhen = 'contact.vip_level > 1'\n"),
            "routing.toml:6: rule \"r\": queue: missing (every rule names its queue)");
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"general\"\n" + std::string(kGeneral) +
                    "[[routing.rule]]\nname = \"r\"\nqueue = \"general\"\n" +
                    "[[routing.rule]]\nname = \"r\"\nqueue = \"general\"\n"),
            "routing.toml:9: rule \"r\": name: defined twice (first at line 6)");
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"general\"\n" + std::string(kGeneral) +
                    std::string(kGeneral)),
            "routing.toml:7: queue \"general\": name: defined twice (first at line 4)");
}

TEST(LoadRoutingConfigErrors, CrossReferencesNameTheLineOfTheReference) {
  const std::string head = "[routing]\ndefault_queue = \"general\"\n" + std::string(kGeneral);
  EXPECT_EQ(ErrorOf(head + "[[routing.rule]]\nname = \"r\"\nqueue = \"complaint\"\n"),
            "routing.toml:8: rule \"r\": queue: no queue \"complaint\"");
  EXPECT_EQ(ErrorOf(head + "max_wait_s = 60\nfallback_queue = \"nowhere\"\n"),
            "routing.toml:7: queue \"general\": fallback_queue: no queue \"nowhere\"");
  EXPECT_EQ(ErrorOf(head + "max_wait_s = 60\nfallback_queue = \"general\"\n"),
            "routing.toml:7: queue \"general\": fallback_queue: must name another queue, not "
            "this one");
  EXPECT_EQ(ErrorOf(head + "bot_queue = \"robot\"\n"),
            "routing.toml:6: queue \"general\": bot_queue: no queue \"robot\"");
  EXPECT_EQ(ErrorOf("[routing]\ndefault_queue = \"main\"\n" + std::string(kGeneral)),
            "routing.toml:2: routing: default_queue: no queue \"main\"");
  EXPECT_EQ(ErrorOf("[routing]\n" + std::string(kGeneral)),
            "routing.toml:1: routing: default_queue: no queue \"default\" (the default; set "
            "default_queue)");
}

TEST(LoadRoutingConfigErrors, FallbackNeedsItsParts) {
  const std::string head = "[routing]\ndefault_queue = \"general\"\n" + std::string(kGeneral);
  EXPECT_EQ(ErrorOf(head + "max_wait_s = 60\nfallback = \"queue\"\n"),
            "routing.toml:7: queue \"general\": fallback_queue: missing (fallback = \"queue\" "
            "needs the queue's name)");
  EXPECT_EQ(ErrorOf(head + "max_wait_s = 60\nfallback = \"voicemail\"\n"),
            "routing.toml:7: queue \"general\": fallback: unknown fallback \"voicemail\" "
            "(expected \"none\", \"queue\" or \"leave_message\")");
  EXPECT_EQ(ErrorOf(head + "fallback = \"leave_message\"\n"),
            "routing.toml:6: queue \"general\": max_wait_s: missing (a fallback is taken after "
            "max_wait_s)");
  EXPECT_EQ(ErrorOf(head + "max_wait_s = 60\nfallback = \"leave_message\"\nfallback_queue = "
                           "\"general\"\n"),
            "routing.toml:8: queue \"general\": fallback_queue: set, but fallback is "
            "\"leave_message\", not \"queue\"");
  EXPECT_EQ(ErrorOf(head + "wrap_up_s = 10\nwrap_up_until_ready = true\n"),
            "routing.toml:4: queue \"general\": wrap_up_s: set together with "
            "wrap_up_until_ready = true (choose one)");
}

TEST(LoadRoutingConfigErrors, ValidateMessagesGetTheSourceAndLine) {
  // A chain of bot queues passes the loader's own checks; RoutingConfig::Validate catches it
  // and its message gets the source and the queue's line.
  std::string message = ErrorOf(R"([routing]
default_queue = "general"
[[routing.queue]]
name = "general"
bot_queue = "bot"
[[routing.queue]]
name = "bot"
bot_queue = "bot2"
[[routing.queue]]
name = "bot2"
)");
  EXPECT_EQ(message.rfind("routing.toml:3: ", 0), 0u) << message;
  EXPECT_NE(message.find("bot_queue"), std::string::npos) << message;
}

TEST(LoadRoutingConfigFile, ReadsAFileAndNamesItInErrors) {
  Result<RoutingConfig> missing = LoadRoutingConfigFile("/nonexistent/routing.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message().rfind("/nonexistent/routing.toml: cannot open", 0), 0u)
      << missing.status().message();
}

TEST(RoutingExample, LoadsCleanlyWithTheDocumentedShape) {
  Result<RoutingConfig> loaded = LoadRoutingConfigFile(SB_ROUTING_EXAMPLE);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const RoutingConfig& config = *loaded;
  EXPECT_EQ(config.default_queue, "general");
  const QueueConfig* post_sale = config.FindQueue("post_sale");
  ASSERT_NE(post_sale, nullptr);
  EXPECT_EQ(post_sale->strategy, Strategy::kLeastOccupied);
  ASSERT_EQ(post_sale->steps.size(), 3u);
  EXPECT_EQ(post_sale->steps[0].expires_after, 30 * kSeconds);
  EXPECT_EQ(post_sale->steps[1].expires_after, 30 * kSeconds);
  EXPECT_EQ(post_sale->fallback, FallbackKind::kQueue);
  const QueueConfig* complaints = config.FindQueue("complaints");
  ASSERT_NE(complaints, nullptr);
  EXPECT_TRUE(complaints->restricted);
  EXPECT_GT(complaints->aging_bound, 0);
  const QueueConfig* pre_sale = config.FindQueue("pre_sale");
  ASSERT_NE(pre_sale, nullptr);
  EXPECT_EQ(pre_sale->bot_queue, "bot");
  EXPECT_GT(pre_sale->sticky_window, 0);
  EXPECT_EQ(config.channel_cost[static_cast<int>(core::Channel::kPhone)], 100u);
  EXPECT_EQ(config.channel_cost[static_cast<int>(core::Channel::kIm)], 20u);
  EXPECT_EQ(config.default_budget, 100u);

  // The first matching rule decides: a VIP refund on a delivered order goes to complaints
  // with priority; the same from a non-VIP goes to post_sale (as docs/routing.md says).
  auto first_match = [&](const Attributes& contact) -> const core::routing::RuleConfig* {
    for (const auto& rule : config.rules) {
      if (rule.when.Eval(contact, kNone)) {
        return &rule;
      }
    }
    return nullptr;
  };
  Attributes contact;
  contact.Set("vip_level", int64_t{2});
  contact.Set("topic", std::string("refund"));
  contact.Set("order_state", std::string("delivered"));
  const core::routing::RuleConfig* vip = first_match(contact);
  ASSERT_NE(vip, nullptr);
  EXPECT_EQ(vip->queue, "complaints");
  EXPECT_EQ(vip->priority, 10);
  contact.Set("vip_level", int64_t{0});
  const core::routing::RuleConfig* regular = first_match(contact);
  ASSERT_NE(regular, nullptr);
  EXPECT_EQ(regular->queue, "post_sale");
  EXPECT_EQ(regular->priority, 0);
}

// Mutations of the example (lines dropped or repeated, bytes changed, the text cut short)
// must load or fail with a coded error that names the source; never crash.
TEST(RoutingExample, MutationsNeverCrash) {
  const std::string original = ReadFile(SB_ROUTING_EXAMPLE);
  ASSERT_FALSE(original.empty());
  std::vector<std::string> lines;
  std::istringstream in(original);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  const std::string junk = "[]{}=\"'.,#0123456789-_ \nabcxyz\\";
  std::mt19937 rng(42);
  int loaded = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::string> mutated = lines;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !mutated.empty(); ++e) {
      size_t at = rng() % mutated.size();
      switch (rng() % 4) {
        case 0:
          mutated.erase(mutated.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        case 1:
          mutated.insert(mutated.begin() + static_cast<std::ptrdiff_t>(rng() % mutated.size()),
                         mutated[at]);
          break;
        case 2:
          if (!mutated[at].empty()) {
            mutated[at][rng() % mutated[at].size()] = junk[rng() % junk.size()];
          }
          break;
        default:
          mutated[at] = mutated[at].substr(0, rng() % (mutated[at].size() + 1));
          break;
      }
    }
    std::string text;
    for (const std::string& line : mutated) {
      text += line + "\n";
    }
    Result<RoutingConfig> config = LoadRoutingConfig(text, "mutant.toml");
    if (config.ok()) {
      ++loaded;
      EXPECT_TRUE(config->Validate().ok());
    } else {
      EXPECT_EQ(config.status().code(), Code::kBadRequest);
      EXPECT_EQ(config.status().message().rfind("mutant.toml", 0), 0u)
          << config.status().message();
    }
  }
  EXPECT_GT(loaded, 0);  // some mutations (comments, blank lines) are harmless
}

// Every ```toml block of docs/routing.md is a complete routing file that loads.
TEST(RoutingDoc, EveryTomlBlockLoads) {
  std::string doc = ReadFile(SB_ROUTING_DOC);
  ASSERT_FALSE(doc.empty()) << "cannot read " << SB_ROUTING_DOC;
  int blocks = 0;
  size_t pos = 0;
  while ((pos = doc.find("```toml\n", pos)) != std::string::npos) {
    size_t start = pos + 8;
    size_t end = doc.find("```", start);
    ASSERT_NE(end, std::string::npos) << "unclosed block at offset " << pos;
    std::string block = doc.substr(start, end - start);
    size_t line = 1 + static_cast<size_t>(std::count(doc.begin(), doc.begin() + pos, '\n'));
    Result<RoutingConfig> config =
        LoadRoutingConfig(block, "routing.md block at line " + std::to_string(line));
    EXPECT_TRUE(config.ok()) << config.status().message();
    ++blocks;
    pos = end + 3;
  }
  EXPECT_GT(blocks, 0);
}

}  // namespace
}  // namespace switchboard::config
