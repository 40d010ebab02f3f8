#include "store/retention.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <flatbuffers/flatbuffers.h>
#include <rocksdb/compaction_filter.h>

#include "store/keys.h"
#include "store_generated.h"

namespace switchboard::store {
namespace {

// The root of `value` if it verifies as a T. RocksDB's slices are not necessarily aligned
// for FlatBuffers' scalar reads: a misaligned value is copied into `*copy` first (std::string
// storage is aligned).
template <typename T>
const T* VerifiedRoot(std::string_view value, std::string* copy) {
  if (value.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return nullptr;
  }
  if (reinterpret_cast<uintptr_t>(value.data()) % alignof(uint64_t) != 0) {
    copy->assign(value.data(), value.size());
    value = *copy;
  }
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  if (!verifier.VerifyBuffer<T>(nullptr)) {
    return nullptr;
  }
  return flatbuffers::GetRoot<T>(value.data());
}

class RetentionFilter final : public rocksdb::CompactionFilter {
 public:
  explicit RetentionFilter(TimePoint cutoff) : cutoff_(cutoff) {}

  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& existing_value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    return Expired(std::string_view(key.data(), key.size()),
                   std::string_view(existing_value.data(), existing_value.size()), cutoff_);
  }

  // Hourly counts are merge operands until compaction folds them: each expires on its own.
  bool FilterMergeOperand(int /*level*/, const rocksdb::Slice& key,
                          const rocksdb::Slice& operand) const override {
    return Expired(std::string_view(key.data(), key.size()),
                   std::string_view(operand.data(), operand.size()), cutoff_);
  }

  const char* Name() const override { return "switchboard.RetentionFilter"; }

 private:
  const TimePoint cutoff_;
};

class RetentionFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  RetentionFilterFactory(Micros retention, std::function<TimePoint()> now_us)
      : retention_(retention), now_us_(std::move(now_us)) {}

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& /*context*/) override {
    return std::make_unique<RetentionFilter>(now_us_() - retention_);
  }

  const char* Name() const override { return "switchboard.RetentionFilterFactory"; }

 private:
  const Micros retention_;
  const std::function<TimePoint()> now_us_;
};

}  // namespace

bool Expired(std::string_view key, std::string_view value, TimePoint cutoff) {
  if (key.empty()) {
    return false;
  }
  std::string copy;
  switch (key[0]) {
    case keys::kTranscriptPrefix: {
      if (!keys::DecodeTranscriptKey(key).has_value()) {
        return false;
      }
      const auto* entry = VerifiedRoot<fb::TranscriptEntry>(value, &copy);
      return entry != nullptr && entry->at() < cutoff;
    }
    case keys::kSessionPrefix: {
      if (!keys::DecodeId(key, keys::kSessionPrefix).has_value()) {
        return false;
      }
      const auto* session = VerifiedRoot<fb::Session>(value, &copy);
      return session != nullptr && session->state() == fb::SessionState::Closed &&
             session->closed_at() < cutoff;
    }
    case keys::kCustomerIndexPrefix:
    case keys::kAgentIndexPrefix: {
      const std::optional<keys::IndexKeyParts> parts = keys::DecodeIndexKey(key);
      const std::optional<TimePoint> closed_at = keys::DecodeIndexValue(value);
      if (!parts.has_value() || !closed_at.has_value()) {
        return false;
      }
      return (*closed_at != 0 ? *closed_at : parts->time) < cutoff;
    }
    case keys::kQaPrefix:
    case keys::kRecheckPrefix: {
      const std::optional<keys::IndexKeyParts> parts = keys::DecodeIndexKey(key);
      return parts.has_value() && parts->time < cutoff;
    }
    case keys::kArrivalsPrefix: {
      const std::optional<keys::ArrivalsKeyParts> parts = keys::DecodeArrivalsKey(key);
      return parts.has_value() && parts->hour <= cutoff - keys::kHour;
    }
    default:
      return false;  // `o`, `d`, `c`, `m` and anything unknown
  }
}

std::shared_ptr<rocksdb::CompactionFilterFactory> NewRetentionFilterFactory(
    Micros retention, std::function<TimePoint()> now_us) {
  return std::make_shared<RetentionFilterFactory>(retention, std::move(now_us));
}

}  // namespace switchboard::store
