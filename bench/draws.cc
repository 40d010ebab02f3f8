#include "draws.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace switchboard::bench {

double UnitUniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

double UnitExponential(std::mt19937_64& rng) { return -std::log1p(-UnitUniform(rng)); }

double StandardNormal(std::mt19937_64& rng) {
  const double u1 = 1.0 - UnitUniform(rng);  // (0, 1]: log(u1) is finite
  const double u2 = UnitUniform(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double DrawHandleTime(std::mt19937_64& rng, double mean, bool lognormal, double sigma) {
  if (!lognormal) {
    return mean * UnitExponential(rng);
  }
  // E[exp(mu + sigma Z)] = exp(mu + sigma^2 / 2) = mean.
  const double mu = std::log(mean) - sigma * sigma / 2;
  return std::exp(mu + sigma * StandardNormal(rng));
}

double DrawPatience(std::mt19937_64& rng, double mean, bool lognormal, double sigma) {
  if (!(mean > 0)) {
    return std::numeric_limits<double>::infinity();
  }
  return DrawHandleTime(rng, mean, lognormal, sigma);
}

uint32_t DrawMessageCount(std::mt19937_64& rng, double mean) {
  if (mean <= 1.0) {
    return 1;
  }
  // Failures before the first success with p = 1 / mean have mean (1 - p) / p = mean - 1.
  const double p = 1.0 / mean;
  const double u = 1.0 - UnitUniform(rng);  // (0, 1]
  const double extra = std::floor(std::log(u) / std::log1p(-p));
  return 1 + static_cast<uint32_t>(std::min(extra, 1e6));
}

}  // namespace switchboard::bench
