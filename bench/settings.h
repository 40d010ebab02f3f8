// Settings: everything a bench run is configured with, the command-line flags that set it
// (CLI11), the scenario file that can set the same keys (TOML, keys are the long flag
// names; flags given on the command line win), and their checks.
//
// Thread rules: plain values; filled once in main, then read-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rate_schedule.h"

namespace CLI {
class App;
}  // namespace CLI

namespace switchboard::bench {

class JsonWriter;

enum class Mode {
  kRaw,            // customer messages as fast as credit allows (or at --rate), no replies
  kContactCentre,  // Poisson sessions, conversations, agents with handle times
};
// Of handle times, and of customers' patience.
enum class HandleDistribution { kExponential, kLogNormal };

struct Settings {
  // What the run is.
  std::string scenario;  // the scenario file read, if any
  std::string name = "ad-hoc";
  std::string description;
  std::string mode_name = "raw";  // raw | contact-centre (cc)
  Mode mode = Mode::kRaw;
  double duration_s = 10;  // load phase; new messages / sessions stop after it
  double warmup_s = 1;     // the first seconds of the load phase are left out of the figures
  double drain_s = 30;     // after the load phase, the most to wait for answers to arrive
  uint64_t seed = 1;

  // Load.
  double rate = 0;                // raw: customer messages per second in all; 0 = credit-bound
  double arrival_rate = 0;        // contact-centre: new sessions per second in all
  std::string arrivals = "auto";  // uniform | poisson | auto (raw: uniform, cc: poisson)
  bool poisson = false;           // resolved from `arrivals`
  std::string schedule_text;      // see rate_schedule.h; "" = flat
  RateSchedule schedule;          // parsed from schedule_text
  int adapters = 1;               // adapter connections, one thread each
  int sessions = 1000;            // raw: customers (open sessions) per adapter
  int tenants = 1;                // customers are spread over this many tenants
  size_t message_size = 256;      // bytes of text per customer message and reply
  size_t window = 1000;           // each client's window of unacknowledged messages

  // Agents and conversations (contact-centre mode; raw mode uses agents only).
  int agents = 4;          // worker connections, one thread each
  int agent_capacity = 1;  // sessions per agent (raw mode: sized to hold all)
  std::string group = "post-sale";
  std::string skills;                            // "name:level,..." sent in each worker's Hello
  double handle_time_s = 5;                      // mean handle time (AHT), accept -> close
  std::string handle_dist_name = "exponential";  // exponential | lognormal
  HandleDistribution handle_dist = HandleDistribution::kExponential;
  double handle_sigma = 1.0;        // log-normal: sigma of the underlying normal
  double messages_per_session = 3;  // mean customer messages per conversation (>= 1)
  double think_time_s = 1;          // mean customer think time after each agent reply
  // Mean customer patience (wait for an agent before CustomerLeft); 0 = customers never leave.
  double patience_s = 0;
  std::string patience_dist_name = "exponential";  // exponential | lognormal
  HandleDistribution patience_dist = HandleDistribution::kExponential;
  double patience_sigma = 1.0;  // log-normal: sigma of the underlying normal
  double sl_threshold_s = 20;   // service level threshold T
  double sl_target = 0.8;       // for the "agents Erlang C needs" figure

  // Faults.
  double crash_at_s = -1;            // when the first worker(s) crash; < 0: no crash
  int crash_workers = 1;             // how many workers crash at crash_at_s
  double crash_restart_after_s = 5;  // when they come back; < 0: never

  // Broker.
  std::string connect;                     // use this running broker instead of starting one
  std::string broker_path;                 // the switchboard-broker binary to start
  std::string bind = "tcp://127.0.0.1:*";  // where the started broker listens
  std::string durability = "fast";         // fast | sync, for the started broker
  std::string data_dir;                    // the started broker's data dir; "" = a fresh temp dir
  bool keep_data = false;                  // keep the temp data dir after the run
  int heartbeat_ms = 1000;                 // clients' heartbeat, and the started broker's
  int64_t max_queue_size = 0;              // the started broker's --max-queue-size; 0 = its default
  int64_t offer_timeout_ms = 0;          // the started broker's --offer-timeout-ms; 0 = its default
  std::vector<std::string> broker_args;  // more flags for the started broker

  // Baseline and output.
  bool baseline = false;  // measure a raw ZeroMQ relay first
  double baseline_duration_s = 3;
  std::string json_path;  // write the JSON report here
  bool progress = true;   // the live line on stderr
  std::string id_prefix;  // client ids start with it; "" = "bench-<pid>"
};

// Registers every flag on `app` (including --scenario as its config file option, TOML).
void AddFlags(CLI::App& app, Settings& s);
// Checks values and cross-field rules after parsing and fills the derived fields (mode,
// poisson, schedule, handle_dist, patience_dist). Returns "" or what is wrong, fit for the user.
std::string Resolve(Settings& s);
// Writes every setting as a JSON object (the value of the current key).
void WriteSettings(JsonWriter& json, const Settings& s);

}  // namespace switchboard::bench
