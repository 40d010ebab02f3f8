// Key encoding of the store: a one-byte prefix per record type, then big-endian fixed-width
// integers, so RocksDB's bytewise order is numeric order. The layout is on disk; see
// docs/architecture.md, "Store". Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/model.h"

namespace switchboard::store::keys {

constexpr char kSessionPrefix = 's';     // + session_id(8)           -> fb::Session
constexpr char kOpenPrefix = 'o';        // + session_id(8)           -> "" (while not closed)
constexpr char kTranscriptPrefix = 't';  // + session_id(8) + index(4) -> fb::TranscriptEntry
constexpr char kDeliveryPrefix = 'd';    // + delivery_id(8)          -> fb::Delivery
constexpr char kMarkPrefix = 'c';        // + client_id (raw bytes)   -> fb::ClientMark
constexpr char kMetaPrefix = 'm';        // + name                    -> per name
constexpr std::string_view kCountersKey = "mcounters";  // -> fb::Counters
// Secondary indexes for admin lookups. Strings are length-prefixed (4 bytes, big-endian), so
// no two (tenant, customer_id) pairs share a key prefix. Times are microseconds since the
// Unix epoch (negative ones as 0). Value: empty while the session is open, its closed_at (8)
// once closed (what retention reads).
constexpr char kCustomerIndexPrefix = 'C';  // + tenant + customer_id + created_at(8) + id(8)
constexpr char kAgentIndexPrefix = 'A';     // + agent_id + answered_at(8) + session_id(8)
// Bytes after an index key's prefix: time(8) + session_id(8).
constexpr size_t kIndexSuffixBytes = 16;
// Quality inspection: closed sessions sampled for QA, and those picked again for a re-check
// (also under `Q`), by close time. Value: empty.
constexpr char kQaPrefix = 'Q';       // + closed_at(8) + session_id(8)
constexpr char kRecheckPrefix = 'R';  // + closed_at(8) + session_id(8)
// Hourly arrivals: contacts that entered a queue in an hour. Value: the count (8, big-endian),
// written as RocksDB merge operands that add up (counts.h).
constexpr char kArrivalsPrefix = 'H';  // + hour(8) + queue (raw bytes)
constexpr Micros kHour = int64_t{3600} * kSeconds;

std::string SessionKey(core::SessionId id);
std::string OpenKey(core::SessionId id);
std::string TranscriptKey(core::SessionId session_id, uint32_t index);
// The common prefix of every transcript key of `session_id`.
std::string TranscriptPrefix(core::SessionId session_id);
std::string DeliveryKey(core::DeliveryId id);
std::string MarkKey(std::string_view client_id);

// The common prefix of the index keys of one customer, or of one agent.
std::string CustomerIndexPrefix(std::string_view tenant, std::string_view customer_id);
std::string AgentIndexPrefix(std::string_view agent_id);
// time(8) + session_id(8): appended to an index prefix, an index key.
std::string IndexSuffix(TimePoint time, core::SessionId session_id);
// An index key's value: empty for 0 (open), else closed_at(8).
std::string IndexValue(TimePoint closed_at);
// A `Q` or `R` key (`prefix`).
std::string QaKey(char prefix, TimePoint closed_at, core::SessionId session_id);
// An `H` key; `hour` is the hour's start (a multiple of kHour).
std::string ArrivalsKey(TimePoint hour, std::string_view queue);
// The start of the hour `t` falls in (0 for t < 0).
TimePoint HourOf(TimePoint t);

// The smallest key greater than every key starting with `prefix`, or nullopt if there is
// none (`prefix` empty or all 0xff). An exclusive upper bound for a prefix scan.
std::optional<std::string> PrefixEnd(std::string_view prefix);

// Decoders: nullopt unless `key` has exactly the given prefix and length.
// `s`, `o`, `d` keys: the id.
std::optional<uint64_t> DecodeId(std::string_view key, char prefix);
struct TranscriptKeyParts {
  core::SessionId session_id;
  uint32_t index;
};
std::optional<TranscriptKeyParts> DecodeTranscriptKey(std::string_view key);
// `C`, `A`, `Q` and `R` keys: checks every length prefix and the total length.
struct IndexKeyParts {
  char kind;                // kCustomerIndexPrefix, kAgentIndexPrefix, kQaPrefix, kRecheckPrefix
  std::string_view first;   // tenant, or agent_id; empty for `Q` and `R`
  std::string_view second;  // customer_id; empty for the others
  TimePoint time;           // created_at, answered_at, or closed_at (`Q`, `R`)
  core::SessionId session_id;
};
std::optional<IndexKeyParts> DecodeIndexKey(std::string_view key);
// `H` keys.
struct ArrivalsKeyParts {
  TimePoint hour;
  std::string_view queue;
};
std::optional<ArrivalsKeyParts> DecodeArrivalsKey(std::string_view key);
// An index value: 0 for empty (open), closed_at for 8 bytes, nullopt otherwise.
std::optional<TimePoint> DecodeIndexValue(std::string_view value);

// A readable, unambiguous form of a key for error messages: "s/42", "t/42/3",
// "c/\"adapter-1\"", "C/\"acme\"/\"c-1\"/1700000000000000/42", "A/\"agent-7\"/<time>/42",
// "Q/<time>/42", "H/<hour>/\"default\"",
// otherwise the prefix character and the rest in hex ("x/00ff").
std::string DescribeKey(std::string_view key);

}  // namespace switchboard::store::keys
