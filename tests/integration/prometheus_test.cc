// The live test of ops/: a real Prometheus server (the Debian binary) scrapes a real broker
// every second while a short contact-centre load runs through the client library; then
// every PromQL expression of the Grafana dashboard (panels and template variables, with the
// variables substituted as Grafana does for "All") and of the rules file runs against
// Prometheus's HTTP API. Each must parse and return data, except the few listed below with
// the reason they are empty today. `promtool check metrics` must pass on a live scrape, the
// rules must evaluate without error, and the broker-down alert's expression must see the
// broker stop.
//
// No sleeps stand in for synchronisation: the test waits for the broker's counters to show
// the load, then for a Prometheus scrape that started after that (timestamp(up)).
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "json.h"
#include "ops/ops_files.h"
#include "ops/subprocess.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/events.h"
#include "switchboard/client/service.h"
#include "switchboard/client/worker.h"

#ifndef SWITCHBOARD_PROMETHEUS
#error "SWITCHBOARD_PROMETHEUS must be defined by the build"
#endif
#ifndef SWITCHBOARD_PROMTOOL
#error "SWITCHBOARD_PROMTOOL must be defined by the build"
#endif

namespace switchboard::testing {
namespace {

using namespace std::chrono_literals;
using bench::JsonValue;
using Clock = std::chrono::steady_clock;

// Expressions that legitimately return no series after this load, and why. Everything
// else must return data.
const std::map<std::string, std::string> kMayBeEmpty = {
    {"panel 'Abandon rate' target A",
     "switchboard_contacts_abandoned_total has no series: no customer of this load leaves a "
     "queue (CustomerLeft), so the broker counts no abandons (docs/metrics.md)"},
    {"panel 'Contacts per minute' target C",
     "abandoned contacts: no series yet, as for the abandon rate"},
};

// --- Prometheus's HTTP API, through curl ---------------------------------------------------

struct QueryResult {
  bool ok = false;    // status "success"
  std::string error;  // errorType: error, when not ok (or what went wrong reaching it)
  size_t series = 0;  // samples in the result (1 for a scalar)
  std::vector<double> values;
};

std::optional<JsonValue> GetJson(const std::vector<std::string>& curl_args, std::string* error) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "10"};
  argv.insert(argv.end(), curl_args.begin(), curl_args.end());
  const RunResult r = RunTool(argv, 15s);
  if (r.status != 0) {
    *error = "curl exited " + std::to_string(r.status) + ": " + r.err;
    return std::nullopt;
  }
  bench::JsonParseResult parsed = bench::ParseJson(r.out);
  if (!parsed.value) {
    *error = "not JSON (" + parsed.error + "): " + r.out.substr(0, 300);
    return std::nullopt;
  }
  return std::move(parsed.value);
}

double SampleValue(const JsonValue& pair) {
  // [ <unix time>, "<value>" ]
  if (pair.array.size() != 2) {
    return std::nan("");
  }
  const std::string& s = pair.array[1].string;
  if (s == "NaN") {
    return std::nan("");
  }
  return std::strtod(s.c_str(), nullptr);
}

class Prometheus {
 public:
  explicit Prometheus(int port) : url_("http://127.0.0.1:" + std::to_string(port)) {}

  QueryResult Query(const std::string& expr) const {
    QueryResult q;
    std::string error;
    auto json = GetJson({"--data-urlencode", "query=" + expr, url_ + "/api/v1/query"}, &error);
    if (!json) {
      q.error = error;
      return q;
    }
    const JsonValue* status = json->Get("status");
    if (status == nullptr || status->string != "success") {
      const JsonValue* type = json->Get("errorType");
      const JsonValue* message = json->Get("error");
      q.error = (type ? type->string : "?") + ": " + (message ? message->string : "?");
      return q;
    }
    q.ok = true;
    const JsonValue* type = json->Find("data.resultType");
    const JsonValue* result = json->Find("data.result");
    if (type == nullptr || result == nullptr) {
      q.ok = false;
      q.error = "no data.result";
      return q;
    }
    if (type->string == "scalar") {
      q.series = 1;
      q.values.push_back(SampleValue(*result));
    } else {
      for (const JsonValue& sample : result->array) {
        ++q.series;
        if (const JsonValue* value = sample.Get("value"); value != nullptr) {
          q.values.push_back(SampleValue(*value));
        }
      }
    }
    return q;
  }

