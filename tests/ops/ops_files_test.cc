// Checks of the files in ops/ that need no Prometheus server: the example configuration is
// accepted by the real broker and sets (and documents the default of) every setting the
// broker has; the dashboard is well-formed, has the panels it promises, uses its template
// variables only where Grafana's "All" (.*) keeps the query valid, and reads only metrics
// that docs/metrics.md documents, as do the alert rules.
#include "ops/ops_files.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ops/subprocess.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"

#ifndef SWITCHBOARD_DOCS_DIR
#error "SWITCHBOARD_DOCS_DIR must be defined by the build"
#endif
#ifndef SWITCHBOARD_PROMTOOL
#error "SWITCHBOARD_PROMTOOL must be defined by the build"
#endif

namespace switchboard::testing {
namespace {

using namespace std::chrono_literals;

const std::string kExample = OpsDir() + "/switchboard.example.toml";

struct HelpOption {
  std::string name;           // without the leading --
  std::string default_value;  // as --help shows it after '='; empty if none shown
};

// The long options `switchboard-broker --help` lists, with their defaults.
std::vector<HelpOption> BrokerOptions() {
  const RunResult help = RunTool({BrokerProcess::BinaryPath(), "--help"}, 10s);
  EXPECT_EQ(help.status, 0) << help.err;
  // "  --bind TEXT=tcp://127.0.0.1:5570", "  --wal-sync-interval-ms INT:INT in [1 - 60000]=1000",
  // "  --durability TEXT:{fast,sync}=fast", "  --metrics-per-agent   Export ..." (a flag): the
  // option's line, its type and default up to two spaces, then maybe the description.
  static const std::regex kOption(R"(^\s+(?:-\w,)?--([a-z0-9-]+)(.*)$)");
  std::vector<HelpOption> options;
  std::istringstream in(help.out);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, kOption)) {
      continue;
    }
    std::string spec = m[2].str();
    if (spec.rfind(" ", 0) == 0) {
      spec = spec.substr(1);
    }
    spec = spec.substr(0, spec.find("  "));
    if (spec.size() > 4 && spec.compare(spec.size() - 4, 4, " ...") == 0) {
      spec.resize(spec.size() - 4);  // a list option: "=[20] ..."
    }
    const size_t eq = spec.rfind('=');
    options.push_back({m[1].str(), eq == std::string::npos ? "" : spec.substr(eq + 1)});
  }
  return options;
}

// key -> (value as written, the comment lines just above it).
struct ExampleKey {
  std::string value;
  std::string comment;
};
std::map<std::string, ExampleKey> ExampleKeys() {
  std::map<std::string, ExampleKey> keys;
  std::istringstream in(ReadWholeFile(kExample));
  static const std::regex kKey(R"(^([a-z0-9-]+)\s*=\s*(.*)$)");
  std::string comment;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (line.rfind("#", 0) == 0) {
      comment += line.substr(1) + "\n";
    } else if (std::regex_match(line, m, kKey)) {
      keys[m[1].str()] = {m[2].str(), comment};
      comment.clear();
    } else {
      comment.clear();
    }
  }
  return keys;
}

TEST(ExampleConfig, BrokerStartsWithItAndStopsCleanly) {
  TempDir dir;
  // The file's bind, data-dir and metrics-bind are production values; the command line
  // (BrokerProcess passes --data-dir, --bind and --metrics-bind "") wins over them.
  BrokerProcess broker(dir.Sub("data"), "ipc://" + dir.Sub("broker.sock"), {"--config", kExample});
  const std::string error = broker.Start();
  ASSERT_EQ(error, "");
  EXPECT_EQ(broker.Terminate(), 0) << broker.StderrLog();
  EXPECT_NE(broker.StderrLog().find("stopped cleanly"), std::string::npos) << broker.StderrLog();
}

TEST(ExampleConfig, TheBrokerReadsIt) {
  // The ready line shows the file's durability (sync), not the built-in default (fast).
  TempDir dir;
  Child broker;
  ASSERT_EQ(
      broker.Start({BrokerProcess::BinaryPath(), "--config", kExample, "--data-dir",
                    dir.Sub("data"), "--bind", "ipc://" + dir.Sub("b.sock"), "--metrics-bind", ""},
                   dir.Sub("stderr")),
      "");
  const std::string ready = broker.WaitForLine("ready:", 20s);
  ASSERT_NE(ready, "") << ReadWholeFile(dir.Sub("stderr"));
  EXPECT_NE(ready.find("durability=sync"), std::string::npos) << ready;
  EXPECT_EQ(broker.Terminate(20s), 0);
}

