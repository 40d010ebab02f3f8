// Quality-inspection sampling: which closed sessions QA inspects, and which of those are
// inspected a second time (re-check). The choice is a hash of the session id, so it is the
// same on every run, after restarts and on every broker build: a session is in or out for
// good, without anything to remember. Session ids count up from 1; the hash (SplitMix64's
// finaliser, a fixed bijection of 64-bit integers) spreads them evenly, so a rate r picks a
// share r of any long run of ids. The re-check uses an independent hash (another seed), so
// it picks a share of the sampled ones, not a fixed subset of ids.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "core/model.h"

namespace switchboard::core {

enum class QaPick : uint8_t {
  kNone,     // not sampled
  kSampled,  // sampled for inspection
  kRecheck,  // sampled, and picked again for a re-check
};

// A number in [0, 1) from the session id and a seed, evenly spread.
double QaDraw(SessionId id, uint64_t seed);

// Sampled when QaDraw(id, sample seed) < sample_rate; then re-checked when QaDraw(id,
// re-check seed) < recheck_rate. Rates are shares in [0, 1]: 0 picks none, 1 picks every one.
QaPick PickForQa(SessionId id, double sample_rate, double recheck_rate);

}  // namespace switchboard::core