  // Polls the query until `done` holds for its result, or the deadline passes.
  bool WaitFor(const std::string& expr, const std::function<bool(const QueryResult&)>& done,
               std::chrono::milliseconds timeout, QueryResult* last) const {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      *last = Query(expr);
      if (last->ok && done(*last)) {
        return true;
      }
      if (Clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(100ms);  // the poll interval, not a synchronisation
    }
  }

  bool Ready() const {
    return RunTool({"curl", "-sf", "--max-time", "2", url_ + "/-/ready"}, 5s).status == 0;
  }

  std::optional<JsonValue> Rules(std::string* error) const {
    return GetJson({url_ + "/api/v1/rules"}, error);
  }

 private:
  std::string url_;
};

// --- The broker's own /metrics ---------------------------------------------------------------

std::string Scrape(int port, RunResult* r) {
  *r = RunTool(
      {"curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + std::to_string(port) + "/metrics"},
      10s);
  return r->out;
}

// Sum of every sample of `name` (any labels) in a text-format page.
double SumOf(const std::string& page, const std::string& name) {
  double sum = 0;
  std::istringstream in(page);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size() ||
        (line[name.size()] != '{' && line[name.size()] != ' ')) {
      continue;
    }
    sum += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
  }
  return sum;
}

// --- The load --------------------------------------------------------------------------------

struct Profile {
  std::string tenant;
  client::Channel channel;
  std::string topic;
};

const std::vector<Profile> kProfiles = [] {
  std::vector<Profile> p;
  for (const char* tenant : {"acme", "globex"}) {
    for (client::Channel channel : {client::Channel::kIm, client::Channel::kPhone}) {
      for (const char* topic : {"delivery", "refund"}) {
        p.push_back({tenant, channel, topic});
      }
    }
  }
  return p;
}();

// A small contact centre driven from the test's thread: one adapter (im, phone, social),
// three agents in two groups (none takes social), one order service. Each round, one
// customer of every profile (tenant x channel x topic) sends two messages; an agent accepts,
// answers each, and closes (resolved, or unresolved for every fourth profile); the adapter
// then reports a rating (5, or 3 for odd profiles); the service reports 10 orders a tenant.
class Load {
 public:
  explicit Load(std::string endpoint) : endpoint_(std::move(endpoint)) {}

  ::testing::AssertionResult Connect() {
    client::AdapterOptions ao;
    ao.client_id = "gateway";
    ao.channels = {client::Channel::kIm, client::Channel::kPhone, client::Channel::kSocial};
    auto adapter = client::Adapter::Connect(endpoint_, ao);
    if (!adapter.ok()) {
      return ::testing::AssertionFailure() << "adapter: " << adapter.error().ToString();
    }
    adapter_.emplace(std::move(adapter).value());
    const std::vector<std::pair<std::string, std::string>> agents = {
        {"agent-1", "pre-sale"}, {"agent-2", "post-sale"}, {"agent-3", "post-sale"}};
    for (const auto& [id, group] : agents) {
      client::WorkerOptions wo;
      wo.agent_id = id;
      wo.group = group;
      wo.capacity = {{client::Channel::kIm, 20}, {client::Channel::kPhone, 20}};
      auto worker = client::Worker::Connect(endpoint_, wo);
      if (!worker.ok()) {
        return ::testing::AssertionFailure() << id << ": " << worker.error().ToString();
      }
      workers_.push_back(std::move(worker).value());
    }
    client::ServiceOptions so;
    so.client_id = "orders";
    auto service = client::Service::Connect(endpoint_, so);
    if (!service.ok()) {
      return ::testing::AssertionFailure() << "service: " << service.error().ToString();
    }
    service_.emplace(std::move(service).value());
    return ::testing::AssertionSuccess();
  }

