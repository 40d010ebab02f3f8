// RateSchedule and ArrivalClock: when the simulated customers send.
//
// A schedule multiplies a base rate over time with consecutive segments, each holding a
// multiplier or ramping it linearly; after the last segment its final multiplier holds. The
// text form is a comma-separated list of DURATION@MULT or DURATION@FROM..TO, durations in
// seconds (an "s" suffix is allowed):
//
//   "30s@1, 20s@1..10, 40s@10, 30s@10..1"   normal, ramp to 10x, plateau, decay, normal
//
// An empty text is a flat schedule (x1 for ever). ArrivalClock turns base rate x schedule
// into event times, exactly, by inverting the integral of the rate: evenly spaced events
// (the k-th at the time the integral reaches k) or a Poisson process (unit-rate exponential
// steps of the integral, i.e. a non-homogeneous Poisson process).
//
// Thread rules: plain values; an ArrivalClock belongs to one thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace switchboard::bench {

struct Segment {
  double duration_s = 0;  // > 0
  double from = 1;        // multiplier at the start, >= 0
  double to = 1;          // multiplier at the end (== from for a plateau), >= 0
};

class RateSchedule {
 public:
  RateSchedule() = default;  // flat: x1
  explicit RateSchedule(std::vector<Segment> segments) : segments_(std::move(segments)) {}

  // Parses the text form above. Fails with kBadRequest naming the bad segment.
  static Result<RateSchedule> Parse(std::string_view text);

  // The multiplier at time t (seconds from the start of the run; t < 0 counts as 0).
  double MultiplierAt(double t) const;
  // The integral of the multiplier from 0 to t ("multiplier-seconds").
  double Integral(double t) const;
  // The earliest t with Integral(t) >= area; +infinity if the integral never gets there
  // (the schedule ends at x0).
  double InverseIntegral(double area) const;
  // The largest multiplier reached in [0, until].
  double PeakMultiplier(double until) const;
  // True if the multiplier never changes from x1.
  bool flat() const;

  const std::vector<Segment>& segments() const { return segments_; }
  // The canonical text form ("" when there are no segments).
  std::string ToString() const;

 private:
  double FinalMultiplier() const { return segments_.empty() ? 1.0 : segments_.back().to; }

  std::vector<Segment> segments_;
};

class ArrivalClock {
 public:
  // `base_rate` events per second (> 0) times `schedule`; Poisson or evenly spaced.
  ArrivalClock(double base_rate, RateSchedule schedule, bool poisson, uint64_t seed);

  // Seconds from the start of the run of the next event; +infinity if none will come.
  double Next();
  uint64_t emitted() const { return emitted_; }

 private:
  double base_rate_;
  RateSchedule schedule_;
  bool poisson_;
  std::mt19937_64 rng_;
  double area_ = 0;  // integral of base_rate x multiplier up to the last event
  uint64_t emitted_ = 0;
};

}  // namespace switchboard::bench
