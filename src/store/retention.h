// Retention: the RocksDB compaction filter that expires old history, so that the store does
// not grow forever and nothing in the broker's loop scans for old records.
//
// What goes, once older than the retention period (cutoff = now - retention, taken once per
// compaction):
//   `t` transcript entries whose `at` is before the cutoff;
//   `s` records of closed sessions whose closed_at is before the cutoff;
//   `C` and `A` index keys of closed sessions whose closed_at (the key's value) is, and of
//       open sessions whose created_at / answered_at (in the key) is (so does the `A` key of
//       an agent whose session moved on to another agent: it keeps its open value);
//   `Q` and `R` quality-inspection keys whose closed_at (in the key) is before the cutoff,
//       with the session they name;
//   `H` hourly arrival counts of hours that ended before the cutoff (each merge operand too).
// Never `o`, `c`, `m` keys, nor the `s` record of an open session.
//
// Besides retention, the same filter drops acknowledged deliveries: a `d` record whose id is at
// or below its client's acknowledged mark (AckedDeliveries). This part runs at flushes too, so
// a delivery acknowledged before its memtable is flushed never reaches an SST file, and it
// leaves no tombstone behind (RocksDB's kRemoveAndSkipUntil: a `d` key is written once, so no
// older version needs hiding). A record that does not
// decode is kept (Recover and the readers report it). A `t` entry cannot tell whether its
// session is still open, so a session open longer than the retention period loses its oldest
// entries; sessions close in minutes to days, so this is rare.
//
// Thread rules: the factory and its filters run on RocksDB's compaction threads, any number
// at once; they share nothing mutable. `now_us` must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace rocksdb {
class CompactionFilterFactory;
}  // namespace rocksdb

namespace switchboard::store {

// True if the record `key` -> `value` is expired at `cutoff` (see above). Pure; for the
// filter and its tests.
bool Expired(std::string_view key, std::string_view value, TimePoint cutoff);

// Every client's acknowledged-delivery mark (core::ClientMark::acked_delivery) as committed:
// raised by the store after each commit, read by flushes and compactions. Thread-safe.
class AckedDeliveries {
 public:
  using Map = std::unordered_map<std::string, uint64_t>;
  void Raise(const std::string& client_id, uint64_t acked);  // never lowers a mark
  Map Snapshot() const;

 private:
  mutable std::mutex mu_;
  Map marks_;  // guarded by mu_
};

// True if `key` -> `value` is a `d` delivery record its client has acknowledged per `acked`.
// A record that does not decode is kept. Pure; for the filter and its tests.
bool Acknowledged(std::string_view key, std::string_view value, const AckedDeliveries::Map& acked);

// A factory for RocksDB's Options::compaction_filter_factory: retention (when `retention` > 0,
// microseconds; `now_us`, microseconds since the Unix epoch, must then not be empty), at
// compactions only, and acknowledged deliveries (per `acked`, which must not be null), at
// compactions and flushes.
std::shared_ptr<rocksdb::CompactionFilterFactory> NewStoreFilterFactory(
    Micros retention, std::function<TimePoint()> now_us,
    std::shared_ptr<const AckedDeliveries> acked);

}  // namespace switchboard::store