  // Runs round `round` to its end: every session closed and rated, everything acknowledged.
  // With `extras`: the first offer is rejected (an offer missed), the round-0 customer of
  // profile 0 comes back on the same topic (a re-contact of a resolved session), and a
  // social-media customer, whom no agent serves, is left waiting in the queue.
  ::testing::AssertionResult Round(int round, bool extras) {
    reject_next_offer_ = extras;
    int expected = 0;
    for (size_t i = 0; i < kProfiles.size(); ++i) {
      if (auto r = SendTwo("c" + std::to_string(round) + "-" + std::to_string(i), i); !r) {
        return r;
      }
      ++expected;
    }
    if (extras) {
      if (auto r = SendTwo("c0-0", 0); !r) {
        return r;
      }
      ++expected;
      auto sent =
          adapter_->Send(Message("acme", client::Channel::kSocial,
                                 "waiting-" + std::to_string(round), "anyone there?", "complaint"));
      if (!sent.ok()) {
        return ::testing::AssertionFailure() << "send: " << sent.error().ToString();
      }
    }
    for (const char* tenant : {"acme", "globex"}) {
      auto orders = service_->ReportOrders(tenant, "batch-" + std::to_string(round), 10);
      if (!orders.ok()) {
        return ::testing::AssertionFailure() << "orders: " << orders.error().ToString();
      }
      orders_ += 10;
    }
    const int closed_before = closed_;
    const auto deadline = Clock::now() + 20s;
    while (closed_ - closed_before < expected) {
      if (Clock::now() > deadline) {
        return ::testing::AssertionFailure()
               << "round " << round << ": " << closed_ - closed_before << " of " << expected
               << " sessions closed within 20 s";
      }
      if (auto r = PollAll(); !r) {
        return r;
      }
    }
    for (client::Client* c : Clients()) {
      if (client::Status st = c->WaitAllAcked(10s); !st.ok()) {
        return ::testing::AssertionFailure() << c->client_id() << ": " << st.ToString();
      }
    }
    // WaitAllAcked keeps events for the next Poll: handle what came meanwhile.
    return PollAll();
  }

  int closed() const { return closed_; }
  int rated() const { return rated_; }
  int orders() const { return orders_; }
  int rejected() const { return rejected_; }

 private:
  ::testing::AssertionResult SendTwo(const std::string& customer, size_t profile) {
    const Profile& p = kProfiles[profile];
    profile_of_[customer] = profile;
    for (const char* text : {"hello", "where is my order?"}) {
      auto sent = adapter_->Send(Message(p.tenant, p.channel, customer, text, p.topic));
      if (!sent.ok()) {
        return ::testing::AssertionFailure() << "send: " << sent.error().ToString();
      }
    }
    return ::testing::AssertionSuccess();
  }

  static client::CustomerMessage Message(const std::string& tenant, client::Channel channel,
                                         const std::string& customer, const std::string& text,
                                         const std::string& topic) {
    client::CustomerMessage m;
    m.tenant = tenant;
    m.channel = channel;
    m.customer_id = customer;
    m.text = text;
    m.attributes.topic = topic;
    return m;
  }

  std::vector<client::Client*> Clients() {
    std::vector<client::Client*> all = {&*adapter_, &*service_};
    for (client::Worker& w : workers_) {
      all.push_back(&w);
    }
    return all;
  }