TEST(ExampleConfig, SetsEverySettingTheBrokerHasWithItsDefault) {
  const std::vector<HelpOption> options = BrokerOptions();
  ASSERT_GT(options.size(), 10u) << "could not read the broker's --help";
  const auto keys = ExampleKeys();
  static const std::regex kDefault(R"(Default:\s*("[^"]*"|\S+?)\.?(\s|$))");
  for (const HelpOption& option : options) {
    if (option.name == "help" || option.name == "version" || option.name == "config") {
      continue;
    }
    auto key = keys.find(option.name);
    if (key == keys.end()) {
      ADD_FAILURE() << "ops/switchboard.example.toml does not set " << option.name;
      continue;
    }
    std::smatch m;
    if (!std::regex_search(key->second.comment, m, kDefault)) {
      ADD_FAILURE() << option.name << ": no 'Default:' in the comment above it";
      continue;
    }
    std::string documented = m[1].str();
    if (documented.size() >= 2 && documented.front() == '"') {
      documented = documented.substr(1, documented.size() - 2);
    }
    if (documented == "off") {
      documented = "";  // a flag: --help shows no default
    }
    EXPECT_EQ(documented, option.default_value)
        << option.name << ": the example documents another default than --help shows";
  }
  for (const auto& [name, key] : keys) {
    bool known = false;
    for (const HelpOption& option : options) {
      known = known || option.name == name;
    }
    EXPECT_TRUE(known) << "the example sets " << name << ", which the broker does not have";
  }
}

// --- The dashboard ---------------------------------------------------------------------------

class DashboardFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(ReadDashboard(OpsDir() + "/grafana/switchboard.json", &dashboard_, &error))
        << error;
  }
  Dashboard dashboard_;
};

TEST_F(DashboardFile, HasTheTemplateVariables) {
  std::set<std::string> names;
  for (const Variable& v : dashboard_.variables) {
    names.insert(v.name);
    if (v.type == "query") {
      EXPECT_TRUE(v.include_all) << v.name;
      EXPECT_EQ(v.all_value, ".*") << v.name << ": All must be a regex for =~ matchers";
      EXPECT_NE(LabelValuesAsPromql(v.query), "") << v.name << ": " << v.query;
    }
  }
  for (const char* required : {"datasource", "tenant", "queue", "channel"}) {
    EXPECT_TRUE(names.count(required)) << "no variable $" << required;
  }
}

TEST_F(DashboardFile, HasThePanelsOfBothRows) {
  const std::vector<std::string> required = {
      // rows
      "Contact centre", "Broker",
      // contact centre
      "Answer rate", "Service level ($sl_threshold s)", "ASA", "Abandon rate",
      "First response (mean)", "Queue depth", "Oldest waiting contact", "Agents by state", "CSAT",
      "FCR", "Contacts per order",
      // broker
      "Throughput", "Loop turn time", "Store commit latency", "Credits and held messages",
      "Redeliveries and dropped sends", "RocksDB"};
  for (const std::string& title : required) {
    EXPECT_NE(std::find(dashboard_.titles.begin(), dashboard_.titles.end(), title),
              dashboard_.titles.end())
        << "no panel '" << title << "'";
  }
}

TEST_F(DashboardFile, PanelsAreWellFormed) {
  std::set<double> ids;
  const bench::JsonValue* panels = dashboard_.json.Get("panels");
  ASSERT_NE(panels, nullptr);
  for (const bench::JsonValue& p : panels->array) {
    const bench::JsonValue* id = p.Get("id");
    ASSERT_NE(id, nullptr);
    EXPECT_TRUE(ids.insert(id->number).second) << "duplicate panel id " << id->number;
    const bench::JsonValue* x = p.Find("gridPos.x");
    const bench::JsonValue* w = p.Find("gridPos.w");
    ASSERT_TRUE(x != nullptr && w != nullptr);
    EXPECT_LE(x->number + w->number, 24) << p.Get("title")->string;
    if (p.Get("type")->string != "row") {
      EXPECT_EQ(p.Find("datasource.uid")->string, "${datasource}") << p.Get("title")->string;
      ASSERT_NE(p.Get("targets"), nullptr) << p.Get("title")->string;
      EXPECT_FALSE(p.Get("targets")->array.empty()) << p.Get("title")->string;
    }
  }
  EXPECT_EQ(dashboard_.json.Get("uid")->string, "switchboard-overview");
  for (const PanelQuery& q : dashboard_.queries) {
    EXPECT_FALSE(q.expr.empty()) << q.where();
  }
}

