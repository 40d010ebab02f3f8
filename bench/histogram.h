// Histogram: a log-linear latency histogram in the manner of HdrHistogram, small and fixed.
//
// Values are nanoseconds. Below 256 ns every value has its own bucket; above, each power of
// two is split into 128 equal buckets, so a recorded value is known to within 1/128 (0.8 %)
// of itself, from 1 us up to 2^37 ns (137 s). Larger values land in the last bucket (the
// exact maximum is kept apart); negative values count as 0. 3,968 buckets, 31 KiB.
//
// Thread rules: thread-compatible. Each thread records into its own histogram; merge them
// once the threads are done (or under the owner's lock).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace switchboard::bench {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;  // 128 buckets per power of two above 256 ns
  static constexpr int kMaxExponent = 37;   // 2^37 ns = 137 s: the top of the range
  static constexpr size_t kBucketCount =
      (size_t{1} << (kSubBucketBits + 1)) +
      static_cast<size_t>(kMaxExponent - kSubBucketBits - 1) * (size_t{1} << kSubBucketBits);

  void Record(int64_t value_ns, uint64_t count = 1);
  void Merge(const Histogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Exact extremes of what was recorded (0 when empty).
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }
  // Values recorded above the top of the range (counted in the last bucket).
  uint64_t overflow() const { return overflow_; }

  // The value at quantile q (0..1): the highest value of the bucket holding the
  // ceil(q * count)-th smallest recording, capped by the exact max. Off by at most 0.8 %
  // above the exact answer, never below it. q <= 0 gives min(), q >= 1 max(); 0 when empty.
  int64_t ValueAtQuantile(double q) const;

  // Bucket arithmetic, exposed for tests.
  static size_t BucketOf(int64_t value_ns);
  static int64_t BucketLow(size_t index);   // smallest value of the bucket
  static int64_t BucketHigh(size_t index);  // largest value of the bucket

 private:
  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
  uint64_t overflow_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace switchboard::bench
