// Staffing: the agents a queue needs hour by hour, by Erlang C (erlang_c.h), from the hourly
// arrivals (a forecast in a CSV file, or the broker's own counts), the mean handle time (AHT)
// and a service-level target such as "80% answered within 20 s". For each hour it also gives
// what Erlang C predicts with the recommended count: the service level, the average speed of
// answer (ASA) and the occupancy.
//
// The model's limits hold here too: arrivals are taken as Poisson within the hour, handle
// times as exponential, nobody abandons, and the agents are all available for the whole hour
// (no shrinkage for breaks, training or absence: add it on top).
//
// Pure functions on plain values: no I/O, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace switchboard::planning {

// Beyond this offered load (erlangs) a plan is refused: it is surely a mistake in the input
// (AHT in milliseconds, a daily figure given as hourly), and Erlang C's cost grows with it.
constexpr double kMaxOfferedLoad = 100000;

// One hour of demand.
struct HourDemand {
  std::string hour;     // a label: as written in the CSV file, or the hour's start (broker)
  std::string queue;    // empty when the input names none
  double arrivals = 0;  // contacts that entered the queue in the hour, >= 0 (may be a forecast)
  double aht_s = 0;     // mean handle time in seconds for this hour; 0: the target's aht_s

  bool operator==(const HourDemand&) const = default;
};

struct StaffingTarget {
  double aht_s = 0;            // mean handle time in seconds, for hours that give none; > 0
  double service_level = 0.8;  // the share to answer within threshold_s, in (0, 1)
  double threshold_s = 20;     // seconds, >= 0
  double period_s = 3600;      // the length of one row's period: an hour
};

struct StaffingRow {
  HourDemand demand;         // aht_s filled in from the target where the hour gave none
  double offered_load = 0;   // erlangs: arrivals per second * AHT
  int agents = 0;            // the fewest that reach the target (0 for an hour with no arrivals)
  double service_level = 1;  // predicted with `agents`
  double asa_s = 0;          // predicted mean wait, seconds
  double occupancy = 0;      // predicted share of agent time busy
  double p_wait = 0;         // predicted probability of waiting at all
};

// One row per hour, in the order given. Fails with kBadRequest naming the problem: a target
// out of range, an hour without a handle time (neither its own nor the target's), an hour
// whose offered load exceeds kMaxOfferedLoad.
Result<std::vector<StaffingRow>> PlanStaffing(const std::vector<HourDemand>& hours,
                                              const StaffingTarget& target);

// Reads hourly arrivals from CSV text. One record per line; fields separated by commas,
// spaces around them ignored, no quoting; blank lines and lines starting with '#' skipped.
// The first record may be a header naming the columns, among `hour`, `queue`, `arrivals` and
// `aht_s` in any order (`hour` and `arrivals` required). Without a header the columns are
// hour,arrivals or hour,arrivals,aht_s. `arrivals` is a number >= 0, `aht_s` a number > 0 or
// empty (use the target's). Fails with kBadRequest and a message starting with "line N: " for
// the first bad line (N counts from 1, comments and blank lines included), or saying the
// input has no data.
Result<std::vector<HourDemand>> ParseArrivalsCsv(std::string_view text);

}  // namespace switchboard::planning