  ::testing::AssertionResult PollAll() {
    std::vector<client::Event> events;
    for (client::Worker& w : workers_) {
      events.clear();
      w.Poll(2ms, events);
      for (client::Event& e : events) {
        if (auto r = OnWorkerEvent(w, e); !r) {
          return r;
        }
      }
    }
    events.clear();
    adapter_->Poll(2ms, events);
    for (client::Event& e : events) {
      if (auto r = OnAdapterEvent(e); !r) {
        return r;
      }
    }
    events.clear();
    service_->Poll(0ms, events);
    for (client::Event& e : events) {
      if (const auto* err = std::get_if<client::ErrorEvent>(&e)) {
        return ::testing::AssertionFailure() << "service: " << err->error.ToString();
      }
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult OnWorkerEvent(client::Worker& w, const client::Event& e) {
    if (const auto* offer = std::get_if<client::Offer>(&e)) {
      if (reject_next_offer_) {
        reject_next_offer_ = false;
        ++rejected_;
        return Check(w.Reject(*offer, "wrap-up"));
      }
      return Check(w.Accept(*offer));
    }
    if (const auto* d = std::get_if<client::Delivery>(&e)) {
      if (auto r = Check(w.Reply(d->session_id, "on it: " + d->text)); !r) {
        return r;
      }
      if (client::Status st = w.Ack(d->delivery_id); !st.ok()) {
        return ::testing::AssertionFailure() << st.ToString();
      }
      if (++replied_[d->session_id] == 2) {
        const size_t profile = profile_of_[d->customer_id];
        return Check(w.Close(d->session_id, profile % 4 == 3 ? client::Disposition::kUnresolved
                                                             : client::Disposition::kResolved));
      }
      return ::testing::AssertionSuccess();
    }
    if (const auto* err = std::get_if<client::ErrorEvent>(&e)) {
      return ::testing::AssertionFailure() << w.agent_id() << ": " << err->error.ToString();
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult OnAdapterEvent(const client::Event& e) {
    if (const auto* d = std::get_if<client::Delivery>(&e)) {
      if (client::Status st = adapter_->Ack(d->delivery_id); !st.ok()) {
        return ::testing::AssertionFailure() << st.ToString();
      }
      return ::testing::AssertionSuccess();
    }
    if (const auto* c = std::get_if<client::SessionClosed>(&e)) {
      if (client::Status st = adapter_->Ack(c->delivery_id); !st.ok()) {
        return ::testing::AssertionFailure() << st.ToString();
      }
      ++closed_;
      ++rated_;
      return Check(adapter_->Rate(c->session_id, profile_of_[c->customer_id] % 2 == 0 ? 5 : 3));
    }
    if (const auto* err = std::get_if<client::ErrorEvent>(&e)) {
      return ::testing::AssertionFailure() << "adapter: " << err->error.ToString();
    }
    return ::testing::AssertionSuccess();
  }

  static ::testing::AssertionResult Check(const client::Result<uint64_t>& r) {
    if (!r.ok()) {
      return ::testing::AssertionFailure() << r.error().ToString();
    }
    return ::testing::AssertionSuccess();
  }

  std::string endpoint_;
  std::optional<client::Adapter> adapter_;
  std::vector<client::Worker> workers_;
  std::optional<client::Service> service_;
  std::map<std::string, size_t> profile_of_;  // customer id -> profile
  std::map<uint64_t, int> replied_;           // session -> customer messages answered
  bool reject_next_offer_ = false;
  int closed_ = 0;
  int rated_ = 0;
  int orders_ = 0;
  int rejected_ = 0;
};

// --- The test --------------------------------------------------------------------------------

class PrometheusLive : public ::testing::Test {
 protected:
  void SetUp() override {
    prometheus_port_ = FreeLoopbackPort();
    ASSERT_GT(prometheus_port_, 0);

    ASSERT_EQ(broker_.Start(
                  {BrokerProcess::BinaryPath(), "--data-dir", dir_.Sub("data"), "--bind",
                   "tcp://127.0.0.1:*", "--metrics-bind", "127.0.0.1:0", "--heartbeat-ms", "500"},
                  dir_.Sub("broker.stderr")),
              "");
    const std::string ready = broker_.WaitForLine("ready:", 20s);
    ASSERT_NE(ready, "") << ReadWholeFile(dir_.Sub("broker.stderr"));
    const size_t at = ready.find("bind=");
    ASSERT_NE(at, std::string::npos) << ready;
    endpoint_ = ready.substr(at + 5, ready.find(' ', at) - at - 5);
    // "metrics=http://127.0.0.1:PORT/metrics": the port the broker got for :0.
    const std::string prefix = "metrics=http://127.0.0.1:";
    const size_t m = ready.find(prefix);
    ASSERT_NE(m, std::string::npos) << ready;
    metrics_port_ = std::atoi(ready.c_str() + m + prefix.size());
    ASSERT_GT(metrics_port_, 0) << ready;

    // The scrape job is named as in ops/prometheus/prometheus.yml ("switchboard": the alert
    // rules select it), with a 1 s interval instead of 5 s so that the test is short.
    std::ofstream config(dir_.Sub("prometheus.yml"));
    config << "global:\n"
              "  scrape_interval: 1s\n"
              "  scrape_timeout: 900ms\n"
              "  evaluation_interval: 1s\n"
              "rule_files:\n"
              "  - "
           << OpsDir() << "/prometheus/switchboard.rules.yml\n"
           << "scrape_configs:\n"
              "  - job_name: switchboard\n"
              "    static_configs:\n"
              "      - targets: ['127.0.0.1:"
           << metrics_port_ << "']\n";
    config.close();
    ASSERT_EQ(
        prometheus_.Start({SWITCHBOARD_PROMETHEUS, "--config.file=" + dir_.Sub("prometheus.yml"),
                           "--storage.tsdb.path=" + dir_.Sub("tsdb"),
                           "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port_),
                           "--log.level=warn"},
                          dir_.Sub("prometheus.stderr")),
        "");
    api_.emplace(prometheus_port_);
    const auto deadline = Clock::now() + 30s;
    while (!api_->Ready()) {
      ASSERT_TRUE(prometheus_.Running())
          << "prometheus exited: " << ReadWholeFile(dir_.Sub("prometheus.stderr"));
      ASSERT_LT(Clock::now(), deadline)
          << "prometheus not ready in 30 s: " << ReadWholeFile(dir_.Sub("prometheus.stderr"));
      std::this_thread::sleep_for(100ms);  // the poll interval
    }
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "--- prometheus stderr ---\n"
                << ReadWholeFile(dir_.Sub("prometheus.stderr")) << "--- broker stderr ---\n"
                << ReadWholeFile(dir_.Sub("broker.stderr"));
    }
    prometheus_.Terminate(10s);
    broker_.Kill();
  }

  // Waits until the broker's own page shows at least `closed` sessions closed, `rated`
  // ratings and `orders` orders, then until Prometheus has scraped it after that.
  void WaitForScrapeOf(int closed, int rated, int orders) {
    const auto deadline = Clock::now() + 15s;
    for (;;) {
      RunResult r;
      const std::string page = Scrape(metrics_port_, &r);
      if (SumOf(page, "switchboard_sessions_closed_total") >= closed &&
          SumOf(page, "switchboard_ratings_total") >= rated &&
          SumOf(page, "switchboard_orders_total") >= orders) {
        break;
      }
      ASSERT_LT(Clock::now(), deadline)
          << "the broker's metrics do not show the load: want " << closed << " closed, " << rated
          << " ratings, " << orders << " orders; page:\n"
          << page << r.err;
      std::this_thread::sleep_for(50ms);  // the poll interval
    }
    const double seen_at =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    QueryResult q;
    ASSERT_TRUE(api_->WaitFor(
        // timestamp() of a plain selector is the scrape's time (of anything else, the
        // evaluation's).
        "timestamp(up{job=\"switchboard\"})",
        [&](const QueryResult& r) { return !r.values.empty() && r.values[0] > seen_at; }, 15s, &q))
        << "no scrape of the broker after the load within 15 s: " << q.error;
  }

  TempDir dir_;
  int metrics_port_ = 0;
  int prometheus_port_ = 0;
  Child broker_;
  Child prometheus_;
  std::string endpoint_;
  std::optional<Prometheus> api_;
};

TEST_F(PrometheusLive, EveryDashboardAndRuleExpressionRunsOnARealScrape) {
  Dashboard dashboard;
  std::string error;
  ASSERT_TRUE(ReadDashboard(OpsDir() + "/grafana/switchboard.json", &dashboard, &error)) << error;
  const std::vector<RuleExpr> rules = ReadRules(OpsDir() + "/prometheus/switchboard.rules.yml");
  ASSERT_FALSE(dashboard.queries.empty());
  ASSERT_FALSE(rules.empty());

  {
    Load load(endpoint_);
    ASSERT_TRUE(load.Connect());
    // Round 0 creates every series the load touches; round 1 runs after Prometheus has
    // scraped them, so that increase() and rate() see its contacts.
    ASSERT_TRUE(load.Round(0, false));
    ASSERT_NO_FATAL_FAILURE(WaitForScrapeOf(load.closed(), load.rated(), load.orders()));
    ASSERT_TRUE(load.Round(1, true));
    ASSERT_NO_FATAL_FAILURE(WaitForScrapeOf(load.closed(), load.rated(), load.orders()));
    EXPECT_EQ(load.rejected(), 1);

    // The page itself passes Prometheus's own lint.
    RunResult scrape;
    const std::string page = Scrape(metrics_port_, &scrape);
    ASSERT_EQ(scrape.status, 0) << scrape.err;
    std::ofstream(dir_.Sub("metrics.txt")) << page;
    const RunResult check =
        RunTool({SWITCHBOARD_PROMTOOL, "check", "metrics"}, 30s, dir_.Sub("metrics.txt"));
    EXPECT_EQ(check.status, 0) << "promtool check metrics:\n" << check.out << check.err;
  }

  // Every query, as Grafana would send it with "All" selected.
  struct Case {
    std::string where;
    std::string expr;
    bool alert = false;
  };
  std::vector<Case> cases;
  for (const PanelQuery& q : dashboard.queries) {
    std::string expr;
    ASSERT_TRUE(Substitute(dashboard, q.expr, "1h", "1m", &expr, &error))
        << q.where() << ": " << error;
    cases.push_back({q.where(), expr});
  }
  for (const Variable& v : dashboard.variables) {
    if (v.type != "query") {
      continue;
    }
    std::string expr;
    ASSERT_TRUE(Substitute(dashboard, LabelValuesAsPromql(v.query), "1h", "1m", &expr, &error))
        << v.name << ": " << error;
    cases.push_back({"variable $" + v.name, expr});
  }
  for (const RuleExpr& r : rules) {
    cases.push_back({r.where(), r.expr, r.kind == "alert"});
  }

  std::map<std::string, QueryResult> results;
  for (const Case& c : cases) {
    const QueryResult q = api_->Query(c.expr);
    results[c.where] = q;
    std::cout << (q.ok ? "" : "ERROR ") << c.where << ": " << q.series << " series"
              << (q.values.empty() ? "" : ", first " + std::to_string(q.values[0])) << "\n";
    ASSERT_TRUE(q.ok) << c.where << " does not run: " << q.error << "\n" << c.expr;
    if (c.alert) {
      // An alert's expression returns the series that breach it: none on this healthy broker.
      EXPECT_EQ(q.series, 0u) << c.where << " fires on a healthy broker\n" << c.expr;
    } else if (kMayBeEmpty.count(c.where)) {
      std::cout << "  (may be empty: " << kMayBeEmpty.at(c.where) << ")\n";
    } else {
      EXPECT_GT(q.series, 0u) << c.where << " returned no data\n" << c.expr;
    }
  }
  // The expected-empty list names real queries.
  for (const auto& [where, why] : kMayBeEmpty) {
    EXPECT_TRUE(results.count(where)) << "kMayBeEmpty names " << where << ", not a query";
  }

  // The contact-centre core numbers carry the load, not just a series.
  auto first = [&](const std::string& where) {
    const QueryResult& q = results[where];
    return q.values.empty() ? std::nan("") : q.values[0];
  };
  EXPECT_GT(first("panel 'Offered' target A"), 0);
  EXPECT_GT(first("panel 'Answer rate' target A"), 0);
  EXPECT_GT(first("panel 'Service level ($sl_threshold s)' target A"), 0);
  EXPECT_GT(first("panel 'CSAT' target A"), 0);
  EXPECT_LE(first("panel 'CSAT' target A"), 1);
  EXPECT_GT(first("panel 'FCR' target A"), 0);
  EXPECT_GT(first("panel 'Contacts per order' target A"), 0);
  EXPECT_GE(first("panel 'Waiting now' target A"), 1);  // the social-media customer

  // Prometheus evaluated every rule without error.
  auto json = api_->Rules(&error);
  ASSERT_TRUE(json) << error;
  const JsonValue* groups = json->Find("data.groups");
  ASSERT_NE(groups, nullptr);
  size_t evaluated = 0;
  for (const JsonValue& g : groups->array) {
    for (const JsonValue& r : g.Get("rules")->array) {
      ++evaluated;
      const JsonValue* health = r.Get("health");
      const JsonValue* last_error = r.Get("lastError");
      EXPECT_EQ(health ? health->string : "", "ok")
          << r.Get("name")->string << ": " << (last_error ? last_error->string : "");
    }
  }
  EXPECT_EQ(evaluated, rules.size());

  // Stop the broker: the broker-down alert's expression sees it at the next scrape.
  EXPECT_EQ(broker_.Terminate(20s), 0);
  std::string down_expr;
  for (const RuleExpr& r : rules) {
    if (r.name == "SwitchboardBrokerDown") {
      down_expr = r.expr;
    }
  }
  ASSERT_FALSE(down_expr.empty());
  QueryResult down;
  EXPECT_TRUE(api_->WaitFor(
      down_expr, [](const QueryResult& r) { return r.series == 1; }, 15s, &down))
      << down_expr << " did not see the broker stop: " << down.error;
}

}  // namespace
}  // namespace switchboard::testing
