#include "engine/turn_records.h"

#include <map>
#include <set>
#include <string>
#include <utility>

#include "core/qa_sampling.h"

namespace switchboard::engine {

void AddTurnRecords(core::Mutations* m, uint64_t first_new_queue_seq, const QaRates& rates) {
  constexpr Micros kHour = int64_t{3600} * kSeconds;
  std::map<std::pair<std::string, TimePoint>, uint64_t> arrivals;
  std::set<core::SessionId> counted;  // a session may be upserted more than once in a turn
  for (const core::Session& s : m->sessions) {
    if (s.queue_seq >= first_new_queue_seq && s.queue_seq != 0 && counted.insert(s.id).second) {
      const TimePoint at = s.enqueued_at < 0 ? 0 : s.enqueued_at;
      ++arrivals[{s.queue, at - at % kHour}];
    }
    if (s.state == core::SessionState::kClosed) {
      const core::QaPick pick = core::PickForQa(s.id, rates.sample, rates.recheck);
      if (pick != core::QaPick::kNone) {
        m->qa_flags.push_back({s.id, s.closed_at, pick == core::QaPick::kRecheck});
      }
    }
  }
  for (auto& [key, count] : arrivals) {
    m->arrivals.push_back({key.first, key.second, count});
  }
}

}  // namespace switchboard::engine
