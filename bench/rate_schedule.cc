#include "rate_schedule.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

#include "draws.h"

namespace switchboard::bench {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool ParseNumber(std::string_view s, double& out) {
  s = Trim(s);
  if (s.empty()) {
    return false;
  }
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

// Integral over the first `u` seconds of a segment ramping from a to b over d seconds.
double SegmentArea(const Segment& s, double u) {
  return s.from * u + (s.to - s.from) * u * u / (2 * s.duration_s);
}

std::string Number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

Result<RateSchedule> RateSchedule::Parse(std::string_view text) {
  std::vector<Segment> segments;
  text = Trim(text);
  if (text.empty()) {
    return RateSchedule();
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) {
      comma = text.size();
    }
    const std::string_view item = Trim(text.substr(start, comma - start));
    const auto bad = [&](const std::string& why) {
      return Status(Code::kBadRequest, "schedule segment '" + std::string(item) + "': " + why +
                                           " (expected SECONDS@MULT or SECONDS@FROM..TO, "
                                           "e.g. \"30s@1, 20s@1..10, 40s@10\")");
    };
    const size_t at = item.find('@');
    if (at == std::string_view::npos) {
      return bad("no '@'");
    }
    std::string_view duration = Trim(item.substr(0, at));
    if (!duration.empty() && duration.back() == 's') {
      duration.remove_suffix(1);
    }
    Segment s;
    if (!ParseNumber(duration, s.duration_s) || s.duration_s <= 0) {
      return bad("the duration must be a number of seconds above 0");
    }
    const std::string_view mult = item.substr(at + 1);
    const size_t dots = mult.find("..");
    if (dots == std::string_view::npos) {
      if (!ParseNumber(mult, s.from)) {
        return bad("the multiplier is not a number");
      }
      s.to = s.from;
    } else if (!ParseNumber(mult.substr(0, dots), s.from) ||
               !ParseNumber(mult.substr(dots + 2), s.to)) {
      return bad("a ramp's multipliers are not numbers");
    }
    if (s.from < 0 || s.to < 0) {
      return bad("multipliers must not be negative");
    }
    segments.push_back(s);
    start = comma + 1;
  }
  return RateSchedule(std::move(segments));
}

double RateSchedule::MultiplierAt(double t) const {
  t = std::max(t, 0.0);
  for (const Segment& s : segments_) {
    if (t < s.duration_s) {
      return s.from + (s.to - s.from) * t / s.duration_s;
    }
    t -= s.duration_s;
  }
  return FinalMultiplier();
}

double RateSchedule::Integral(double t) const {
  t = std::max(t, 0.0);
  double area = 0;
  for (const Segment& s : segments_) {
    if (t < s.duration_s) {
      return area + SegmentArea(s, t);
    }
    area += SegmentArea(s, s.duration_s);
    t -= s.duration_s;
  }
  return area + FinalMultiplier() * t;
}

double RateSchedule::InverseIntegral(double area) const {
  if (area <= 0) {
    return 0;
  }
  double t0 = 0;
  for (const Segment& s : segments_) {
    const double full = SegmentArea(s, s.duration_s);
    if (area <= full && full > 0) {
      // Solve from*u + k*u^2/2 = area for u in [0, d], k = (to - from) / d.
      const double k = (s.to - s.from) / s.duration_s;
      double u;
      if (std::abs(k) < 1e-15) {
        u = area / s.from;
      } else {
        // The root of the rising branch; written to avoid cancellation when k is small.
        const double disc = std::max(0.0, s.from * s.from + 2 * k * area);
        u = 2 * area / (s.from + std::sqrt(disc));
      }
      return t0 + std::clamp(u, 0.0, s.duration_s);
    }
    area -= full;
    t0 += s.duration_s;
  }
  const double final_mult = FinalMultiplier();
  if (final_mult <= 0) {
    return kInf;
  }
  return t0 + area / final_mult;
}

double RateSchedule::PeakMultiplier(double until) const {
  double peak = MultiplierAt(0);
  double t0 = 0;
  for (const Segment& s : segments_) {
    if (t0 > until) {
      return peak;
    }
    peak = std::max(peak, s.from);
    peak = std::max(peak, MultiplierAt(std::min(until, t0 + s.duration_s)));
    t0 += s.duration_s;
  }
  return t0 <= until ? std::max(peak, FinalMultiplier()) : peak;
}

bool RateSchedule::flat() const {
  return std::all_of(segments_.begin(), segments_.end(),
                     [](const Segment& s) { return s.from == 1 && s.to == 1; });
}

std::string RateSchedule::ToString() const {
  std::string out;
  for (const Segment& s : segments_) {
    if (!out.empty()) {
      out += ", ";
    }
    out += Number(s.duration_s) + "s@" + Number(s.from);
    if (s.to != s.from) {
      out += ".." + Number(s.to);
    }
  }
  return out;
}

ArrivalClock::ArrivalClock(double base_rate, RateSchedule schedule, bool poisson, uint64_t seed)
    : base_rate_(base_rate), schedule_(std::move(schedule)), poisson_(poisson), rng_(seed) {}

double ArrivalClock::Next() {
  if (base_rate_ <= 0) {
    return kInf;
  }
  // Events per second = base_rate x multiplier, so the event count up to t is
  // base_rate x Integral(t): step that count by 1 (even) or by Exp(1) (Poisson).
  area_ += poisson_ ? UnitExponential(rng_) : (emitted_ == 0 ? 0.0 : 1.0);
  ++emitted_;
  return schedule_.InverseIntegral(area_ / base_rate_);
}

}  // namespace switchboard::bench
