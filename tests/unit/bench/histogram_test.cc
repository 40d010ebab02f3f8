#include "histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::bench {
namespace {

constexpr int64_t kUs = 1000;
constexpr int64_t kS = 1000 * 1000 * 1000;

// The exact quantile the histogram approximates: the ceil(q * n)-th smallest value.
int64_t ExactQuantile(std::vector<int64_t> v, double q) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::max<size_t>(rank, 1) - 1];
}

TEST(Histogram, BucketsTileTheRangeWithoutGaps) {
  EXPECT_EQ(Histogram::BucketOf(0), 0u);
  EXPECT_EQ(Histogram::BucketLow(0), 0);
  for (size_t i = 1; i < Histogram::kBucketCount; ++i) {
    EXPECT_EQ(Histogram::BucketLow(i), Histogram::BucketHigh(i - 1) + 1) << i;
  }
  EXPECT_EQ(Histogram::BucketHigh(Histogram::kBucketCount - 1),
            (int64_t{1} << Histogram::kMaxExponent) - 1);
}

TEST(Histogram, EveryValueLandsInABucketThatHoldsIt) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const int64_t v = static_cast<int64_t>(rng() % (200 * static_cast<uint64_t>(kS)));
    const size_t b = Histogram::BucketOf(v);
    if (v < (int64_t{1} << Histogram::kMaxExponent)) {
      EXPECT_LE(Histogram::BucketLow(b), v);
      EXPECT_GE(Histogram::BucketHigh(b), v);
    } else {
      EXPECT_EQ(b, Histogram::kBucketCount - 1);
    }
  }
}

TEST(Histogram, BucketsAreWithinOnePercentFromOneMicrosecondToOneHundredSeconds) {
  for (int64_t v = kUs; v <= 100 * kS; v = v * 101 / 100 + 1) {
    const size_t b = Histogram::BucketOf(v);
    const double width = static_cast<double>(Histogram::BucketHigh(b) - Histogram::BucketLow(b));
    EXPECT_LE(width / static_cast<double>(v), 1.0 / 128) << v;
  }
  // Small values are exact.
  for (int64_t v = 0; v < 256; ++v) {
    EXPECT_EQ(Histogram::BucketLow(Histogram::BucketOf(v)), v);
    EXPECT_EQ(Histogram::BucketHigh(Histogram::BucketOf(v)), v);
  }
}

TEST(Histogram, PercentilesOfUniformDataAreWithinOnePercent) {
  Histogram h;
  std::vector<int64_t> values;
  for (int64_t us = 1; us <= 100000; ++us) {  // 1 us .. 100 ms
    h.Record(us * kUs);
    values.push_back(us * kUs);
  }
  EXPECT_EQ(h.count(), 100000u);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const int64_t exact = ExactQuantile(values, q);
    const int64_t got = h.ValueAtQuantile(q);
    EXPECT_GE(got, exact) << q;  // never below the truth
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * 1.01) << q;
  }
  // The median is 50 ms; the histogram answers the top of the bucket holding it.
  EXPECT_EQ(h.ValueAtQuantile(0.5), Histogram::BucketHigh(Histogram::BucketOf(50000 * kUs)));
  EXPECT_EQ(h.min(), kUs);
  EXPECT_EQ(h.max(), 100000 * kUs);
  EXPECT_EQ(h.ValueAtQuantile(1.0), 100000 * kUs);
  EXPECT_EQ(h.ValueAtQuantile(0.0), kUs);
  EXPECT_NEAR(h.mean(), 50000.5 * kUs, 1);
}

TEST(Histogram, PercentilesOfALongTailedSampleAreWithinOnePercent) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(std::log(200e3), 1.5);  // median 200 us
  Histogram h;
  std::vector<int64_t> values;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<int64_t>(dist(rng));
    h.Record(v);
    values.push_back(v);
  }
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const int64_t exact = ExactQuantile(values, q);
    const int64_t got = h.ValueAtQuantile(q);
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * 1.01) << q;
  }
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
}

TEST(Histogram, KnownSmallSample) {
  Histogram h;
  // 90 fast, 9 slow, 1 stall: the classic coordinated-omission picture.
  h.Record(100 * kUs, 90);
  h.Record(2000 * kUs, 9);
  h.Record(3 * kS);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_NEAR(static_cast<double>(h.ValueAtQuantile(0.5)), 100e3, 100e3 / 128);
  EXPECT_NEAR(static_cast<double>(h.ValueAtQuantile(0.9)), 100e3, 100e3 / 128);
  EXPECT_NEAR(static_cast<double>(h.ValueAtQuantile(0.99)), 2000e3, 2000e3 / 128);
  EXPECT_EQ(h.ValueAtQuantile(0.999), 3 * kS);
  EXPECT_EQ(h.max(), 3 * kS);
}

TEST(Histogram, EmptyNegativeAndOverflow) {
  Histogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.ValueAtQuantile(0.99), 0);
  EXPECT_EQ(h.max(), 0);
  h.Record(-5);
  EXPECT_EQ(h.min(), 0);
  h.Record(1000 * kS);  // 1,000 s: beyond the range
  EXPECT_EQ(h.overflow(), 1u);
  EXPECT_EQ(h.max(), 1000 * kS);
  EXPECT_EQ(h.ValueAtQuantile(1.0), 1000 * kS);
  h.Reset();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.overflow(), 0u);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  Histogram a;
  Histogram b;
  Histogram all;
  for (int64_t v = 1; v < 5000; v += 3) {
    a.Record(v * 997);
    all.Record(v * 997);
  }
  for (int64_t v = 1; v < 800; v += 7) {
    b.Record(v * 100003);
    all.Record(v * 100003);
  }
  Histogram merged = a;
  merged.Merge(b);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  for (double q : {0.1, 0.5, 0.9, 0.99, 0.999}) {
    EXPECT_EQ(merged.ValueAtQuantile(q), all.ValueAtQuantile(q)) << q;
  }
  Histogram empty;
  merged.Merge(empty);
  EXPECT_EQ(merged.count(), all.count());
}

}  // namespace
}  // namespace switchboard::bench
