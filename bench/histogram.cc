#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace switchboard::bench {
namespace {

constexpr int64_t kLinearLimit = int64_t{1} << (Histogram::kSubBucketBits + 1);  // 256
constexpr int64_t kHalf = int64_t{1} << Histogram::kSubBucketBits;               // 128
constexpr int64_t kTop = (int64_t{1} << Histogram::kMaxExponent) - 1;

}  // namespace

size_t Histogram::BucketOf(int64_t value) {
  if (value < kLinearLimit) {
    return static_cast<size_t>(std::max<int64_t>(value, 0));
  }
  value = std::min(value, kTop);
  const int exponent = std::bit_width(static_cast<uint64_t>(value)) - 1;  // >= 8
  const int shift = exponent - kSubBucketBits;
  const int64_t sub = value >> shift;  // 128..255
  return static_cast<size_t>(kLinearLimit + (exponent - kSubBucketBits - 1) * kHalf +
                             (sub - kHalf));
}

int64_t Histogram::BucketLow(size_t index) {
  const auto i = static_cast<int64_t>(index);
  if (i < kLinearLimit) {
    return i;
  }
  const int64_t group = (i - kLinearLimit) / kHalf;  // 0 for exponent 8
  const int64_t sub = kHalf + (i - kLinearLimit) % kHalf;
  const int shift = static_cast<int>(group) + 1;
  return sub << shift;
}

int64_t Histogram::BucketHigh(size_t index) {
  const auto i = static_cast<int64_t>(index);
  if (i < kLinearLimit) {
    return i;
  }
  const int shift = static_cast<int>((i - kLinearLimit) / kHalf) + 1;
  return BucketLow(index) + (int64_t{1} << shift) - 1;
}

void Histogram::Record(int64_t value, uint64_t count) {
  if (count == 0) {
    return;
  }
  value = std::max<int64_t>(value, 0);
  counts_[BucketOf(value)] += count;
  if (value > kTop) {
    overflow_ += count;
  }
  if (count_ == 0 || value < min_) {
    min_ = value;
  }
  max_ = std::max(max_, value);
  count_ += count;
  sum_ += static_cast<double>(value) * static_cast<double>(count);
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) {
    return;
  }
  for (size_t i = 0; i < kBucketCount; ++i) {
    counts_[i] += other.counts_[i];
  }
  if (count_ == 0 || other.min_ < min_) {
    min_ = other.min_;
  }
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  overflow_ += other.overflow_;
  sum_ += other.sum_;
}

void Histogram::Reset() { *this = Histogram(); }

int64_t Histogram::ValueAtQuantile(double q) const {
  if (count_ == 0) {
    return 0;
  }
  if (q <= 0) {
    return min_;
  }
  if (q >= 1) {
    return max_;
  }
  // The rank of the wanted recording, 1-based; guard against q * count rounding to 0.
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_) - 1e-9)));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(BucketHigh(i), min_, max_);
    }
  }
  return max_;
}

}  // namespace switchboard::bench
