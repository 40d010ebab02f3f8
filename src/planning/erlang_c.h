// Erlang C: the M/M/c queue that contact-centre staffing is planned with. Contacts arrive at
// random (Poisson, rate lambda), each takes an exponentially distributed handle time (mean
// AHT) and waits in one FIFO queue for the first of c identical agents; nobody abandons.
// With A = lambda * AHT erlangs of offered load and A < c:
//
//   P(wait) = C(c, A), the probability that an arriving contact finds every agent busy;
//   SL(T)   = 1 - P(wait) * exp(-(c - A) * T / AHT), the share answered within T;
//   ASA     = P(wait) * AHT / (c - A), the mean wait (average speed of answer).
//
// With A >= c the queue grows without bound: P(wait) = 1, SL(T) = 0 and ASA is infinite.
// C comes from the Erlang B recursion, B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)), then
// C = c B / (c - A (1 - B)): no factorials or powers, so it stays exact for thousands of
// agents.
//
// Pure functions on plain values: no I/O, thread-safe. Units are the caller's, as long as
// the arrival rate, the handle time and T use the same time unit.
#pragma once

#include <optional>

namespace switchboard::planning {

struct ErlangCInput {
  double arrival_rate = 0;  // contacts per time unit (lambda), >= 0
  double handle_time = 0;   // mean handle time (AHT) in the same time unit, > 0
  int agents = 0;           // c, >= 0
};

struct ErlangCResult {
  double offered_load = 0;   // A = lambda * AHT, in erlangs
  double occupancy = 0;      // A / c: the share of agent time busy (capped at 1)
  double p_wait = 0;         // probability an arriving contact must wait
  double service_level = 0;  // share answered within the threshold given to Evaluate
  double asa = 0;            // mean wait, in the time unit; +infinity when A >= c
  bool stable = false;       // A < c: the queue has a steady state
};

// Erlang B: the blocking probability of c servers offered A erlangs with no queue. 1 for
// c == 0; requires A >= 0.
double ErlangB(double offered_load, int agents);

// Erlang C: the probability of waiting with c agents and A erlangs (1 when A >= c).
double ErlangC(double offered_load, int agents);

// Share of contacts answered within `threshold` (same time unit as the handle time).
double ServiceLevel(const ErlangCInput& in, double threshold);

// Mean wait; +infinity when the queue is unstable.
double AverageSpeedOfAnswer(const ErlangCInput& in);

// Everything above in one go, with the service level at `threshold`.
ErlangCResult Evaluate(const ErlangCInput& in, double threshold);

// The fewest agents (more than the offered load) for which SL(threshold) >= target_sl
// (0 < target_sl < 1). nullopt when the inputs are invalid (handle time <= 0, negative
// rate, target outside (0, 1)) or no count up to `max_agents` reaches the target.
std::optional<int> AgentsForServiceLevel(double arrival_rate, double handle_time, double threshold,
                                         double target_sl, int max_agents = 1000000);

}  // namespace switchboard::planning