TEST_F(DashboardFile, VariablesAreOnlyUsedInRegexMatchers) {
  // `label=~"$var"` stays valid PromQL whatever Grafana puts in (a value, several joined by
  // |, or .* for All); anywhere else it would not.
  static const std::regex kUse(R"((.{4})\$\{?(\w+)\}?(.))");
  for (const PanelQuery& q : dashboard_.queries) {
    for (auto it = std::sregex_iterator(q.expr.begin(), q.expr.end(), kUse);
         it != std::sregex_iterator(); ++it) {
      const std::smatch& m = *it;
      const std::string name = m[2].str();
      if (name.rfind("__", 0) == 0) {
        continue;  // $__range, $__rate_interval: Grafana's own
      }
      const std::string before = m[1].str();
      EXPECT_EQ(m[3].str(), "\"") << q.where();
      if (name == "sl_threshold") {
        EXPECT_EQ(before, "le=\"") << q.where();  // le="$sl_threshold": one bucket bound
        continue;
      }
      EXPECT_EQ(before.substr(1), "=~\"") << q.where() << ": $" << name << " outside =~\"...\"";
    }
  }
}

// The tests that run the rules' expressions find them with ReadRules: it must see as many
// rules as promtool does.
TEST(RulesFile, ReaderSeesEveryRule) {
  const std::string path = OpsDir() + "/prometheus/switchboard.rules.yml";
  const RunResult check = RunTool({SWITCHBOARD_PROMTOOL, "check", "rules", path}, 30s);
  ASSERT_EQ(check.status, 0) << check.out << check.err;
  std::smatch m;
  const std::string text = check.out + check.err;
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(SUCCESS: (\d+) rules found)"))) << text;
  const auto rules = ReadRules(path);
  EXPECT_EQ(std::to_string(rules.size()), m[1].str());
  for (const RuleExpr& r : rules) {
    EXPECT_FALSE(r.expr.empty()) << r.where();
  }
}

// Every metric the dashboard and the rules read is one docs/metrics.md documents (or up).
TEST(OpsFiles, ReadOnlyDocumentedMetrics) {
  const std::string doc = ReadWholeFile(std::string(SWITCHBOARD_DOCS_DIR) + "/metrics.md");
  ASSERT_FALSE(doc.empty());
  Dashboard dashboard;
  std::string error;
  ASSERT_TRUE(ReadDashboard(OpsDir() + "/grafana/switchboard.json", &dashboard, &error));
  std::vector<std::pair<std::string, std::string>> exprs;  // where, expr
  for (const PanelQuery& q : dashboard.queries) {
    exprs.push_back({q.where(), q.expr});
  }
  for (const Variable& v : dashboard.variables) {
    exprs.push_back({"variable " + v.name, v.query});
  }
  const auto rules = ReadRules(OpsDir() + "/prometheus/switchboard.rules.yml");
  ASSERT_GT(rules.size(), 10u);
  for (const RuleExpr& r : rules) {
    exprs.push_back({r.where(), r.expr});
  }
  int checked = 0;
  for (const auto& [where, expr] : exprs) {
    for (std::string name : MetricNames(expr)) {
      ++checked;
      if (name == "up") {
        continue;
      }
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string s = suffix;
        if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
            doc.find("`" + name.substr(0, name.size() - s.size()) + "`") != std::string::npos) {
          name = name.substr(0, name.size() - s.size());
        }
      }
      EXPECT_NE(doc.find("`" + name + "`"), std::string::npos)
          << where << " reads " << name << ", which docs/metrics.md does not list";
    }
  }
  EXPECT_GT(checked, 50);
}

}  // namespace
}  // namespace switchboard::testing
