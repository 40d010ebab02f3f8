#include "planning/erlang_c.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace switchboard::planning {

double ErlangB(double offered_load, int agents) {
  double b = 1.0;
  for (int k = 1; k <= agents; ++k) {
    b = offered_load * b / (k + offered_load * b);
  }
  return b;
}

double ErlangC(double offered_load, int agents) {
  if (offered_load <= 0) {
    return 0.0;
  }
  if (agents <= 0 || offered_load >= agents) {
    return 1.0;
  }
  const double b = ErlangB(offered_load, agents);
  const double c = agents;
  return std::clamp(c * b / (c - offered_load * (1.0 - b)), 0.0, 1.0);
}

double ServiceLevel(const ErlangCInput& in, double threshold) {
  return Evaluate(in, threshold).service_level;
}

double AverageSpeedOfAnswer(const ErlangCInput& in) { return Evaluate(in, 0).asa; }

ErlangCResult Evaluate(const ErlangCInput& in, double threshold) {
  ErlangCResult r;
  if (in.handle_time <= 0 || in.arrival_rate < 0 || in.agents < 0) {
    r.p_wait = 1.0;
    r.asa = std::numeric_limits<double>::infinity();
    return r;
  }
  const double a = in.arrival_rate * in.handle_time;
  r.offered_load = a;
  r.occupancy = in.agents > 0 ? std::min(1.0, a / in.agents) : 1.0;
  r.stable = a < in.agents;
  r.p_wait = ErlangC(a, in.agents);
  if (!r.stable) {
    r.service_level = 0.0;
    r.asa = std::numeric_limits<double>::infinity();
    return r;
  }
  const double spare = in.agents - a;
  r.service_level = std::clamp(
      1.0 - r.p_wait * std::exp(-spare * std::max(threshold, 0.0) / in.handle_time), 0.0, 1.0);
  r.asa = r.p_wait * in.handle_time / spare;
  return r;
}

std::optional<int> AgentsForServiceLevel(double arrival_rate, double handle_time, double threshold,
                                         double target_sl, int max_agents) {
  if (handle_time <= 0 || arrival_rate < 0 || !(target_sl > 0 && target_sl < 1)) {
    return std::nullopt;
  }
  const double a = arrival_rate * handle_time;
  // The first count above the load; SL grows with c, so walk up from there.
  int c = std::max(1, static_cast<int>(std::floor(a)) + 1);
  for (; c <= max_agents; ++c) {
    if (Evaluate({arrival_rate, handle_time, c}, threshold).service_level >= target_sl) {
      return c;
    }
  }
  return std::nullopt;
}

}  // namespace switchboard::planning
