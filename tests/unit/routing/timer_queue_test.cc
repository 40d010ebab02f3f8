#include "core/routing/timer_queue.h"

#include <gtest/gtest.h>

#include <queue>
#include <random>
#include <vector>

namespace switchboard::core::routing {
namespace {

struct T {
  TimePoint at = 0;
  uint64_t order = 0;
  bool operator>(const T& o) const { return at != o.at ? at > o.at : order > o.order; }
};

std::vector<uint64_t> Drain(TimerQueue<T>* q) {
  std::vector<uint64_t> out;
  while (!q->empty()) {
    out.push_back(q->top().order);
    q->pop();
  }
  return out;
}

TEST(TimerQueueTest, TiesFireInArmingOrderAcrossRunsAndHeap) {
  TimerQueue<T> q;
  q.PushAfter(10, T{110, 0});
  q.Push(T{110, 1});           // same time, armed later
  q.PushAfter(5, T{110, 2});   // another run, same time
  q.PushAfter(10, T{105, 3});  // earlier than its run's back: goes to the heap
  q.PushAfter(5, T{120, 4});
  EXPECT_EQ(q.size(), 5u);
  EXPECT_EQ(q.top().order, 3u);
  EXPECT_EQ(Drain(&q), (std::vector<uint64_t>{3, 0, 1, 2, 4}));
}

TEST(TimerQueueTest, MoreDurationsThanRunsStillInOrder) {
  TimerQueue<T> q;
  std::vector<uint64_t> expected;
  const size_t n = TimerQueue<T>::kMaxRuns + 5;
  for (size_t i = 0; i < n; ++i) {
    q.PushAfter(static_cast<Micros>(100 - i), T{static_cast<TimePoint>(1000 + 100 - i), i});
  }
  for (size_t i = n; i-- > 0;) {
    expected.push_back(i);
  }
  EXPECT_EQ(Drain(&q), expected);
}

// One run across many blocks (each holds 1024), emptied and filled again.
TEST(TimerQueueTest, LongRunsCrossBlocks) {
  TimerQueue<T> q;
  uint64_t order = 0;
  uint64_t popped = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5000; ++i) {
      q.PushAfter(10, T{static_cast<TimePoint>(order), order});
      ++order;
    }
    for (int i = 0; i < (round == 2 ? 5000 : 4000); ++i) {
      ASSERT_EQ(q.top().order, popped);
      q.pop();
      ++popped;
    }
  }
  ASSERT_EQ(q.size(), 2000u);
  while (!q.empty()) {
    ASSERT_EQ(q.top().order, popped++);
    q.pop();
  }
  EXPECT_EQ(popped, order);
}

// Random arming, with `now` mostly going forward, agrees with a binary heap, pops
// interleaved with pushes.
TEST(TimerQueueTest, AgreesWithPriorityQueue) {
  std::mt19937_64 rng(5);
  TimerQueue<T> q;
  std::priority_queue<T, std::vector<T>, std::greater<>> model;
  const std::vector<Micros> durations = {15, 20, 15, 3, 0, 7};
  TimePoint now = 1000;
  uint64_t order = 0;
  for (int i = 0; i < 100000; ++i) {
    const int what = static_cast<int>(rng() % 10);
    if (what < 4) {
      const Micros after = durations[rng() % durations.size()];
      const T t{now + after, order++};
      q.PushAfter(after, t);
      model.push(t);
    } else if (what < 5) {
      const T t{now - 50 + static_cast<TimePoint>(rng() % 100), order++};
      q.Push(t);
      model.push(t);
    } else if (what < 8) {
      if (!model.empty()) {
        ASSERT_EQ(q.top().order, model.top().order);
        ASSERT_EQ(q.top().at, model.top().at);
        q.pop();
        model.pop();
      }
    } else if (what < 9) {
      now += static_cast<TimePoint>(rng() % 4);
    } else {
      now -= static_cast<TimePoint>(rng() % 2);  // a caller's clock that went back
    }
    ASSERT_EQ(q.size(), model.size());
  }
  while (!model.empty()) {
    ASSERT_EQ(q.top().order, model.top().order);
    q.pop();
    model.pop();
  }
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace switchboard::core::routing
