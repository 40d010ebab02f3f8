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
// Never `o`, `d`, `c`, `m` keys, nor the `s` record of an open session. A record that does not
// decode is kept (Recover and the readers report it). A `t` entry cannot tell whether its
// session is still open, so a session open longer than the retention period loses its oldest
// entries; sessions close in minutes to days, so this is rare.
//
// Thread rules: the factory and its filters run on RocksDB's compaction threads, any number
// at once; they share nothing mutable. `now_us` must be thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "common/clock.h"

namespace rocksdb {
class CompactionFilterFactory;
}  // namespace rocksdb

namespace switchboard::store {

// True if the record `key` -> `value` is expired at `cutoff` (see above). Pure; for the
// filter and its tests.
bool Expired(std::string_view key, std::string_view value, TimePoint cutoff);

// A factory for RocksDB's Options::compaction_filter_factory. `retention` > 0 (microseconds);
// `now_us` (microseconds since the Unix epoch) must not be empty.
std::shared_ptr<rocksdb::CompactionFilterFactory> NewRetentionFilterFactory(
    Micros retention, std::function<TimePoint()> now_us);

}  // namespace switchboard::store
