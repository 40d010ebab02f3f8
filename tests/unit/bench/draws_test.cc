#include "draws.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace switchboard::bench {
namespace {

double MeanOf(int n, const auto& draw) {
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    sum += draw();
  }
  return sum / n;
}

TEST(DrawPatience, ZeroMeanIsInfinitePatience) {
  std::mt19937_64 rng(1);
  EXPECT_TRUE(std::isinf(DrawPatience(rng, 0, false, 1)));
  EXPECT_TRUE(std::isinf(DrawPatience(rng, -1, true, 1)));
}

TEST(DrawPatience, ExponentialHasTheMean) {
  std::mt19937_64 rng(7);
  constexpr int kN = 200000;
  // Standard error of the mean: 30 / sqrt(200,000) = 0.067; allow 5 of them.
  EXPECT_NEAR(MeanOf(kN, [&] { return DrawPatience(rng, 30, false, 1); }), 30, 0.35);
  // About 1 - 1/e of exponential draws are below the mean.
  int below = 0;
  for (int i = 0; i < kN; ++i) {
    below += DrawPatience(rng, 30, false, 1) < 30 ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(below) / kN, 1 - std::exp(-1.0), 0.005);
}

TEST(DrawPatience, LogNormalHasTheMeanAndItsMedian) {
  std::mt19937_64 rng(11);
  constexpr int kN = 200000;
  constexpr double kSigma = 0.5;
  // sd of a log-normal draw: mean * sqrt(exp(sigma^2) - 1) = 0.533 * 30 = 16; SE 0.036.
  EXPECT_NEAR(MeanOf(kN, [&] { return DrawPatience(rng, 30, true, kSigma); }), 30, 0.2);
  // The median is exp(mu) = mean * exp(-sigma^2 / 2).
  const double median = 30 * std::exp(-kSigma * kSigma / 2);
  int below = 0;
  for (int i = 0; i < kN; ++i) {
    const double d = DrawPatience(rng, 30, true, kSigma);
    EXPECT_GT(d, 0);
    below += d < median ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(below) / kN, 0.5, 0.005);
}

TEST(DrawPatience, TheSameSeedGivesTheSameDraws) {
  std::mt19937_64 a(42);
  std::mt19937_64 b(42);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(DrawPatience(a, 5, i % 2 == 0, 1), DrawPatience(b, 5, i % 2 == 0, 1));
  }
}

}  // namespace
}  // namespace switchboard::bench
