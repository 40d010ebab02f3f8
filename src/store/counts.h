// Counts kept as RocksDB merge operands that add up (the hourly arrivals, keys::ArrivalsKey):
// a commit adds to a count without reading it, in the same write batch as the rest of the
// turn, and RocksDB folds the operands together on reads and compactions.
//
// A count is 8 bytes, an unsigned big-endian integer; sums saturate at UINT64_MAX. A value of
// another length (never written by the store) counts as 0 rather than failing, so that it
// cannot stop compactions.
//
// Thread rules: the operator is stateless; RocksDB calls it from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rocksdb {
class MergeOperator;
}  // namespace rocksdb

namespace switchboard::store {

std::string EncodeCount(uint64_t count);
// nullopt unless `value` is 8 bytes.
std::optional<uint64_t> DecodeCount(std::string_view value);

// For RocksDB's Options::merge_operator. Its name ("switchboard.AddCounts") is recorded in
// the store: a store with counts must be opened with it.
std::shared_ptr<rocksdb::MergeOperator> NewCountMergeOperator();

}  // namespace switchboard::store
