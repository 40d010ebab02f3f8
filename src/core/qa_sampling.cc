#include "core/qa_sampling.h"

namespace switchboard::core {
namespace {

// Fixed forever: changing either changes which stored sessions a rate would pick.
constexpr uint64_t kSampleSeed = 0x5157'4153'414d'504cULL;   // "QWASAMPL"
constexpr uint64_t kRecheckSeed = 0x5157'4152'4543'484bULL;  // "QWARECHK"

uint64_t Mix(uint64_t z) {
  z += 0x9e37'79b9'7f4a'7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58'476d'1ce4'e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d0'49bb'1331'11ebULL;
  return z ^ (z >> 31);
}

}  // namespace

double QaDraw(SessionId id, uint64_t seed) {
  // The top 53 bits: every double of the form k / 2^53.
  return static_cast<double>(Mix(id ^ Mix(seed)) >> 11) * 0x1.0p-53;
}

QaPick PickForQa(SessionId id, double sample_rate, double recheck_rate) {
  if (!(QaDraw(id, kSampleSeed) < sample_rate)) {
    return QaPick::kNone;
  }
  return QaDraw(id, kRecheckSeed) < recheck_rate ? QaPick::kRecheck : QaPick::kSampled;
}

}  // namespace switchboard::core
