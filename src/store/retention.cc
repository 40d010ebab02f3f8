#include "store/retention.h"

#include <algorithm>
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

class StoreFilter final : public rocksdb::CompactionFilter {
 public:
  // `cutoff` empty: no retention (disabled, or a flush).
  StoreFilter(std::optional<TimePoint> cutoff, AckedDeliveries::Map acked)
      : cutoff_(cutoff), acked_(std::move(acked)) {}

  // An acknowledged delivery is skipped, not removed: a removed key becomes a tombstone in the
  // output (to hide older versions below), and at one delivery per message those tombstones
  // were half of every flushed file. A `d` key is written once and names one content, so
  // there is nothing older to hide. Everything else goes through Filter.
  Decision FilterV2(int level, const rocksdb::Slice& key, ValueType value_type,
                    const rocksdb::Slice& existing_value, std::string* new_value,
                    std::string* skip_until) const override {
    if (value_type == ValueType::kValue && !key.empty() && key[0] == keys::kDeliveryPrefix) {
      if (!Acknowledged(std::string_view(key.data(), key.size()),
                        std::string_view(existing_value.data(), existing_value.size()), acked_)) {
        return Decision::kKeep;
      }
      skip_until->assign(key.data(), key.size());
      skip_until->push_back('\0');  // the next key after this one
      return Decision::kRemoveAndSkipUntil;
    }
    return CompactionFilter::FilterV2(level, key, value_type, existing_value, new_value,
                                      skip_until);
  }

  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& existing_value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    return cutoff_.has_value() && Expired(std::string_view(key.data(), key.size()),
                                          std::string_view(existing_value.data(),
                                                           existing_value.size()),
                                          *cutoff_);
  }

  // Hourly counts are merge operands until compaction folds them: each expires on its own.
  bool FilterMergeOperand(int /*level*/, const rocksdb::Slice& key,
                          const rocksdb::Slice& operand) const override {
    return cutoff_.has_value() && Expired(std::string_view(key.data(), key.size()),
                                          std::string_view(operand.data(), operand.size()),
                                          *cutoff_);
  }

  const char* Name() const override { return "switchboard.StoreFilter"; }

 private:
  const std::optional<TimePoint> cutoff_;
  const AckedDeliveries::Map acked_;
};

class StoreFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  StoreFilterFactory(Micros retention, std::function<TimePoint()> now_us,
                     std::shared_ptr<const AckedDeliveries> acked)
      : retention_(retention), now_us_(std::move(now_us)), acked_(std::move(acked)) {}

  // Flushes too: most deliveries are acknowledged while still in the memtable.
  bool ShouldFilterTableFileCreation(rocksdb::TableFileCreationReason reason) const override {
    return reason == rocksdb::TableFileCreationReason::kFlush ||
           reason == rocksdb::TableFileCreationReason::kCompaction;
  }

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& context) override {
    // Retention at compactions only: a flush would decode every fresh transcript entry for
    // nothing (fresh entries are not old).
    std::optional<TimePoint> cutoff;
    if (retention_ > 0 && context.reason == rocksdb::TableFileCreationReason::kCompaction) {
      cutoff = now_us_() - retention_;
    }
    return std::make_unique<StoreFilter>(cutoff, acked_->Snapshot());
  }

  const char* Name() const override { return "switchboard.StoreFilterFactory"; }

 private:
  const Micros retention_;
  const std::function<TimePoint()> now_us_;
  const std::shared_ptr<const AckedDeliveries> acked_;
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

void AckedDeliveries::Raise(const std::string& client_id, uint64_t acked) {
  if (acked == 0) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t& mark = marks_[client_id];
  mark = std::max(mark, acked);
}

AckedDeliveries::Map AckedDeliveries::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return marks_;
}

bool Acknowledged(std::string_view key, std::string_view value,
                  const AckedDeliveries::Map& acked) {
  if (acked.empty() || !keys::DecodeId(key, keys::kDeliveryPrefix).has_value()) {
    return false;
  }
  std::string copy;
  const auto* d = VerifiedRoot<fb::Delivery>(value, &copy);
  if (d == nullptr || d->client_id() == nullptr) {
    return false;
  }
  // Heterogeneous lookup needs C++20's transparent hash; a short copy of the id is cheap.
  auto mark = acked.find(d->client_id()->str());
  return mark != acked.end() && d->id() <= mark->second;
}

std::shared_ptr<rocksdb::CompactionFilterFactory> NewStoreFilterFactory(
    Micros retention, std::function<TimePoint()> now_us,
    std::shared_ptr<const AckedDeliveries> acked) {
  return std::make_shared<StoreFilterFactory>(retention, std::move(now_us), std::move(acked));
}

}  // namespace switchboard::store
