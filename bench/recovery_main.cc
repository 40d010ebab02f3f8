// switchboard-recovery-bench: how long the broker takes to start on a store holding many open
// sessions, after a SIGKILL, and how much memory it then holds.
//
// It fills a data directory through the store (the same records the broker writes: open
// sessions, most held by agents and some waiting in the queue, each with a transcript),
// starts switchboard-broker on it and times it to "ready", kills it with SIGKILL, and times
// the restart. Prints the figures and the command that produced them.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <CLI/CLI.hpp>

#include "broker_launcher.h"
#include "settings.h"
#include "store/store.h"

namespace {

using namespace switchboard;
using Steady = std::chrono::steady_clock;

double Since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

long StatusKib(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string k;
  while (in >> k) {
    if (k == key + ":") {
      long v = 0;
      in >> v;
      return v;
    }
    in.ignore(4096, '\n');
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  size_t sessions = 1'000'000;
  double queued_fraction = 0.05;
  int entries = 4;
  int agents = 10'000;
  int text_bytes = 100;
  std::string dir;
  std::string broker_path = SWITCHBOARD_BENCH_BROKER_PATH;
  CLI::App app{"switchboard-recovery-bench: broker start-up time and memory on a large store"};
  app.add_option("--sessions", sessions, "open sessions in the store")->capture_default_str();
  app.add_option("--queued-fraction", queued_fraction,
                 "share of them waiting in the queue (their transcripts are loaded)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--entries", entries, "transcript entries per session")->capture_default_str();
  app.add_option("--agents", agents, "agents holding the other sessions")->capture_default_str();
  app.add_option("--text-bytes", text_bytes, "bytes of text per entry")->capture_default_str();
  app.add_option("--dir", dir, "work directory (default: a fresh one under /tmp, removed)");
  app.add_option("--broker", broker_path, "the switchboard-broker binary")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const bool temp = dir.empty();
  if (temp) {
    char tmpl[] = "/tmp/switchboard-recovery-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
  }
  const std::string data_dir = dir + "/data";

  // Fill.
  auto t0 = Steady::now();
  {
    auto store = store::Store::Open(data_dir, {});
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    const std::string text(static_cast<size_t>(text_bytes), 'x');
    const int64_t now_us = 1'790'000'000'000'000;
    core::Mutations m;
    const size_t queued_every =
        queued_fraction > 0 ? static_cast<size_t>(1.0 / queued_fraction) : 0;
    for (size_t i = 1; i <= sessions; ++i) {
      core::Session s;
      s.id = i;
      s.tenant = "tenant-" + std::to_string(i % 50);
      s.customer_id = "customer-" + std::to_string(i);
      s.queue = "default";
      s.queue_seq = i;
      s.created_at = s.enqueued_at = now_us + static_cast<int64_t>(i);
      s.attributes.topic = "delivery";
      s.adapter_id = "im-adapter";
      s.transcript_size = static_cast<uint32_t>(entries);
      if (queued_every != 0 && i % queued_every == 0) {
        s.state = core::SessionState::kQueued;
      } else {
        s.state = core::SessionState::kActive;
        s.agent_id = "agent-" + std::to_string(i % static_cast<size_t>(agents));
        s.answered_at = s.created_at + 1000;
      }
      for (int e = 0; e < entries; ++e) {
        m.entries.push_back(core::TranscriptEntry{
            i, static_cast<uint32_t>(e), e % 2 ? core::Party::kAgent : core::Party::kCustomer,
            e % 2 ? s.agent_id : "", text, s.created_at});
      }
      m.sessions.push_back(std::move(s));
      if (m.sessions.size() == 1000 || i == sessions) {
        m.counters = core::Counters{i + 1, 1, i + 1};
        if (Status st = (*store)->Commit(m); !st.ok()) {
          std::fprintf(stderr, "%s\n", st.ToString().c_str());
          return 1;
        }
        m.Clear();
      }
      if (i % 100000 == 0) {
        std::fprintf(stderr, "\rfilled %zu sessions", i);
      }
    }
  }
  const double fill_s = Since(t0);
  std::fprintf(stderr, "\rfilled %zu sessions in %.1f s\n", sessions, fill_s);

  bench::Settings settings;
  settings.broker_path = broker_path;
  settings.data_dir = data_dir;
  settings.keep_data = true;
  settings.broker_args = {"--worker-grace-ms", "3600000"};

  double first_s = 0;
  double kill_s = 0;
  long rss_kib = 0;
  for (int run = 0; run < 2; ++run) {
    t0 = Steady::now();
    auto broker = bench::BrokerLauncher::Start(settings);
    if (!broker.ok()) {
      std::fprintf(stderr, "%s\n", broker.status().ToString().c_str());
      return 1;
    }
    const double ready_s = Since(t0);
    if (run == 0) {
      first_s = ready_s;
      rss_kib = StatusKib((*broker)->pid(), "VmRSS");
      kill((*broker)->pid(), SIGKILL);  // the crash
    } else {
      kill_s = ready_s;
    }
    (*broker)->Stop(60);
  }
  std::printf("command: ");
  for (int i = 0; i < argc; ++i) {
    std::printf("%s%s", i ? " " : "", argv[i]);
  }
  std::printf("\nsessions=%zu queued=%.0f%% entries/session=%d text=%dB agents=%d\n", sessions,
              queued_fraction * 100, entries, text_bytes, agents);
  std::printf("fill (through the store, batches of 1000 sessions): %.1f s\n", fill_s);
  std::printf("first start: ready in %.2f s; broker RSS holding them: %.0f MiB\n", first_s,
              static_cast<double>(rss_kib) / 1024);
  std::printf("restart after SIGKILL: ready in %.2f s\n", kill_s);
  if (temp) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return 0;
}
