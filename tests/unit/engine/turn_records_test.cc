#include "engine/turn_records.h"

#include <vector>

#include <gtest/gtest.h>

#include "core/qa_sampling.h"

namespace switchboard::engine {
namespace {

using core::ArrivalCount;
using core::QaFlag;
using core::Session;
using core::SessionState;

constexpr Micros kHour = int64_t{3600} * kSeconds;
constexpr TimePoint kT0 = 1'700'002'800'000'000;  // an hour's start

Session Make(core::SessionId id, const std::string& queue, uint64_t queue_seq,
             TimePoint enqueued_at, SessionState state = SessionState::kQueued) {
  Session s;
  s.id = id;
  s.queue = queue;
  s.queue_seq = queue_seq;
  s.enqueued_at = enqueued_at;
  s.state = state;
  return s;
}

// Only contact numbers issued in the turn count; each session once; per queue and hour.
TEST(AddTurnRecords, CountsContactsThatEnteredAQueueThisTurn) {
  core::Mutations m;
  m.sessions = {
      Make(1, "pre-sale", 10, kT0 + 5 * kSeconds),         // new this turn
      Make(2, "pre-sale", 11, kT0 + kHour - 1),            // new, same hour
      Make(3, "pre-sale", 12, kT0 + kHour),                // new, next hour
      Make(4, "post-sale", 13, kT0 + 10 * kSeconds),       // new, other queue
      Make(5, "pre-sale", 9, kT0 + 20 * kSeconds),         // back in the queue: old number
      Make(6, "pre-sale", 3, kT0, SessionState::kActive),  // answered: old number
      Make(1, "pre-sale", 10, kT0 + 5 * kSeconds),         // upserted twice
  };
  AddTurnRecords(&m, /*first_new_queue_seq=*/10, QaRates{0, 0});
  EXPECT_EQ(m.arrivals,
            (std::vector<ArrivalCount>{
                {"post-sale", kT0, 1}, {"pre-sale", kT0, 2}, {"pre-sale", kT0 + kHour, 1}}));
  EXPECT_TRUE(m.qa_flags.empty());
}

TEST(AddTurnRecords, FlagsClosedSessionsByTheSamplingRule) {
  core::Mutations m;
  std::vector<QaFlag> expected;
  for (core::SessionId id = 1; id <= 200; ++id) {
    Session s = Make(id, "q", id, kT0, id % 2 == 0 ? SessionState::kClosed : SessionState::kActive);
    s.closed_at = id % 2 == 0 ? kT0 + static_cast<int64_t>(id) : 0;
    m.sessions.push_back(s);
    const core::QaPick pick = core::PickForQa(id, 0.3, 0.5);
    if (id % 2 == 0 && pick != core::QaPick::kNone) {
      expected.push_back({id, s.closed_at, pick == core::QaPick::kRecheck});
    }
  }
  AddTurnRecords(&m, /*first_new_queue_seq=*/1000, QaRates{0.3, 0.5});
  EXPECT_TRUE(m.arrivals.empty());
  EXPECT_EQ(m.qa_flags, expected);
  EXPECT_GT(expected.size(), 10u);  // the test means something

  core::Mutations all;
  all.sessions = {Make(7, "q", 1, kT0, SessionState::kClosed)};
  AddTurnRecords(&all, 1000, QaRates{1, 1});
  EXPECT_EQ(all.qa_flags, (std::vector<QaFlag>{{7, 0, true}}));
}

}  // namespace
}  // namespace switchboard::engine
