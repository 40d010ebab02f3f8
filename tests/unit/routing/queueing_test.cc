// The queueing check: one queue of c identical agents, Poisson arrivals, exponential handle
// times, nobody abandoning, one contact per agent, first come first served. That is the M/M/c
// queue, so the engine driven by the simulation must reproduce Erlang C's service level and
// mean wait (planning/erlang_c.h).
//
// Tolerance. A simulated mean is a random estimate; at high occupancy its samples are
// strongly correlated (a busy period lasts long), so the spread is estimated by batch means:
// the answers after a warm-up are cut into kBatches consecutive batches, whose means are
// nearly independent when each batch spans many busy periods. The prediction must lie within
// 4 standard errors of the simulated mean (a false alarm about 1 in 16,000 if the batch means
// are normal), plus a small absolute margin (0.01 of service level, 2% of the mean wait) for
// the remaining warm-up bias. The runs are long enough that the band is narrow (the test
// requires 4 standard errors under 0.06 of service level and under 30% of the predicted mean
// wait): a routing error that wastes capacity shows far outside it. For example, one agent
// fewer at 85% (9 instead of 10) raises the mean wait from 35 s to about 160 s, and at 95%
// makes the queue grow without bound.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "planning/erlang_c.h"
#include "sim/simulation.h"

namespace switchboard::sim {
namespace {

using namespace core::routing;  // NOLINT

constexpr int kBatches = 20;

struct Estimate {
  double mean = 0;
  double stderr_ = 0;
};

// Batch-means estimate of the mean of f(wait) over the answers after the warm-up.
template <typename F>
Estimate BatchMeans(const std::vector<double>& waits, size_t skip, F f) {
  const size_t n = (waits.size() - skip) / kBatches;
  std::vector<double> means;
  for (int b = 0; b < kBatches; ++b) {
    double sum = 0;
    for (size_t i = skip + b * n; i < skip + (b + 1) * n; ++i) {
      sum += f(waits[i]);
    }
    means.push_back(sum / static_cast<double>(n));
  }
  const double mean = std::accumulate(means.begin(), means.end(), 0.0) / kBatches;
  double var = 0;
  for (double m : means) {
    var += (m - mean) * (m - mean);
  }
  var /= kBatches - 1;
  return Estimate{mean, std::sqrt(var / kBatches)};
}

void CheckLoad(double occupancy, int agents, uint64_t contacts, uint64_t seed) {
  SCOPED_TRACE("occupancy " + std::to_string(occupancy));
  const double aht = 100;       // seconds
  const double threshold = 20;  // seconds: the service-level threshold T
  const double rate = occupancy * agents / aht;

  SimConfig s;
  s.seed = seed;
  s.routing = RoutingConfig::Default();
  s.routing.reconcile_interval = 3600 * kSeconds;
  s.routing.queues[0].offer_timeout = 3600 * kSeconds;
  s.agents = agents;
  s.make_contact = [](core::SessionId id, std::mt19937_64&) {
    ContactInfo c;
    c.id = id;
    c.tenant = "t";
    c.channel = core::Channel::kPhone;  // a call takes an agent's whole budget
    c.customer_id = "c" + std::to_string(id);
    return c;
  };
  s.arrivals_per_second = rate;
  s.duration = static_cast<Micros>(static_cast<double>(contacts) / rate) * kSeconds;
  s.mean_handle = static_cast<Micros>(aht * kSeconds);
  s.check = false;  // invariants are checked by the other simulations; this one measures
  const SimStats st = Simulation(s).Run();
  ASSERT_TRUE(st.violations.empty()) << st.violations.front();
  ASSERT_TRUE(st.drained);
  ASSERT_GT(st.answer_waits.size(), contacts * 9 / 10);

  const planning::ErlangCResult predicted =
      planning::Evaluate(planning::ErlangCInput{rate, aht, agents}, threshold);
  const size_t skip = st.answer_waits.size() / 20;  // warm-up: the first 5%
  const Estimate sl =
      BatchMeans(st.answer_waits, skip, [&](double w) { return w <= threshold ? 1.0 : 0.0; });
  const Estimate asa = BatchMeans(st.answer_waits, skip, [](double w) { return w; });

  EXPECT_NEAR(sl.mean, predicted.service_level, 4 * sl.stderr_ + 0.01)
      << "standard error " << sl.stderr_;
  EXPECT_NEAR(asa.mean, predicted.asa, 4 * asa.stderr_ + 0.02 * predicted.asa)
      << "standard error " << asa.stderr_;
  // The band is tight enough to mean something.
  EXPECT_LT(4 * sl.stderr_, 0.06);
  EXPECT_LT(4 * asa.stderr_, 0.30 * predicted.asa);
  std::printf("occupancy %.2f: SL(%gs) sim %.4f +- %.4f, Erlang C %.4f; ASA sim %.2fs +- %.2f, "
              "Erlang C %.2fs (%zu answers)\n",
              occupancy, threshold, sl.mean, sl.stderr_, predicted.service_level, asa.mean,
              asa.stderr_, predicted.asa, st.answer_waits.size());
}

TEST(RoutingQueueing, MatchesErlangCAt70PercentOccupancy) { CheckLoad(0.70, 10, 200000, 1); }
TEST(RoutingQueueing, MatchesErlangCAt85PercentOccupancy) { CheckLoad(0.85, 10, 300000, 2); }
TEST(RoutingQueueing, MatchesErlangCAt95PercentOccupancy) { CheckLoad(0.95, 20, 1000000, 3); }

}  // namespace
}  // namespace switchboard::sim
