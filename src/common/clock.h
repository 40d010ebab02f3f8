// Time for the core: a Clock interface so tests and simulations run in virtual time.
//
// TimePoint is microseconds since the Unix epoch (wall clock), the unit stored in
// transcripts and sent on the wire. Durations inside the core are microseconds too.
#pragma once

#include <cstdint>

namespace switchboard {

using TimePoint = int64_t;  // microseconds since the Unix epoch
using Micros = int64_t;

constexpr Micros kMillis = 1000;
constexpr Micros kSeconds = 1000 * 1000;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// The system's wall clock.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

// A clock that moves only when told to; for tests and simulation. Not thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = 1'700'000'000'000'000) : now_(start) {}
  TimePoint Now() const override { return now_; }
  void Advance(Micros by) { now_ += by; }
  void Set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

}  // namespace switchboard
