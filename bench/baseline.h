// Baseline: a raw ZeroMQ relay on this host, to put the broker's throughput in scale.
//
// A producer DEALER sends fixed-size single-part messages as fast as ZeroMQ's high-water
// marks allow to a relay (ROUTER in front, DEALER behind) that forwards each payload, with no
// logic, to a consumer DEALER; all over tcp on 127.0.0.1, each of the three on its own thread
// with its own ZeroMQ context (and so its own I/O thread), as separate processes would be.
// The figure is what the consumer received divided by the time from its first to its last
// message. No persistence, no acknowledgements, no verification: an upper bound for one hop
// more than the broker's own path, not a like-for-like peer.
//
// Thread rules: MeasureRelay starts and joins its threads; call it from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace switchboard::bench {

struct BaselineResult {
  double msgs_per_s = 0;
  uint64_t messages = 0;
  double seconds = 0;
  std::string error;  // "" on success
};

BaselineResult MeasureRelay(size_t message_size, double seconds);

}  // namespace switchboard::bench
