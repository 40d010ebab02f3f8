#include "settings.h"

#include <cmath>

#include <CLI/CLI.hpp>

#include "json.h"

namespace switchboard::bench {

void AddFlags(CLI::App& app, Settings& s) {
  app.set_config("--scenario", "",
                 "Read settings from this scenario file (TOML: keys are the long flag names, "
                 "e.g. arrival-rate = 20); flags on the command line win");
  app.allow_config_extras(CLI::config_extras_mode::error);

  app.add_option("--name", s.name, "A name for the run, copied to the report")
      ->capture_default_str();
  app.add_option("--description", s.description, "A line saying what the run is for");
  app.add_option("--mode", s.mode_name,
                 "raw: customer messages only, to find throughput and latency; "
                 "contact-centre (or cc): sessions, conversations and agents")
      ->check(CLI::IsMember({"raw", "contact-centre", "cc"}))
      ->capture_default_str();
  app.add_option("--duration", s.duration_s, "Seconds of load (new messages stop after it)")
      ->capture_default_str();
  app.add_option("--warmup", s.warmup_s, "The first seconds of the load left out of every figure")
      ->capture_default_str();
  app.add_option("--drain", s.drain_s,
                 "After the load, the most seconds to wait for answers still on their way")
      ->capture_default_str();
  app.add_option("--seed", s.seed, "Seed of every random draw (arrivals, handle times, ...)")
      ->capture_default_str();

  app.add_option("--rate", s.rate,
                 "raw: customer messages per second in all; 0 = as fast as the client "
                 "windows allow")
      ->capture_default_str();
  app.add_option("--arrival-rate", s.arrival_rate,
                 "contact-centre: new sessions per second in all (Poisson)")
      ->capture_default_str();
  app.add_option("--arrivals", s.arrivals,
                 "Spacing of messages (raw) or sessions (cc): uniform, poisson, or auto "
                 "(raw: uniform, cc: poisson)")
      ->check(CLI::IsMember({"auto", "uniform", "poisson"}))
      ->capture_default_str();
  app.add_option("--schedule", s.schedule_text,
                 "Rate multiplier over time, e.g. \"30s@1, 20s@1..10, 40s@10, 30s@10..1\" "
                 "(ramp, plateau at 10x, decay); the last multiplier holds; empty = flat");
  app.add_option("--adapters", s.adapters, "Adapter connections (one thread each)")
      ->capture_default_str();
  app.add_option("--sessions", s.sessions,
                 "raw: customers (each one open session) per adapter; messages go round-robin")
      ->capture_default_str();
  app.add_option("--tenants", s.tenants, "Tenants the customers are spread over")
      ->capture_default_str();
  app.add_option("--message-size", s.message_size,
                 "Bytes of text per customer message and agent reply")
      ->capture_default_str();
  app.add_option("--window", s.window,
                 "Each client's window of unacknowledged messages; a broker the bench starts "
                 "gets the same --window (its credit)")
      ->capture_default_str();

  app.add_option("--agents", s.agents, "Worker connections (one thread each)")
      ->capture_default_str();
  app.add_option("--agent-capacity", s.agent_capacity,
                 "contact-centre: sessions an agent holds at once (raw: sized to hold all)")
      ->capture_default_str();
  app.add_option("--group", s.group, "The agents' group, sent in their Hello")
      ->capture_default_str();
  app.add_option("--skills", s.skills, "The agents' skills, \"name:level,...\" (Hello only)");
  app.add_option("--handle-time", s.handle_time_s,
                 "contact-centre: mean handle time in seconds (accept -> close)")
      ->capture_default_str();
  app.add_option("--handle-dist", s.handle_dist_name,
                 "Handle time distribution: exponential or lognormal")
      ->check(CLI::IsMember({"exponential", "exp", "lognormal"}))
      ->capture_default_str();
  app.add_option("--handle-sigma", s.handle_sigma,
                 "lognormal: sigma of the underlying normal (the mean stays --handle-time)")
      ->capture_default_str();
  app.add_option("--messages-per-session", s.messages_per_session,
                 "contact-centre: mean customer messages per conversation (geometric, >= 1)")
      ->capture_default_str();
  app.add_option("--think-time", s.think_time_s,
                 "contact-centre: mean seconds a customer thinks after each reply")
      ->capture_default_str();
  app.add_option("--patience", s.patience_s,
                 "contact-centre: mean seconds a customer waits for an agent before leaving "
                 "(CustomerLeft); 0 = customers never leave")
      ->capture_default_str();
  app.add_option("--patience-dist", s.patience_dist_name,
                 "Patience distribution: exponential or lognormal")
      ->check(CLI::IsMember({"exponential", "exp", "lognormal"}))
      ->capture_default_str();
  app.add_option("--patience-sigma", s.patience_sigma,
                 "lognormal: sigma of the underlying normal (the mean stays --patience)")
      ->capture_default_str();
  app.add_option("--sl-threshold", s.sl_threshold_s,
                 "Service level threshold T in seconds (answered within T)")
      ->capture_default_str();
  app.add_option("--sl-target", s.sl_target,
                 "Service level target, for the agents Erlang C says are needed")
      ->capture_default_str();

  app.add_option("--crash-at", s.crash_at_s,
                 "Seconds into the load when worker(s) crash (drop their connection without a "
                 "word); negative: no crash")
      ->capture_default_str();
  app.add_option("--crash-workers", s.crash_workers, "How many workers crash")
      ->capture_default_str();
  app.add_option("--crash-restart-after", s.crash_restart_after_s,
                 "Seconds until a crashed worker signs in again; negative: never")
      ->capture_default_str();

  app.add_option("--connect", s.connect,
                 "Use the broker already running at this endpoint instead of starting one");
  app.add_option("--broker", s.broker_path, "The switchboard-broker binary to start")
      ->capture_default_str();
  app.add_option("--bind", s.bind, "Where the started broker listens")->capture_default_str();
  app.add_option("--durability", s.durability,
                 "The started broker's durability: fast (WAL, fsync in the background) or "
                 "sync (fsync before every acknowledgement)")
      ->check(CLI::IsMember({"fast", "sync"}))
      ->capture_default_str();
  app.add_option("--data-dir", s.data_dir,
                 "The started broker's data directory (default: a fresh temporary one)");
  app.add_flag("--keep-data", s.keep_data, "Keep the temporary data directory after the run");
  app.add_option("--heartbeat-ms", s.heartbeat_ms,
                 "Heartbeat interval of the clients and of the started broker")
      ->capture_default_str();
  app.add_option("--max-queue-size", s.max_queue_size,
                 "The started broker's --max-queue-size (0: its default)")
      ->capture_default_str();
  app.add_option("--offer-timeout-ms", s.offer_timeout_ms,
                 "The started broker's --offer-timeout-ms (0: its default)")
      ->capture_default_str();
  app.add_option("--broker-arg", s.broker_args,
                 "A further flag for the started broker (repeat for several)");

  app.add_flag("--baseline", s.baseline,
               "First measure a raw ZeroMQ relay of the same message size and report the "
               "broker's throughput as a ratio of it");
  app.add_option("--baseline-duration", s.baseline_duration_s, "Seconds of relay measurement")
      ->capture_default_str();
  app.add_option("--json", s.json_path, "Write the report as one JSON object to this file");
  app.add_flag("!--quiet,!-q", s.progress, "No live progress line");
  app.add_option("--id-prefix", s.id_prefix,
                 "Client ids start with this (default bench-<pid>), so runs against a shared "
                 "broker do not collide");
}

std::string Resolve(Settings& s) {
  if (s.mode_name == "raw") {
    s.mode = Mode::kRaw;
  } else if (s.mode_name == "contact-centre" || s.mode_name == "cc") {
    s.mode = Mode::kContactCentre;
    s.mode_name = "contact-centre";
  } else {
    return "--mode must be raw or contact-centre";
  }
  const bool raw = s.mode == Mode::kRaw;
  if (!(s.duration_s > 0)) {
    return "--duration must be above 0 seconds";
  }
  if (!(s.warmup_s >= 0 && s.warmup_s < s.duration_s)) {
    return "--warmup must be at least 0 and below --duration";
  }
  if (!(s.drain_s >= 0)) {
    return "--drain must not be negative";
  }
  if (raw && !(s.rate >= 0)) {
    return "--rate must not be negative";
  }
  if (!raw && !(s.arrival_rate > 0)) {
    return "contact-centre mode needs --arrival-rate above 0 (new sessions per second)";
  }
  if (s.arrivals == "auto") {
    s.poisson = !raw;
  } else if (s.arrivals == "uniform" || s.arrivals == "poisson") {
    s.poisson = s.arrivals == "poisson";
  } else {
    return "--arrivals must be auto, uniform or poisson";
  }
  auto schedule = RateSchedule::Parse(s.schedule_text);
  if (!schedule.ok()) {
    return "--schedule: " + schedule.status().message();
  }
  s.schedule = *schedule;
  if (raw && s.rate == 0 && !s.schedule.flat()) {
    return "--schedule needs a rate to multiply: give --rate above 0";
  }
  if (s.adapters < 1 || s.adapters > 256) {
    return "--adapters must be 1..256";
  }
  if (s.sessions < 1) {
    return "--sessions must be at least 1";
  }
  if (s.tenants < 1) {
    return "--tenants must be at least 1";
  }
  if (s.message_size < 1 || s.message_size > 16 * 1024 * 1024) {
    return "--message-size must be 1..16777216 bytes";
  }
  if (s.window < 1) {
    return "--window must be at least 1";
  }
  if (s.agents < 1 || s.agents > 10000) {
    return "--agents must be 1..10000";
  }
  if (raw) {
    const int64_t need = (int64_t{s.adapters} * s.sessions + s.agents - 1) / s.agents;
    if (need > 65535) {
      return "raw mode: --adapters x --sessions / --agents is over 65535 sessions per agent";
    }
    s.agent_capacity = static_cast<int>(need);
  } else if (s.agent_capacity < 1 || s.agent_capacity > 65535) {
    return "--agent-capacity must be 1..65535";
  }
  if (s.handle_dist_name == "exponential" || s.handle_dist_name == "exp") {
    s.handle_dist = HandleDistribution::kExponential;
    s.handle_dist_name = "exponential";
  } else if (s.handle_dist_name == "lognormal") {
    s.handle_dist = HandleDistribution::kLogNormal;
  } else {
    return "--handle-dist must be exponential or lognormal";
  }
  if (!(s.handle_time_s > 0)) {
    return "--handle-time must be above 0 seconds";
  }
  if (!(s.handle_sigma > 0 && s.handle_sigma < 5)) {
    return "--handle-sigma must be in (0, 5)";
  }
  if (s.patience_dist_name == "exponential" || s.patience_dist_name == "exp") {
    s.patience_dist = HandleDistribution::kExponential;
    s.patience_dist_name = "exponential";
  } else if (s.patience_dist_name == "lognormal") {
    s.patience_dist = HandleDistribution::kLogNormal;
  } else {
    return "--patience-dist must be exponential or lognormal";
  }
  if (!(s.patience_s >= 0) || !std::isfinite(s.patience_s)) {
    return "--patience must be at least 0 seconds (0: customers never leave)";
  }
  if (raw && s.patience_s > 0) {
    return "--patience is for contact-centre mode (raw customers have no queue to leave)";
  }
  if (!(s.patience_sigma > 0 && s.patience_sigma < 5)) {
    return "--patience-sigma must be in (0, 5)";
  }
  if (!(s.messages_per_session >= 1)) {
    return "--messages-per-session must be at least 1";
  }
  if (!(s.think_time_s >= 0)) {
    return "--think-time must not be negative";
  }
  if (!(s.sl_threshold_s >= 0)) {
    return "--sl-threshold must not be negative";
  }
  if (!(s.sl_target > 0 && s.sl_target < 1)) {
    return "--sl-target must be between 0 and 1";
  }
  if (s.crash_at_s >= 0 && (s.crash_workers < 1 || s.crash_workers > s.agents)) {
    return "--crash-workers must be 1..--agents";
  }
  if (s.heartbeat_ms < 50 || s.heartbeat_ms > 600000) {
    return "--heartbeat-ms must be 50..600000";
  }
  if (s.max_queue_size < 0 || s.offer_timeout_ms < 0) {
    return "--max-queue-size and --offer-timeout-ms must not be negative";
  }
  if (s.baseline && !(s.baseline_duration_s > 0)) {
    return "--baseline-duration must be above 0 seconds";
  }
  if (s.connect.empty() && s.broker_path.empty()) {
    return "no broker to start: give --broker PATH or --connect ENDPOINT";
  }
  return "";
}

void WriteSettings(JsonWriter& j, const Settings& s) {
  j.BeginObject();
  j.Field("scenario", s.scenario);
  j.Field("name", s.name);
  j.Field("description", s.description);
  j.Field("mode", s.mode_name);
  j.Field("duration_s", s.duration_s);
  j.Field("warmup_s", s.warmup_s);
  j.Field("drain_s", s.drain_s);
  j.Field("seed", s.seed);
  j.Field("rate", s.rate);
  j.Field("arrival_rate", s.arrival_rate);
  j.Field("arrivals", s.poisson ? "poisson" : "uniform");
  j.Field("schedule", s.schedule.ToString());
  j.Field("adapters", s.adapters);
  j.Field("sessions", s.sessions);
  j.Field("tenants", s.tenants);
  j.Field("message_size", static_cast<uint64_t>(s.message_size));
  j.Field("window", static_cast<uint64_t>(s.window));
  j.Field("agents", s.agents);
  j.Field("agent_capacity", s.agent_capacity);
  j.Field("group", s.group);
  j.Field("skills", s.skills);
  j.Field("handle_time_s", s.handle_time_s);
  j.Field("handle_dist", s.handle_dist_name);
  j.Field("handle_sigma", s.handle_sigma);
  j.Field("messages_per_session", s.messages_per_session);
  j.Field("think_time_s", s.think_time_s);
  j.Field("patience_s", s.patience_s);
  j.Field("patience_dist", s.patience_dist_name);
  j.Field("patience_sigma", s.patience_sigma);
  j.Field("sl_threshold_s", s.sl_threshold_s);
  j.Field("sl_target", s.sl_target);
  j.Field("crash_at_s", s.crash_at_s);
  j.Field("crash_workers", s.crash_workers);
  j.Field("crash_restart_after_s", s.crash_restart_after_s);
  j.Field("connect", s.connect);
  j.Field("broker", s.connect.empty() ? s.broker_path : std::string());
  j.Field("bind", s.bind);
  j.Field("durability", s.connect.empty() ? s.durability : std::string("unknown (--connect)"));
  j.Field("data_dir", s.data_dir);
  j.Field("heartbeat_ms", s.heartbeat_ms);
  j.Field("max_queue_size", s.max_queue_size);
  j.Field("offer_timeout_ms", s.offer_timeout_ms);
  j.Key("broker_args").BeginArray();
  for (const std::string& a : s.broker_args) {
    j.Value(a);
  }
  j.EndArray();
  j.Field("baseline", s.baseline);
  j.Field("baseline_duration_s", s.baseline_duration_s);
  j.Field("json", s.json_path);
  j.Field("id_prefix", s.id_prefix);
  j.EndObject();
}

}  // namespace switchboard::bench
