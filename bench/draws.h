// Random draws of the simulation, written out (not std::*_distribution) so that a seed gives
// the same run with any standard library: uniform, exponential, log-normal handle times and
// geometric conversation lengths, exponential or log-normal patience.
//
// Thread rules: plain functions; each thread draws from its own generator.
#pragma once

#include <cstdint>
#include <random>

namespace switchboard::bench {

// A uniform double in [0, 1), from the top 53 bits of one draw.
double UnitUniform(std::mt19937_64& rng);
// Exponential with mean 1.
double UnitExponential(std::mt19937_64& rng);
// Standard normal (Box-Muller, one of the pair).
double StandardNormal(std::mt19937_64& rng);

// A handle time with the given mean: exponential, or log-normal with shape `sigma` (the
// sigma of the underlying normal; mu is chosen so that the mean stays `mean`).
double DrawHandleTime(std::mt19937_64& rng, double mean, bool lognormal, double sigma);

// A customer's patience (how long it waits for an agent before leaving) with the given mean,
// drawn like a handle time. A mean of 0 or less: infinite (the customer never leaves).
double DrawPatience(std::mt19937_64& rng, double mean, bool lognormal, double sigma);

// Messages in a conversation: 1 + geometric, so that the mean is `mean` (>= 1).
uint32_t DrawMessageCount(std::mt19937_64& rng, double mean);

}  // namespace switchboard::bench
