#include "planning/erlang_c.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace switchboard::planning {
namespace {

// Erlang C straight from its textbook definition, for small c:
//   C = (A^c / c! * c / (c - A)) / (sum_{k<c} A^k / k! + A^c / c! * c / (c - A)).
// An independent formula to cross-check the Erlang B recursion the library uses.
double DirectErlangC(double a, int c) {
  double term = 1.0;  // A^k / k!
  double sum = 0.0;
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const double top = term * c / (c - a);
  return top / (sum + top);
}

// The worked example of Call Centre Helper's "Erlang C Formula - Made Simple With an Easy
// Worked Example" (callcentrehelper.com): 100 calls in 30 minutes, AHT 180 s, target answer
// time 20 s. A = 100 * 180 / 1800 = 10 erlangs. The article quotes, for 11 agents,
// P(wait) = 68.21 %, service level 39.0 % and ASA 122.8 s, and finds 14 agents for 80/20.
// Every figure below was recomputed for this test in exact rational arithmetic (Python's
// fractions over the direct factorial sum): P(wait) at 11 agents = 0.682118204689332.
// (Note: 10 agents for this load is not a valid example: A = c = 10 has no steady state.)
constexpr double kRate = 100.0 / 1800.0;  // calls per second
constexpr double kAht = 180.0;
constexpr double kThreshold = 20.0;

TEST(ErlangC, CallCentreHelperWorkedExampleWithElevenAgents) {
  const ErlangCResult r = Evaluate({kRate, kAht, 11}, kThreshold);
  EXPECT_TRUE(r.stable);
  EXPECT_NEAR(r.offered_load, 10.0, 1e-12);
  EXPECT_NEAR(r.occupancy, 10.0 / 11.0, 1e-12);
  EXPECT_NEAR(r.p_wait, 0.682118204689332, 1e-12);  // article: 68.21 %
  EXPECT_NEAR(r.service_level, 0.3896, 5e-5);       // article: 39.0 %
  EXPECT_NEAR(r.asa, 122.78, 0.01);                 // article: 122.8 s
}

TEST(ErlangC, CallCentreHelperNeedsFourteenAgentsForEightyTwenty) {
  EXPECT_NEAR(ServiceLevel({kRate, kAht, 13}, kThreshold), 0.7956, 5e-5);
  EXPECT_NEAR(ServiceLevel({kRate, kAht, 14}, kThreshold), 0.8884, 5e-5);
  EXPECT_EQ(AgentsForServiceLevel(kRate, kAht, kThreshold, 0.80), 14);
  EXPECT_NEAR(AverageSpeedOfAnswer({kRate, kAht, 14}), 7.836, 0.001);
}

// A textbook exercise (120 customers an hour, 3 minutes each, 10 assistants: A = 6 erlangs)
// whose answer read off the Erlang C curve is "about 0.10"; exactly 0.1012992426874175.
TEST(ErlangC, SixErlangsOnTenAgents) { EXPECT_NEAR(ErlangC(6.0, 10), 0.1012992426874175, 1e-13); }

TEST(ErlangC, RecursionMatchesTheFactorialSumForSmallTeams) {
  for (int c = 1; c <= 40; ++c) {
    for (double load : {0.1 * c, 0.5 * c, 0.9 * c, 0.99 * c}) {
      EXPECT_NEAR(ErlangC(load, c), DirectErlangC(load, c), 1e-12) << "c=" << c << " A=" << load;
    }
  }
}

// 1,000 agents: the factorials overflow a double long before; the recursion does not. The
// reference value was computed exactly with rational arithmetic.
TEST(ErlangC, StaysExactForLargeTeams) {
  EXPECT_NEAR(ErlangC(950.0, 1000), 0.06825341537714143, 1e-12);
  const double p = ErlangC(9500.0, 10000);
  EXPECT_GT(p, 0.0);
  EXPECT_LT(p, 1e-6);
  EXPECT_TRUE(std::isfinite(AverageSpeedOfAnswer({95.0, 100.0, 10000})));
}

TEST(ErlangC, ErlangBMatchesKnownValues) {
  EXPECT_DOUBLE_EQ(ErlangB(5.0, 0), 1.0);
  EXPECT_DOUBLE_EQ(ErlangB(1.0, 1), 0.5);          // A / (1 + A)
  EXPECT_NEAR(ErlangB(2.0, 2), 2.0 / 5.0, 1e-15);  // (A^2/2) / (1 + A + A^2/2)
}

TEST(ErlangC, OverloadedQueueHasNoSteadyState) {
  const ErlangCResult r = Evaluate({kRate, kAht, 10}, kThreshold);  // A = c = 10
  EXPECT_FALSE(r.stable);
  EXPECT_DOUBLE_EQ(r.p_wait, 1.0);
  EXPECT_DOUBLE_EQ(r.service_level, 0.0);
  EXPECT_EQ(r.asa, std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(Evaluate({kRate, kAht, 5}, kThreshold).occupancy, 1.0);
}

TEST(ErlangC, NoTrafficNeverWaits) {
  const ErlangCResult r = Evaluate({0.0, kAht, 3}, kThreshold);
  EXPECT_TRUE(r.stable);
  EXPECT_DOUBLE_EQ(r.p_wait, 0.0);
  EXPECT_DOUBLE_EQ(r.service_level, 1.0);
  EXPECT_DOUBLE_EQ(r.asa, 0.0);
}

TEST(ErlangC, ServiceLevelGrowsWithThresholdAndAgents) {
  double previous = 0;
  for (double t : {0.0, 5.0, 20.0, 60.0, 600.0}) {
    const double sl = ServiceLevel({kRate, kAht, 12}, t);
    EXPECT_GE(sl, previous);
    previous = sl;
  }
  // At T = 0 the service level is the share that does not wait at all.
  EXPECT_NEAR(ServiceLevel({kRate, kAht, 12}, 0), 1.0 - ErlangC(10.0, 12), 1e-15);
  previous = 0;
  for (int c = 11; c < 30; ++c) {
    const double sl = ServiceLevel({kRate, kAht, c}, kThreshold);
    EXPECT_GT(sl, previous);
    previous = sl;
  }
}

TEST(ErlangC, AgentsForServiceLevelRejectsBadInput) {
  EXPECT_FALSE(AgentsForServiceLevel(kRate, 0.0, kThreshold, 0.8).has_value());
  EXPECT_FALSE(AgentsForServiceLevel(-1.0, kAht, kThreshold, 0.8).has_value());
  EXPECT_FALSE(AgentsForServiceLevel(kRate, kAht, kThreshold, 1.0).has_value());
  EXPECT_FALSE(AgentsForServiceLevel(kRate, kAht, kThreshold, 0.0).has_value());
  EXPECT_FALSE(AgentsForServiceLevel(kRate, kAht, kThreshold, 0.999999, 12).has_value());
  EXPECT_EQ(AgentsForServiceLevel(0.0, kAht, kThreshold, 0.8), 1);
}

}  // namespace
}  // namespace switchboard::planning
