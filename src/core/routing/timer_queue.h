// TimerQueue: the routing engine's timers in firing order, (at, order) ascending.
//
// Most timers are armed as "now + a duration of the configuration" (offer timeout, step
// expiry, wrap-up, exclusion): with `now` non-decreasing, the timers of one duration come due
// in the order they are armed, so each such duration has its own FIFO: pushing and popping
// are O(1), and the entries sit in arming order in memory. Anything else (a deadline counted
// from an older time, more distinct durations than kMaxRuns, a `now` that went back) goes to
// a binary heap. The earliest timer is the smallest of the heap's top and the FIFOs' fronts.
//
// T needs `TimePoint at` and `uint64_t order` (unique, increasing in arming order).
//
// Thread rules: not thread-safe (plain data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <queue>
#include <vector>

#include "common/clock.h"

namespace switchboard::core::routing {

template <class T>
class TimerQueue {
 public:
  static constexpr size_t kMaxRuns = 16;

  // A timer due `after` from `now` (at == now + after).
  void PushAfter(Micros after, const T& timer) {
    for (Run& run : runs_) {
      if (run.after == after) {
        if (run.empty() || !Earlier(timer, run.back())) {
          run.PushBack(timer);
          ++size_;
          return;
        }
        break;  // out of order: the heap keeps it
      }
    }
    if (runs_.size() < kMaxRuns && !HasRun(after)) {
      runs_.emplace_back();
      runs_.back().after = after;
      runs_.back().PushBack(timer);
      ++size_;
      return;
    }
    Push(timer);
  }
  // A timer at any time.
  void Push(const T& timer) {
    heap_.push(timer);
    ++size_;
  }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // The earliest timer. Not empty.
  const T& top() const {
    const T* best = heap_.empty() ? nullptr : &heap_.top();
    for (const Run& run : runs_) {
      if (!run.empty() && (best == nullptr || Earlier(run.front(), *best))) {
        best = &run.front();
      }
    }
    return *best;
  }
  // Removes the earliest timer. Not empty.
  void pop() {
    const T* best = heap_.empty() ? nullptr : &heap_.top();
    Run* from = nullptr;
    for (Run& run : runs_) {
      if (!run.empty() && (best == nullptr || Earlier(run.front(), *best))) {
        best = &run.front();
        from = &run;
      }
    }
    if (from != nullptr) {
      from->PopFront();
    } else {
      heap_.pop();
    }
    --size_;
  }

 private:
  // A FIFO in blocks of kBlock timers, in arming order, so in (at, order) order: growing
  // never moves the timers already armed (a long run holds millions), and a block is freed
  // (or kept as the one spare) once its last timer is popped.
  static constexpr size_t kBlock = 1024;
  struct Run {
    Micros after = 0;
    std::vector<std::unique_ptr<T[]>> blocks;  // blocks[first..] are in use
    size_t first = 0;  // the first block in use
    size_t head = 0;   // the front's index in blocks[first]
    size_t tail = 0;   // where the next push goes in blocks.back() (kBlock: full)
    std::unique_ptr<T[]> spare;

    bool empty() const {
      return first == blocks.size() || (first + 1 == blocks.size() && head == tail);
    }
    const T& front() const { return blocks[first][head]; }
    const T& back() const { return blocks.back()[tail - 1]; }
    void PushBack(const T& timer) {
      if (first == blocks.size() || tail == kBlock) {
        blocks.push_back(spare != nullptr ? std::move(spare) : std::make_unique<T[]>(kBlock));
        tail = 0;
        if (blocks.size() == first + 1) {
          head = 0;
        }
      }
      blocks.back()[tail++] = timer;
    }
    void PopFront() {
      if (++head < kBlock && !(first + 1 == blocks.size() && head == tail)) {
        return;
      }
      spare = std::move(blocks[first]);  // this block is done
      ++first;
      head = 0;
      if (first == blocks.size()) {
        blocks.clear();
        first = 0;
        tail = 0;
      } else if (first >= 64 && first * 2 >= blocks.size()) {
        blocks.erase(blocks.begin(), blocks.begin() + static_cast<std::ptrdiff_t>(first));
        first = 0;
      }
    }
  };
  struct Later {
    bool operator()(const T& x, const T& y) const { return Earlier(y, x); }
  };
  static bool Earlier(const T& x, const T& y) {
    return x.at != y.at ? x.at < y.at : x.order < y.order;
  }
  bool HasRun(Micros after) const {
    for (const Run& run : runs_) {
      if (run.after == after) {
        return true;
      }
    }
    return false;
  }

  std::vector<Run> runs_;
  std::priority_queue<T, std::vector<T>, Later> heap_;
  size_t size_ = 0;
};

}  // namespace switchboard::core::routing
