// Runner: drives the load of one bench run against a broker through the client library.
//
// Threads: one per adapter and one per worker, each owning its client object, plus the
// calling thread, which prints the live line once a second and takes the snapshots that
// bound the measured window (warm-up end -> load end). Workers connect first, then adapters;
// the load clock starts when every client is signed in. Customer messages carry their
// intended send time (payload.h), so latency is open-loop: a stalled broker shows up as
// latency, not as a lower send rate. After the load the runner waits (at most --drain) for
// every answer, then stops every thread.
//
// Raw mode: each adapter owns --sessions customers and sends to them round-robin, evenly
// spaced (or Poisson) at its share of --rate x schedule, or, with --rate 0, as many as its
// window allows. Workers accept every offer and acknowledge every delivery; nobody replies.
//
// Contact-centre mode: sessions arrive (Poisson by default) at --arrival-rate x schedule.
// A customer draws how many messages to send (geometric, mean --messages-per-session) and
// how long the agent will need (--handle-dist, mean --handle-time), sends its first message,
// and after each reply thinks (exponential, mean --think-time) and sends the next, as long
// as the agent's handle time has not nearly run out. Agents accept every offer, reply to
// every customer message at once, and close the session when its handle time has passed
// since they accepted. Waits are measured from arrival to accept.
//
// Thread rules: RunLoad blocks until the run is over and joins every thread it started.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "report.h"
#include "settings.h"

namespace switchboard::bench {

struct RunTarget {
  std::string endpoint;
  // For broker CPU and memory figures; -1 when unknown (--connect).
  std::function<double()> broker_cpu_s;
  std::function<int64_t()> broker_rss_peak_kb;
  // "" while the broker is fine; else why the run must stop.
  std::function<std::string()> broker_failed;
};

// Runs the load and fills the measured fields of `report` (not host, broker identity or
// baseline). On a failure (a client cannot connect, the broker dies) sets report.complete
// to false and report.failure, and still reports what was measured.
void RunLoad(const Settings& s, const RunTarget& target, RunReport& report);

}  // namespace switchboard::bench
