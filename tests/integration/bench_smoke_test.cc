// A short run of the real switchboard-bench executable against the real broker: once in raw
// mode with a broker the bench starts itself (and the ZeroMQ baseline), once in
// contact-centre mode against a broker started here (--connect), and once more with impatient
// customers who abandon. Every message must be answered (or taken back by a customer who
// left) and the JSON report must hold every field issue #6 asks for. No speed asserted.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "json.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"

#ifndef SWITCHBOARD_BENCH_PATH
#error "SWITCHBOARD_BENCH_PATH must be defined by the build"
#endif

namespace switchboard {
namespace {

using bench::JsonValue;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct BenchRun {
  int status = -1;  // exit status, or -1 if it had to be killed
  std::string output;
};

// Runs switchboard-bench with `args`, its stdout and stderr into files in `dir`; kills it
// after `timeout`.
BenchRun RunBench(const testing::TempDir& dir, std::vector<std::string> args,
                  std::chrono::seconds timeout = std::chrono::seconds(60)) {
  args.insert(args.begin(), SWITCHBOARD_BENCH_PATH);
  const std::string out_path = dir.Sub("bench.out");
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  BenchRun run;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  run.output = ReadFile(out_path);
  return run;
}

JsonValue ReadReport(const std::string& path) {
  const std::string text = ReadFile(path);
  auto parsed = bench::ParseJson(text);
  EXPECT_TRUE(parsed.value.has_value()) << parsed.error << "\n" << text;
  return parsed.value.value_or(JsonValue{});
}

double Number(const JsonValue& report, const std::string& path) {
  const JsonValue* v = report.Find(path);
  EXPECT_NE(v, nullptr) << path << " missing from the report";
  if (v == nullptr) {
    return -1;
  }
  EXPECT_TRUE(v->is_number()) << path << " is not a number";
  return v->number;
}

// The fields every report must carry (issue #6), whatever the mode.
void ExpectRequiredFields(const JsonValue& r) {
  for (const char* key :
       {"throughput_msgs_per_s", "latency_us.p50", "latency_us.p99", "latency_us.p999",
        "latency_us.max", "offered", "answered", "abandoned"}) {
    Number(r, key);
  }
  for (const char* key : {"service_level", "erlang_c_service_level", "baseline_msgs_per_s"}) {
    EXPECT_NE(r.Find(key), nullptr) << key;  // null when not applicable
  }
  const JsonValue* settings = r.Find("settings");
  ASSERT_NE(settings, nullptr);
  for (const char* key :
       {"mode", "duration_s", "rate", "arrival_rate", "agents", "handle_time_s", "sl_threshold_s",
        "message_size", "durability", "baseline", "connect", "seed", "schedule"}) {
    EXPECT_NE(settings->Get(key), nullptr) << "settings." << key;
  }
}

TEST(BenchSmoke, RawModeAnswersEveryMessageAndReportsEveryField) {
  testing::TempDir dir;
  const std::string json = dir.Sub("raw.json");
  const BenchRun run = RunBench(dir, {"--mode",     "raw",
                                      "--duration", "2",
                                      "--warmup",   "0.5",
                                      "--rate",     "2000",
                                      "--agents",   "2",
                                      "--sessions", "50",
                                      "--baseline", "--baseline-duration",
                                      "0.3",        "--heartbeat-ms",
                                      "200",        "--json",
                                      json,         "--quiet"});
  ASSERT_EQ(run.status, 0) << run.output;
  const JsonValue r = ReadReport(json);
  ExpectRequiredFields(r);
  EXPECT_TRUE(r.Find("complete")->boolean) << run.output;
  const double sent = Number(r, "messages.sent");
  EXPECT_GT(sent, 3000);  // ~4,000 at 2,000/s for 2 s
  EXPECT_EQ(Number(r, "messages.received"), sent) << run.output;
  EXPECT_EQ(Number(r, "messages.acked"), sent);
  EXPECT_EQ(Number(r, "messages.lost"), 0);
  EXPECT_EQ(Number(r, "messages.duplicates"), 0);
  EXPECT_EQ(Number(r, "messages.errors"), 0) << run.output;
  EXPECT_EQ(Number(r, "offered"), sent);
  EXPECT_EQ(Number(r, "answered"), sent);
  EXPECT_EQ(Number(r, "abandoned"), 0);
  EXPECT_GT(Number(r, "latency_us.count"), 0);
  EXPECT_GT(Number(r, "throughput_msgs_per_s"), 0);
  EXPECT_GT(Number(r, "baseline_msgs_per_s"), 0);
  EXPECT_TRUE(r.Find("service_level")->is_null());
  EXPECT_TRUE(r.Find("broker.started_by_bench")->boolean);
  EXPECT_NE(run.output.find("throughput (received by workers)"), std::string::npos) << run.output;
}

// The arguments of a contact-centre run against the broker at `endpoint`, writing `json`:
// two adapters, no warm-up, a drain of up to 20 s, and `specific` (rates, agents, times).
// Handle times are log-normal, not exponential: no handle time of a few ms, whose close could
// overtake the customer's next message on a loaded machine (a stray new session, an error).
std::vector<std::string> ContactCentreArgs(const std::string& endpoint, const std::string& json,
                                           std::vector<std::string> specific) {
  std::vector<std::string> args = {"--mode",         "contact-centre", "--connect", endpoint,
                                   "--warmup",       "0",              "--drain",   "20",
                                   "--handle-dist",  "lognormal",      "--handle-sigma", "0.2",
                                   "--adapters",     "2",              "--heartbeat-ms", "200",
                                   "--json",         json,             "--quiet"};
  args.insert(args.end(), specific.begin(), specific.end());
  return args;
}

TEST(BenchSmoke, ContactCentreModeAnswersEverySessionAgainstARunningBroker) {
  testing::TempDir dir;
  const std::string endpoint = "ipc://" + dir.Sub("broker.sock");
  testing::BrokerProcess broker(dir.Sub("data"), endpoint, {"--heartbeat-ms", "200"});
  ASSERT_EQ(broker.Start(), "");
  const std::string json = dir.Sub("cc.json");
  const BenchRun run = RunBench(dir, ContactCentreArgs(endpoint, json,
                                                       {"--duration", "2", "--arrival-rate", "20",
                                                        "--agents", "12", "--handle-time", "0.4",
                                                        "--think-time", "0.02",
                                                        "--messages-per-session", "3",
                                                        "--sl-threshold", "0.1", "--tenants",
                                                        "3"}));
  ASSERT_EQ(run.status, 0) << run.output << broker.StderrLog();
  const JsonValue r = ReadReport(json);
  ExpectRequiredFields(r);
  EXPECT_TRUE(r.Find("complete")->boolean) << run.output;
  const double arrivals = Number(r, "contact_centre.arrivals");
  EXPECT_GT(arrivals, 10);  // ~40 expected
  EXPECT_EQ(Number(r, "contact_centre.offered"), arrivals) << run.output;
  EXPECT_EQ(Number(r, "contact_centre.busy"), 0);
  EXPECT_EQ(Number(r, "offered"), arrivals);
  EXPECT_EQ(Number(r, "answered"), arrivals) << run.output;
  EXPECT_EQ(Number(r, "contact_centre.unanswered"), 0);
  EXPECT_EQ(Number(r, "abandoned"), 0);
  EXPECT_FALSE(r.Find("contact_centre.abandonment_modelled")->boolean);
  const double sent = Number(r, "messages.sent");
  EXPECT_GE(sent, arrivals);
  EXPECT_EQ(Number(r, "messages.received"), sent) << run.output;
  EXPECT_EQ(Number(r, "messages.replies_sent"), sent);
  EXPECT_EQ(Number(r, "messages.replies_received"), sent);
  EXPECT_EQ(Number(r, "messages.lost"), 0);
  EXPECT_EQ(Number(r, "messages.errors"), 0) << run.output;
  const double sl = Number(r, "service_level");
  EXPECT_GE(sl, 0);
  EXPECT_LE(sl, 1);
  const double predicted = Number(r, "erlang_c_service_level");
  EXPECT_GT(predicted, 0);
  EXPECT_LE(predicted, 1);
  EXPECT_FALSE(r.Find("broker.started_by_bench")->boolean);
  EXPECT_TRUE(r.Find("baseline_msgs_per_s")->is_null());
  EXPECT_EQ(broker.Terminate(), 0) << broker.StderrLog();
}

// One agent with long handle times and customers with little patience: most customers
// leave (CustomerLeft) before the agent is free. Every offered contact must end up answered,
// abandoned or still waiting, never two of them, and the JSON must say abandonment was
// modelled.
TEST(BenchSmoke, ImpatientCustomersAbandonAnOverloadedAgent) {
  testing::TempDir dir;
  const std::string endpoint = "ipc://" + dir.Sub("broker.sock");
  testing::BrokerProcess broker(dir.Sub("data"), endpoint, {"--heartbeat-ms", "200"});
  ASSERT_EQ(broker.Start(), "");
  const std::string json = dir.Sub("impatient.json");
  const BenchRun run = RunBench(
      dir, ContactCentreArgs(endpoint, json,
                             {"--duration", "1.5", "--arrival-rate", "20", "--agents", "1",
                              "--handle-time", "0.5", "--messages-per-session", "2",
                              "--think-time", "0.02", "--patience", "0.15"}));
  ASSERT_EQ(run.status, 0) << run.output << broker.StderrLog();
  const JsonValue r = ReadReport(json);
  ExpectRequiredFields(r);
  EXPECT_TRUE(r.Find("complete")->boolean) << run.output;
  EXPECT_TRUE(r.Find("contact_centre.abandonment_modelled")->boolean);
  EXPECT_DOUBLE_EQ(Number(r, "settings.patience_s"), 0.15);
  const double offered = Number(r, "offered");
  const double answered = Number(r, "answered");
  const double abandoned = Number(r, "abandoned");
  const double waiting = Number(r, "contact_centre.still_waiting");
  // ~30 arrive; one agent answers one at a time for ~0.5 s, customers wait ~0.15 s.
  EXPECT_GT(offered, 10) << run.output;
  EXPECT_EQ(Number(r, "contact_centre.arrivals"), offered + Number(r, "contact_centre.busy"));
  EXPECT_GE(answered, 1) << run.output;
  EXPECT_GT(abandoned, offered / 3) << run.output;
  EXPECT_EQ(answered + abandoned + waiting, offered) << run.output;
  EXPECT_EQ(waiting, 0) << run.output;  // the drain ends when every session is closed
  EXPECT_EQ(Number(r, "contact_centre.abandoned"), abandoned);
  EXPECT_DOUBLE_EQ(Number(r, "contact_centre.abandon_rate"), abandoned / offered);
  EXPECT_EQ(Number(r, "contact_centre.unanswered"), 0);
  EXPECT_LE(Number(r, "contact_centre.left_after_answer"), answered);
  EXPECT_EQ(Number(r, "contact_centre.left"),
            abandoned + Number(r, "contact_centre.left_after_answer"));
  EXPECT_TRUE(r.Find("contact_centre.erlang_c.assumes_no_abandonment")->boolean);
  // A customer who abandoned took its first message back: nothing is lost or refused.
  EXPECT_EQ(Number(r, "messages.lost"), 0) << run.output;
  EXPECT_EQ(Number(r, "messages.errors"), 0) << run.output;
  EXPECT_NE(run.output.find("abandonment modelled"), std::string::npos) << run.output;
  EXPECT_EQ(broker.Terminate(), 0) << broker.StderrLog();
}

}  // namespace
}  // namespace switchboard
