#include "rate_schedule.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "draws.h"

namespace switchboard::bench {
namespace {

// The launch-day surge of bench/scenarios/launch_day_surge.toml, in small: 30 s normal, a
// 20 s ramp to 10x, 40 s at 10x, a 30 s decay, then normal again.
constexpr const char* kSurge = "30s@1, 20s@1..10, 40s@10, 30s@10..1";

RateSchedule Surge() {
  auto s = RateSchedule::Parse(kSurge);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return *s;
}

TEST(RateSchedule, ParsesSegmentsAndPrintsThemBack) {
  const RateSchedule s = Surge();
  ASSERT_EQ(s.segments().size(), 4u);
  EXPECT_DOUBLE_EQ(s.segments()[1].duration_s, 20);
  EXPECT_DOUBLE_EQ(s.segments()[1].from, 1);
  EXPECT_DOUBLE_EQ(s.segments()[1].to, 10);
  EXPECT_EQ(s.ToString(), "30s@1, 20s@1..10, 40s@10, 30s@10..1");
  EXPECT_FALSE(s.flat());
  auto again = RateSchedule::Parse(s.ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToString(), s.ToString());
  // Without the "s" and with odd spacing.
  auto plain = RateSchedule::Parse("  5@2,5 @ 0.5..1.5 ");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->ToString(), "5s@2, 5s@0.5..1.5");
}

TEST(RateSchedule, EmptyTextIsFlat) {
  auto s = RateSchedule::Parse("");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->flat());
  EXPECT_DOUBLE_EQ(s->MultiplierAt(123), 1);
  EXPECT_DOUBLE_EQ(s->Integral(7.5), 7.5);
  EXPECT_DOUBLE_EQ(s->InverseIntegral(7.5), 7.5);
  EXPECT_EQ(s->ToString(), "");
}

TEST(RateSchedule, RejectsMalformedSegments) {
  for (const char* bad :
       {"30s", "x@1", "0s@1", "-5@1", "10@", "10@a..b", "10@-1", "10@1..-2", "10@1,,", "10s@1 2"}) {
    auto s = RateSchedule::Parse(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) {
      EXPECT_EQ(s.status().code(), Code::kBadRequest);
      EXPECT_NE(s.status().message().find("SECONDS@MULT"), std::string::npos);
    }
  }
}

TEST(RateSchedule, MultiplierFollowsRampPlateauAndDecay) {
  const RateSchedule s = Surge();
  EXPECT_DOUBLE_EQ(s.MultiplierAt(-1), 1);
  EXPECT_DOUBLE_EQ(s.MultiplierAt(0), 1);
  EXPECT_DOUBLE_EQ(s.MultiplierAt(29.9), 1);
  EXPECT_DOUBLE_EQ(s.MultiplierAt(40), 5.5);  // half-way up the ramp
  EXPECT_DOUBLE_EQ(s.MultiplierAt(50), 10);
  EXPECT_DOUBLE_EQ(s.MultiplierAt(89), 10);
  EXPECT_DOUBLE_EQ(s.MultiplierAt(105), 5.5);  // half-way down
  EXPECT_DOUBLE_EQ(s.MultiplierAt(120), 1);    // after the end: the last multiplier holds
  EXPECT_DOUBLE_EQ(s.MultiplierAt(1e6), 1);
  EXPECT_DOUBLE_EQ(s.PeakMultiplier(35), 3.25);
  EXPECT_DOUBLE_EQ(s.PeakMultiplier(1000), 10);
  EXPECT_DOUBLE_EQ(s.PeakMultiplier(10), 1);
}

TEST(RateSchedule, IntegralIsTheAreaUnderTheMultiplier) {
  const RateSchedule s = Surge();
  EXPECT_DOUBLE_EQ(s.Integral(30), 30);
  EXPECT_DOUBLE_EQ(s.Integral(50), 30 + 20 * 5.5);  // the ramp's mean is 5.5
  EXPECT_DOUBLE_EQ(s.Integral(90), 140 + 400);
  EXPECT_DOUBLE_EQ(s.Integral(120), 540 + 30 * 5.5);
  EXPECT_DOUBLE_EQ(s.Integral(130), 705 + 10);
  EXPECT_DOUBLE_EQ(s.Integral(40), 30 + 10 * (1 + 5.5) / 2);
}

TEST(RateSchedule, InverseIntegralUndoesIntegral) {
  const RateSchedule s = Surge();
  for (double t = 0; t < 200; t += 0.37) {
    EXPECT_NEAR(s.InverseIntegral(s.Integral(t)), t, 1e-9) << t;
  }
  auto down = RateSchedule::Parse("10@4..0, 5@0, 10@0..2");
  ASSERT_TRUE(down.ok());
  // The integral stands still through the pause: its inverse lands at the pause's start.
  EXPECT_NEAR(down->InverseIntegral(20), 10, 1e-9);
  // Just past it, the ramp from 0 gives u = sqrt(2 a / k) with k = 0.2 per second.
  EXPECT_NEAR(down->InverseIntegral(20 + 1e-9), 15 + std::sqrt(2 * 1e-9 / 0.2), 1e-6);
  for (double t : {0.5, 3.0, 9.0, 16.0, 24.0, 40.0}) {
    EXPECT_NEAR(down->InverseIntegral(down->Integral(t)), t, 1e-9) << t;
  }
}

