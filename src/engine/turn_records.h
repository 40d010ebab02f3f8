// Turn records: what the engine adds to a turn's mutations before the commit, derived from
// what the core changed, for supervisors rather than for routing:
//   - hourly arrivals: each session whose contact number (queue_seq) was issued in this turn
//     entered its queue in it; they are counted per queue and per hour of their enqueued_at;
//   - quality inspection: each session closed in this turn is sampled (and maybe picked for
//     a re-check) by core::PickForQa on its id, at the configured rates.
// Both are written in the turn's write batch, so they are exactly as durable as the sessions.
//
// Thread rules: the loop thread, like the rest of the turn.
#pragma once

#include <cstdint>

#include "core/model.h"

namespace switchboard::engine {

struct QaRates {
  double sample = 0.01;   // share of closed sessions sampled for inspection, in [0, 1]
  double recheck = 0.01;  // share of the sampled ones picked again for a re-check, in [0, 1]
};

// Appends to m->arrivals and m->qa_flags from m->sessions. `first_new_queue_seq`: the core's
// next_queue_seq before the turn (every queue_seq at or above it was issued in the turn).
void AddTurnRecords(core::Mutations* m, uint64_t first_new_queue_seq, const QaRates& rates);

}  // namespace switchboard::engine
