// switchboard-bench: the load tester. Flags and scenario file, the optional ZeroMQ baseline,
// starting (or finding) the broker, the run, the summary and the JSON report. The logic
// lives in the bench library (settings, rate schedules, histogram, report) and runner.cc.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "baseline.h"
#include "broker_launcher.h"
#include "report.h"
#include "runner.h"
#include "settings.h"

#ifndef SWITCHBOARD_BENCH_BROKER_PATH
#define SWITCHBOARD_BENCH_BROKER_PATH ""
#endif

namespace {

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

switchboard::bench::HostFacts Host() {
  switchboard::bench::HostFacts h;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0) {
    h.hostname = name;
  }
  h.cpus = static_cast<int>(std::thread::hardware_concurrency());
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &h.load_avg_1m) != 1) {
      h.load_avg_1m = -1;
    }
    std::fclose(f);
  }
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  h.started_at = when;
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace switchboard::bench;
  // Sleep to the microsecond: the default 50 us timer slack would add to every
  // sub-millisecond wait of the paced senders. Threads started later inherit it.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  signal(SIGPIPE, SIG_IGN);

  Settings s;
  s.broker_path = SWITCHBOARD_BENCH_BROKER_PATH;
  CLI::App app{
      "switchboard-bench: load for a switchboard broker, as a contact centre would give it.\n"
      "Starts a broker (or uses --connect), drives adapters and workers through the client\n"
      "library, and reports throughput, open-loop latency and contact-centre figures beside\n"
      "Erlang C's prediction. Scenario files: bench/scenarios/; documentation: docs/bench.md."};
  AddFlags(app, s);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints the help, or the error
    return code == 0 ? 0 : 2;      // bad flags, like a failed check below
  }
  if (auto* scenario = app.get_config_ptr(); scenario != nullptr && scenario->count() > 0) {
    s.scenario = scenario->as<std::string>();
  }
  if (const std::string problem = Resolve(s); !problem.empty()) {
    std::fprintf(stderr, "switchboard-bench: %s\n", problem.c_str());
    return 2;
  }

  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  RunReport report;
  report.host = Host();
  if (s.progress) {
    std::fprintf(stderr, "switchboard-bench: %s, %s mode, %.0f s (load average %.2f on %d cpus)\n",
                 s.name.c_str(), s.mode_name.c_str(), s.duration_s, report.host.load_avg_1m,
                 report.host.cpus);
  }

  if (s.baseline) {
    if (s.progress) {
      std::fprintf(stderr,
                   "switchboard-bench: baseline: a raw ZeroMQ relay of %zu-byte messages "
                   "for %.1f s ...\n",
                   s.message_size, s.baseline_duration_s);
    }
    const BaselineResult b = MeasureRelay(s.message_size, s.baseline_duration_s);
    if (b.error.empty()) {
      report.baseline_msgs_per_s = b.msgs_per_s;
      if (s.progress) {
        std::fprintf(stderr, "switchboard-bench: baseline: %s msg/s\n",
                     Thousands(static_cast<uint64_t>(b.msgs_per_s)).c_str());
      }
    } else {
      report.notes.push_back("the baseline failed: " + b.error);
    }
  }

  std::unique_ptr<BrokerLauncher> broker;
  RunTarget target;
  if (s.connect.empty()) {
    auto started = BrokerLauncher::Start(s);
    if (!started.ok()) {
      std::fprintf(stderr, "switchboard-bench: cannot start the broker: %s\n",
                   started.status().message().c_str());
      return 1;
    }
    broker = std::move(started).value();
    target.endpoint = broker->endpoint();
    report.broker.started_by_bench = true;
    report.broker.version = broker->version();
    report.broker.durability = s.durability;
    BrokerLauncher* b = broker.get();
    target.broker_cpu_s = [b] { return b->CpuSeconds(); };
    target.broker_rss_peak_kb = [b] { return b->PeakRssKb(); };
    target.broker_failed = [b]() -> std::string {
      if (g_interrupted.load()) {
        return "interrupted";
      }
      return b->CheckAlive();
    };
    if (s.progress) {
      std::fprintf(stderr, "switchboard-bench: started %s (pid %d, data in %s)\n",
                   s.broker_path.c_str(), static_cast<int>(b->pid()), b->data_dir().c_str());
    }
  } else {
    target.endpoint = s.connect;
    report.broker.durability = "unknown (--connect)";
    target.broker_failed = []() -> std::string {
      return g_interrupted.load() ? "interrupted" : "";
    };
  }
  report.broker.endpoint = target.endpoint;

  RunLoad(s, target, report);

  if (broker) {
    const bool was_running = broker->CheckAlive().empty();
    const int status = broker->Stop();
    if (was_running && status != 0) {
      report.notes.push_back("the broker exited with status " + std::to_string(status) +
                             " when stopped");
    }
  }
  char load[160];
  std::snprintf(load, sizeof load,
                "the bench and the broker shared this host's %d CPUs; the load average was "
                "%.2f when the run started",
                report.host.cpus, report.host.load_avg_1m);
  report.notes.push_back(load);

  std::fputs(SummaryTable(s, report).c_str(), stdout);
  std::fflush(stdout);
  if (!s.json_path.empty()) {
    std::ofstream out(s.json_path, std::ios::trunc);
    out << ToJson(s, report);
    if (!out) {
      std::fprintf(stderr, "switchboard-bench: cannot write %s\n", s.json_path.c_str());
      return 1;
    }
  }
  return report.complete ? 0 : 1;
}
