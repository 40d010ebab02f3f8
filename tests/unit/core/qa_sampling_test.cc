#include "core/qa_sampling.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::core {
namespace {

// The first ids the default rates (1%, 1%) pick, recorded when the hash was fixed.
const std::vector<SessionId> kExpectedFirstFive = {13, 147, 240, 350, 376};

// The sessions a rate picks among ids 1..n (ids are issued in this order by the broker).
std::vector<SessionId> Picked(uint64_t n, double sample, double recheck, QaPick want) {
  std::vector<SessionId> ids;
  for (SessionId id = 1; id <= n; ++id) {
    const QaPick pick = PickForQa(id, sample, recheck);
    if (pick == want || (want == QaPick::kSampled && pick == QaPick::kRecheck)) {
      ids.push_back(id);
    }
  }
  return ids;
}

// The choice depends on nothing but the id: these are the first ids that the default rates
// pick, as computed when the hash was fixed. A change here would move stored flags' meaning
// (a restarted broker would pick other sessions), so it must be deliberate.
TEST(QaSampling, SameIdsAreFlaggedOnEveryRun) {
  const std::vector<SessionId> first = Picked(2000, 0.01, 0.01, QaPick::kSampled);
  EXPECT_EQ(first, Picked(2000, 0.01, 0.01, QaPick::kSampled));
  ASSERT_GE(first.size(), 5u);
  EXPECT_EQ(std::vector<SessionId>(first.begin(), first.begin() + 5), kExpectedFirstFive);
}

TEST(QaSampling, RateHoldsOverAHundredThousandIds) {
  constexpr uint64_t kIds = 100'000;
  for (double rate : {0.01, 0.05, 0.5}) {
    const double expected = rate * kIds;
    const double got = static_cast<double>(Picked(kIds, rate, 0, QaPick::kSampled).size());
    // Binomial: the standard deviation is sqrt(n r (1 - r)) (31 for 1%); allow 5 of them.
    const double tolerance = 5 * std::sqrt(kIds * rate * (1 - rate));
    EXPECT_NEAR(got, expected, tolerance) << "rate " << rate;
  }
  EXPECT_TRUE(Picked(kIds, 0.0, 1.0, QaPick::kSampled).empty());
  EXPECT_EQ(Picked(kIds, 1.0, 0.0, QaPick::kSampled).size(), kIds);
}

// The re-check picks its share among the sampled sessions, independently of the sample.
TEST(QaSampling, RecheckIsAShareOfTheSampled) {
  constexpr uint64_t kIds = 2'000'000;
  const auto sampled = Picked(kIds, 0.01, 0.01, QaPick::kSampled);
  const auto rechecked = Picked(kIds, 0.01, 0.01, QaPick::kRecheck);
  const double n = static_cast<double>(sampled.size());
  EXPECT_NEAR(n, 20'000, 5 * std::sqrt(kIds * 0.01 * 0.99));
  EXPECT_NEAR(static_cast<double>(rechecked.size()), n * 0.01, 5 * std::sqrt(n * 0.01 * 0.99));
  // A higher re-check rate keeps every earlier pick (the draw is fixed per id).
  const auto more = Picked(kIds, 0.01, 0.1, QaPick::kRecheck);
  EXPECT_NEAR(static_cast<double>(more.size()), n * 0.1, 5 * std::sqrt(n * 0.1 * 0.9));
  for (SessionId id : rechecked) {
    EXPECT_EQ(PickForQa(id, 0.01, 0.1), QaPick::kRecheck) << id;
  }
  // Raising the sample rate keeps the sessions a lower one sampled.
  for (SessionId id : Picked(100'000, 0.01, 0, QaPick::kSampled)) {
    EXPECT_NE(PickForQa(id, 0.02, 0), QaPick::kNone) << id;
  }
}

TEST(QaSampling, DrawsAreInTheUnitInterval) {
  for (SessionId id : {SessionId{0}, SessionId{1}, UINT64_MAX}) {
    for (uint64_t seed : {uint64_t{0}, uint64_t{42}, UINT64_MAX}) {
      const double d = QaDraw(id, seed);
      EXPECT_GE(d, 0.0);
      EXPECT_LT(d, 1.0);
    }
  }
}

}  // namespace
}  // namespace switchboard::core
