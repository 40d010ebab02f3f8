// switchboard-broker: flags and config file, signals, and wiring the engine to its store,
// socket and metrics. All behaviour lives in src/.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "common/clock.h"
#include "config/routing_config.h"
#include "engine/engine.h"
#include "metrics/broker_metrics.h"
#include "store/store.h"

#ifndef SWITCHBOARD_VERSION
#define SWITCHBOARD_VERSION "0.0.0"
#endif

namespace {

switchboard::engine::Engine* g_engine = nullptr;

void OnSignal(int) {
  if (g_engine != nullptr) {
    g_engine->Stop();
  }
}

void OnHangUp(int) {
  if (g_engine != nullptr) {
    g_engine->RequestRoutingReload();
  }
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "switchboard-broker: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace switchboard;
  // First of all: a SIGHUP (a reload) must never kill the broker, even while it starts (the
  // routing file is read at start anyway; one that comes before the loop runs does nothing).
  struct sigaction hup = {};
  hup.sa_handler = OnHangUp;
  sigemptyset(&hup.sa_mask);
  sigaction(SIGHUP, &hup, nullptr);

  std::string bind = "tcp://127.0.0.1:5570";
  std::string data_dir = "switchboard-data";
  std::string metrics_bind = "127.0.0.1:9570";
  std::string durability = "fast";
  std::string routing_config;
  int64_t wal_sync_interval_ms = 1000;
  int64_t offer_timeout_ms = 15000;
  int64_t worker_grace_ms = 60000;
  int64_t redelivery_ms = 30000;
  int64_t drain_ms = 1000;
  uint32_t window = 1000;
  uint64_t max_outbox = 1000000;
  uint32_t heartbeat_ms = 1000;
  uint32_t max_queue_size = 100000;
  uint32_t max_tenant_waiting = 0;
  uint32_t max_text_bytes = 64 * 1024;
  uint32_t max_frame_bytes = 4 * 1024 * 1024;
  int max_frames_per_turn = 1024;
  uint32_t retention_days = 30;
  double qa_sample_rate = 0.01;
  double qa_recheck_rate = 0.01;
  size_t metrics_max_tenants = 50;
  size_t metrics_max_topics = 50;
  size_t metrics_max_groups = 50;
  bool metrics_per_agent = false;
  size_t metrics_max_agents = 500;
  std::vector<double> service_level_seconds = {20};
  int64_t short_abandon_ms = 5000;
  uint32_t fcr_window_hours = 48;
  size_t fcr_memory = 100000;
  size_t rating_memory = 100000;

  CLI::App app{"switchboard-broker: the message bus and session broker of a contact centre.\n"
               "With no arguments it serves tcp://127.0.0.1:5570, stores its data in\n"
               "./switchboard-data and exports metrics on http://127.0.0.1:9570/metrics."};
  app.set_version_flag("--version", std::string("switchboard-broker ") + SWITCHBOARD_VERSION);
  app.set_config("--config", "",
                 "Read settings from this TOML file (keys are the long flag names, e.g. "
                 "bind = \"tcp://0.0.0.0:5570\"); flags given on the command line win");
  app.add_option("--bind", bind, "ZeroMQ endpoint to serve clients on (tcp://host:port or ipc://path)")
      ->capture_default_str();
  app.add_option("--data-dir", data_dir, "RocksDB data directory (created if missing)")
      ->capture_default_str();
  app.add_option("--metrics-bind", metrics_bind,
                 "host:port for the Prometheus /metrics endpoint; empty to disable")
      ->capture_default_str();
  app.add_option("--durability", durability,
                 "fast: acknowledged once in the WAL, fsynced in the background; "
                 "sync: fsynced before acknowledging")
      ->check(CLI::IsMember({"fast", "sync"}))
      ->capture_default_str();
  app.add_option("--routing-config", routing_config,
                 "the routing file: queues, steps and rules in TOML (docs/routing.md); read "
                 "again on SIGHUP or an admin ReloadRouting; empty: one queue for every agent")
      ->capture_default_str();
  app.add_option("--wal-sync-interval-ms", wal_sync_interval_ms,
                 "fast mode: fsync the WAL at least this often (milliseconds)")
      ->check(CLI::Range(int64_t{1}, int64_t{60000}))
      ->capture_default_str();
  app.add_option("--offer-timeout-ms", offer_timeout_ms,
                 "an offer not accepted within this time goes to the next agent")
      ->check(CLI::Range(int64_t{100}, int64_t{3600000}))
      ->capture_default_str();
  app.add_option("--worker-grace-ms", worker_grace_ms,
                 "a worker gone this long loses its sessions to other agents")
      ->check(CLI::Range(int64_t{0}, int64_t{86400000}))
      ->capture_default_str();
  app.add_option("--redelivery-ms", redelivery_ms,
                 "deliveries a connected client leaves unacknowledged this long are re-sent")
      ->check(CLI::Range(int64_t{100}, int64_t{86400000}))
      ->capture_default_str();
  app.add_option("--drain-ms", drain_ms,
                 "on SIGTERM/SIGINT: keep serving open sessions this long (refusing new "
                 "contacts), or until every client has gone, then exit")
      ->check(CLI::Range(int64_t{0}, int64_t{600000}))
      ->capture_default_str();
  app.add_option("--heartbeat-ms", heartbeat_ms,
                 "heartbeat interval told to clients; a client silent for 3 intervals is gone")
      ->check(CLI::Range(50u, 600000u))
      ->capture_default_str();
  app.add_option("--max-queue-size", max_queue_size,
                 "contacts allowed to wait in a queue; new contacts over it get Busy")
      ->check(CLI::Range(1u, 100000000u))
      ->capture_default_str();
  app.add_option("--window", window,
                 "credit: unacknowledged messages a client may have outstanding")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option("--max-outbox", max_outbox,
                 "messages held in memory for delivery (outbox and waiting contacts' messages) "
                 "before adapters get no more credit: the memory bound")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--max-tenant-waiting", max_tenant_waiting,
                 "contacts of one tenant allowed to wait; new ones over it get Busy (0: no limit)")
      ->check(CLI::Range(0u, 100000000u))
      ->capture_default_str();
  app.add_option("--max-text-bytes", max_text_bytes, "longest message text accepted")
      ->check(CLI::Range(1u, 16u * 1024 * 1024))
      ->capture_default_str();
  app.add_option("--max-frame-bytes", max_frame_bytes, "largest frame accepted")
      ->check(CLI::Range(8192u, 256u * 1024 * 1024))
      ->capture_default_str();
  app.add_option("--max-frames-per-turn", max_frames_per_turn,
                 "frames drained per loop turn before the turn commits")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--retention-days", retention_days,
                 "transcripts and closed sessions older than this many days are removed by "
                 "compaction (0: keep forever)")
      ->check(CLI::Range(0u, 36500u))
      ->capture_default_str();
  app.add_option("--qa-sample-rate", qa_sample_rate,
                 "share of closed sessions flagged for quality inspection, chosen by a hash of "
                 "the session id (the same sessions on every run)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--qa-recheck-rate", qa_recheck_rate,
                 "share of the flagged sessions flagged again for a re-check")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--metrics-max-tenants", metrics_max_tenants,
                 "tenants with their own metric label value; later ones count as 'other'")
      ->check(CLI::Range(size_t{0}, size_t{100000}))
      ->capture_default_str();
  app.add_option("--metrics-max-topics", metrics_max_topics,
                 "contact topics with their own metric label value; later ones count as 'other'")
      ->check(CLI::Range(size_t{0}, size_t{100000}))
      ->capture_default_str();
  app.add_option("--metrics-max-groups", metrics_max_groups,
                 "agent groups with their own metric label value; later ones count as 'other'")
      ->check(CLI::Range(size_t{0}, size_t{100000}))
      ->capture_default_str();
  app.add_flag("--metrics-per-agent", metrics_per_agent,
               "export per-agent series (receptions, handle time) labelled by agent id");
  app.add_option("--metrics-max-agents", metrics_max_agents,
                 "with --metrics-per-agent: agents with their own label value; later ones "
                 "count as 'other'")
      ->check(CLI::Range(size_t{0}, size_t{100000}))
      ->capture_default_str();
  app.add_option("--service-level-seconds", service_level_seconds,
                 "service-level thresholds in use, in seconds; each becomes a bucket of the "
                 "speed-of-answer histogram")
      ->delimiter(',')
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  app.add_option("--short-abandon-ms", short_abandon_ms,
                 "abandons before this wait count as short abandons")
      ->check(CLI::Range(int64_t{0}, int64_t{3600000}))
      ->capture_default_str();
  app.add_option("--fcr-window-hours", fcr_window_hours,
                 "a new contact of the same customer on the same topic within this time of a "
                 "close is a re-contact (first-contact resolution)")
      ->check(CLI::Range(1u, 8760u))
      ->capture_default_str();
  app.add_option("--fcr-memory", fcr_memory,
                 "closes remembered for re-contacts (memory bound; the oldest is forgotten)")
      ->check(CLI::Range(size_t{0}, size_t{100000000}))
      ->capture_default_str();
  app.add_option("--rating-memory", rating_memory,
                 "closed sessions remembered so a Rating can name them (memory bound; the "
                 "oldest is forgotten)")
      ->check(CLI::Range(size_t{0}, size_t{100000000}))
      ->capture_default_str();
  app.allow_config_extras(CLI::config_extras_mode::error);
  CLI11_PARSE(app, argc, argv);
  if (uint64_t{max_text_bytes} + 4096 > max_frame_bytes) {
    return Fail("--max-text-bytes (" + std::to_string(max_text_bytes) +
                ") must leave room for the envelope in --max-frame-bytes (" +
                std::to_string(max_frame_bytes) + "): allow at least 4096 bytes more");
  }

  store::Options store_options;
  store_options.durability =
      durability == "sync" ? store::Durability::kSync : store::Durability::kFast;
  store_options.retention = int64_t{retention_days} * 24 * 3600 * kSeconds;
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Fail("cannot create data directory " + data_dir + ": " + ec.message());
  }
  auto store = store::Store::Open(data_dir, store_options);
  if (!store.ok()) {
    return Fail(store.status().message());
  }

  auto registry = std::make_shared<prometheus::Registry>();
  metrics::MetricsConfig metrics_config;
  metrics_config.max_tenants = metrics_max_tenants;
  metrics_config.max_topics = metrics_max_topics;
  metrics_config.max_groups = metrics_max_groups;
  metrics_config.per_agent = metrics_per_agent;
  metrics_config.max_agents = metrics_max_agents;
  metrics_config.service_level_seconds = service_level_seconds;
  metrics::BrokerMetrics metrics(*registry, metrics_config);
  std::unique_ptr<prometheus::Exposer> exposer;
  if (!metrics_bind.empty()) {
    try {
      exposer = std::make_unique<prometheus::Exposer>(metrics_bind);
      exposer->RegisterCollectable(registry);
    } catch (const std::exception& e) {
      return Fail("cannot serve metrics on " + metrics_bind + ": " + e.what() +
                  " (use --metrics-bind to choose another address, or '' to disable)");
    }
  }

  engine::EngineConfig config;
  config.bind = bind;
  if (!routing_config.empty()) {
    auto routing = config::LoadRoutingConfigFile(routing_config);
    if (!routing.ok()) {
      return Fail(routing.status().message());
    }
    config.core.routing = std::move(routing).value();
    config.load_routing = [routing_config] {
      return config::LoadRoutingConfigFile(routing_config);
    };
  }
  config.core.offer_timeout = offer_timeout_ms * kMillis;
  config.core.heartbeat_interval = int64_t{heartbeat_ms} * kMillis;
  config.core.worker_grace = worker_grace_ms * kMillis;
  config.core.redelivery_timeout = redelivery_ms * kMillis;
  config.drain_time = drain_ms * kMillis;
  config.core.window = window;
  config.core.max_outbox = max_outbox;
  config.core.max_queue_size = max_queue_size;
  config.core.max_tenant_waiting = max_tenant_waiting;
  config.core.max_text_bytes = max_text_bytes;
  config.core.short_abandon = short_abandon_ms * kMillis;
  config.core.fcr_window = int64_t{fcr_window_hours} * 3600 * kSeconds;
  config.core.fcr_memory = fcr_memory;
  config.core.rating_memory = rating_memory;
  config.info.version = SWITCHBOARD_VERSION;
  config.info.heartbeat_ms = heartbeat_ms;
  config.info.max_frame_bytes = max_frame_bytes;
  config.info.max_text_bytes = max_text_bytes;
  config.max_frames_per_turn = max_frames_per_turn;
  config.wal_sync_interval = wal_sync_interval_ms * kMillis;
  config.background_wal_sync = store_options.durability == store::Durability::kFast;
  config.qa.sample = qa_sample_rate;
  config.qa.recheck = qa_recheck_rate;

  SystemClock clock;
  engine::Engine engine(config, **store, &metrics, clock);
  // Handlers before recovery: a SIGTERM during a long recovery stops the broker right after
  // it (the engine's stop eventfd exists from construction).
  g_engine = &engine;
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  auto bound = engine.Start();
  if (!bound.ok()) {
    return Fail(bound.status().message());
  }

  // The address metrics are served on, with the port the exposer got (for port 0).
  std::string metrics_url = "off";
  if (exposer != nullptr) {
    std::string host = metrics_bind.substr(0, metrics_bind.rfind(':'));
    const std::vector<int> ports = exposer->GetListeningPorts();
    metrics_url = "http://" +
                  (ports.empty() ? metrics_bind : host + ":" + std::to_string(ports.front())) +
                  "/metrics";
  }
  std::printf("switchboard-broker %s ready: bind=%s data-dir=%s metrics=%s durability=%s\n",
              SWITCHBOARD_VERSION, bound->c_str(), data_dir.c_str(), metrics_url.c_str(),
              durability.c_str());
  std::fflush(stdout);

  Status st = engine.Run();
  g_engine = nullptr;
  if (!st.ok()) {
    return Fail("stopping: " + st.ToString());
  }
  std::fprintf(stderr, "switchboard-broker: stopped cleanly\n");
  return 0;
}