TEST(RateSchedule, EndingAtZeroMeansNoMoreEvents) {
  auto s = RateSchedule::Parse("10@1, 10@1..0");
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->Integral(1000), 15);
  EXPECT_EQ(s->InverseIntegral(15.5), std::numeric_limits<double>::infinity());
  ArrivalClock clock(10, *s, /*poisson=*/false, 1);
  int n = 0;
  while (std::isfinite(clock.Next())) {
    ++n;
  }
  EXPECT_EQ(n, 151);  // events at integral 0, 0.1, ..., 15.0
}

TEST(ArrivalClock, EvenSpacingAtAFlatRate) {
  ArrivalClock clock(1000, RateSchedule(), /*poisson=*/false, 1);
  EXPECT_DOUBLE_EQ(clock.Next(), 0);
  EXPECT_DOUBLE_EQ(clock.Next(), 0.001);
  EXPECT_DOUBLE_EQ(clock.Next(), 0.002);
  for (int i = 3; i < 10000; ++i) {
    clock.Next();
  }
  EXPECT_NEAR(clock.Next(), 10.0, 1e-9);
  EXPECT_EQ(clock.emitted(), 10001u);
}

TEST(ArrivalClock, EvenSpacingFollowsTheSurgeExactly) {
  const RateSchedule s = Surge();
  ArrivalClock clock(10, s, /*poisson=*/false, 1);
  int normal = 0;
  int ramp = 0;
  int plateau = 0;
  int decay = 0;
  for (double t = clock.Next(); t < 120; t = clock.Next()) {
    (t < 30 ? normal : t < 50 ? ramp : t < 90 ? plateau : decay)++;
  }
  // Exact but for rounding at the segment edges.
  EXPECT_NEAR(normal, 300, 1);
  EXPECT_NEAR(ramp, 1100, 1);  // 10/s x 20 s x mean multiplier 5.5
  EXPECT_NEAR(plateau, 4000, 1);
  EXPECT_NEAR(decay, 1650, 1);
  EXPECT_NEAR(normal + ramp + plateau + decay, 7050, 1);
}

TEST(ArrivalClock, PoissonCountsMatchTheRateAndTheSeedRepeatsTheRun) {
  const RateSchedule s = Surge();
  ArrivalClock a(10, s, /*poisson=*/true, 99);
  ArrivalClock b(10, s, /*poisson=*/true, 99);
  int plateau = 0;
  int normal = 0;
  double previous = 0;
  for (double t = a.Next(); t < 90; t = a.Next()) {
    EXPECT_GE(t, previous);
    previous = t;
    EXPECT_DOUBLE_EQ(t, b.Next());
    if (t < 30) {
      ++normal;
    } else if (t >= 50) {
      ++plateau;
    }
  }
  // Poisson: mean 300 and 4,000, standard deviation 17 and 63; allow 5 of them.
  EXPECT_NEAR(normal, 300, 5 * 17.3);
  EXPECT_NEAR(plateau, 4000, 5 * 63.3);
  ArrivalClock other(10, s, /*poisson=*/true, 100);
  EXPECT_NE(ArrivalClock(10, s, true, 99).Next(), other.Next());
}

TEST(ArrivalClock, PoissonGapsAreExponential) {
  ArrivalClock clock(100, RateSchedule(), /*poisson=*/true, 5);
  double previous = 0;
  double sum = 0;
  double sum_sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double t = clock.Next();
    const double gap = t - previous;
    previous = t;
    sum += gap;
    sum_sq += gap * gap;
  }
  const double mean = sum / n;
  const double variance = sum_sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.01, 0.01 * 0.01);      // 1 / rate
  EXPECT_NEAR(variance, 1e-4, 1e-4 * 0.03);  // exponential: variance = mean^2
}

TEST(ArrivalClock, ZeroRateNeverFires) {
  ArrivalClock clock(0, RateSchedule(), true, 1);
  EXPECT_EQ(clock.Next(), std::numeric_limits<double>::infinity());
}

TEST(Draws, HandleTimesHaveTheConfiguredMean) {
  std::mt19937_64 rng(3);
  const int n = 400000;
  double exp_sum = 0;
  double log_sum = 0;
  double log_median_count = 0;
  for (int i = 0; i < n; ++i) {
    exp_sum += DrawHandleTime(rng, 180, /*lognormal=*/false, 0);
    const double v = DrawHandleTime(rng, 180, /*lognormal=*/true, 0.8);
    log_sum += v;
    // Log-normal median = exp(mu) = mean * exp(-sigma^2 / 2).
    log_median_count += v < 180 * std::exp(-0.32) ? 1 : 0;
  }
  EXPECT_NEAR(exp_sum / n, 180, 180 * 0.01);
  EXPECT_NEAR(log_sum / n, 180, 180 * 0.01);
  EXPECT_NEAR(log_median_count / n, 0.5, 0.005);
}

TEST(Draws, MessageCountsAreGeometricWithTheConfiguredMean) {
  std::mt19937_64 rng(11);
  const int n = 200000;
  double sum = 0;
  int ones = 0;
  for (int i = 0; i < n; ++i) {
    const uint32_t m = DrawMessageCount(rng, 4);
    ASSERT_GE(m, 1u);
    sum += m;
    ones += m == 1 ? 1 : 0;
  }
  EXPECT_NEAR(sum / n, 4, 0.05);
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.25, 0.005);  // P(M = 1) = 1 / mean
  EXPECT_EQ(DrawMessageCount(rng, 1), 1u);
}

TEST(Draws, UniformStaysInRange) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    const double u = UnitUniform(rng);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace switchboard::bench
