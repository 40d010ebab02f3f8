// Report: what a bench run measured, the contact-centre figures with Erlang C's prediction
// beside them, and the two ways out: the JSON object of --json and the summary table.
//
// Pure: the runner fills a RunReport; nothing here touches sockets, threads or the clock.
// Thread rules: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "histogram.h"
#include "settings.h"

namespace switchboard::bench {

// Percentiles of a histogram of nanoseconds, in microseconds.
struct LatencySummary {
  uint64_t count = 0;
  double mean_us = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;

  static LatencySummary Of(const Histogram& h);
};

// What the simulated customers and agents counted in a contact-centre run, for the sessions
// that arrived inside the measured window.
struct ContactCentreCounts {
  double window_s = 0;    // length of the measured window
  uint64_t arrivals = 0;  // sessions the customers started
  uint64_t offered = 0;   // ... whose first message the broker queued
  uint64_t busy = 0;      // ... whose first message was answered Busy
  uint64_t answered = 0;  // ... that an agent accepted
  // With --patience: customers whose CustomerLeft closed their session (the broker's
  // SessionClosed, disposition abandoned, reached the adapter), and how many of those an
  // agent had accepted first (the broker answered before the leave: answered, not abandoned).
  uint64_t left = 0;
  uint64_t left_after_answer = 0;
  uint64_t still_waiting = 0;  // offered, no reply and not left when the adapters stopped
  uint64_t answered_within_threshold = 0;
  double wait_sum_s = 0;    // sum of waits (arrival -> accept) of answered ones
  uint64_t handled = 0;     // sessions closed by agents (any arrival time)
  double handle_sum_s = 0;  // their accept -> close times
};

struct ContactCentreFigures {
  ContactCentreCounts counts;
  // --patience > 0: customers leave the queue when their patience runs out.
  bool abandonment_modelled = false;
  uint64_t abandoned = 0;            // left before an agent accepted: left - left_after_answer
  double abandon_rate = 0;           // abandoned / offered
  uint64_t unanswered = 0;           // offered, neither answered nor abandoned by the drain's end
  double answer_rate = 0;            // answered / offered
  double service_level = 0;          // answered within T / offered
  double asa_s = 0;                  // mean wait of the answered
  double measured_arrival_rate = 0;  // offered / window, per second
  double measured_aht_s = 0;         // mean accept -> close of the handled
  int servers = 0;                   // agents x capacity: Erlang C's c

  // Erlang C for the measured arrival rate, the configured mean handle time and c.
  double offered_load = 0;  // erlangs
  double occupancy = 0;
  double erlang_c_p_wait = 0;
  double erlang_c_service_level = 0;
  double erlang_c_asa_s = 0;
  bool erlang_c_stable = false;
  // The same with the measured mean handle time.
  double erlang_c_service_level_measured_aht = 0;
  double erlang_c_asa_s_measured_aht = 0;
  // Agents (of this capacity) Erlang C needs to reach the SL target at this load; 0 if none.
  int agents_needed = 0;
};

// Derives the figures and Erlang C's prediction from the counts and the run's settings.
ContactCentreFigures CompareWithErlangC(const ContactCentreCounts& counts, const Settings& s);

// One second of the run, as the live line showed it.
struct TimelinePoint {
  double t_s = 0;          // end of the second, from the start of the load
  double multiplier = 1;   // the schedule's multiplier then
  uint64_t sent = 0;       // customer messages sent in this second
  uint64_t acked = 0;      // ... acknowledged by the broker
  uint64_t received = 0;   // ... received by workers
  uint64_t arrivals = 0;   // sessions started
  uint64_t answered = 0;   // sessions accepted
  uint64_t busy = 0;       // Busy answers
  int64_t waiting = 0;     // sessions offered and not yet accepted, at the end of the second
  LatencySummary latency;  // send -> worker receive of the messages received in this second
};

struct BrokerFacts {
  bool started_by_bench = false;
  std::string endpoint;
  std::string version;  // from its ready line, when started by the bench
  std::string durability;
  double cpu_s = -1;  // broker CPU (user + system) in the measured window; -1 unknown
  double cpu_us_per_msg = -1;
  int64_t rss_peak_kb = -1;  // VmHWM at the end of the run; -1 unknown
};

struct HostFacts {
  std::string hostname;
  int cpus = 0;
  double load_avg_1m = -1;  // when the run started
  std::string started_at;   // UTC, ISO 8601
};

struct RunReport {
  HostFacts host;
  BrokerFacts broker;
  bool complete = false;  // ran to the end (did not fail); see `failure`
  std::string failure;

  double window_s = 0;               // measured window: warm-up end -> load end
  double throughput_msgs_per_s = 0;  // customer messages received by workers / window
  double offered_msgs_per_s = 0;     // ... sent by adapters / window
  double acked_msgs_per_s = 0;       // ... acknowledged by the broker / window

  // Whole run, after the drain.
  uint64_t sent = 0;
  uint64_t acked = 0;
  uint64_t received = 0;
  uint64_t duplicates = 0;  // deliveries a worker saw twice (after a reconnect)
  uint64_t lost = 0;        // sent, not answered Busy or refused, never received by a worker
  uint64_t replies_sent = 0;
  uint64_t replies_received = 0;
  uint64_t busy = 0;    // Busy answers to customer messages
  uint64_t errors = 0;  // other error answers (see notes)
  uint64_t stale_offers = 0;
  uint64_t over_capacity_offers = 0;  // offers to an agent already at its capacity
  uint64_t credit_waits = 0;          // sends refused because the window was full
  double credit_wait_s = 0;           // time adapters spent with a full window
  uint64_t reconnects = 0;

  LatencySummary latency;        // adapter send (intended) -> worker receive, measured window
  LatencySummary reply_latency;  // worker reply -> adapter receive (contact-centre)
  LatencySummary wait;           // arrival -> accept (contact-centre)
  std::optional<ContactCentreFigures> contact_centre;

  std::optional<double> baseline_msgs_per_s;
  double bench_cpu_s = -1;  // this process's CPU in the measured window

  std::vector<TimelinePoint> timeline;
  std::vector<std::string> notes;
};

// The --json document: one object with the required top-level fields, the full settings and
// everything above.
std::string ToJson(const Settings& s, const RunReport& r);

// The human summary printed at the end of a run.
std::string SummaryTable(const Settings& s, const RunReport& r);

// 1234567 -> "1,234,567".
std::string Thousands(uint64_t v);

}  // namespace switchboard::bench
