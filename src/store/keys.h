// Key encoding of the store: a one-byte prefix per record type, then big-endian fixed-width
// integers, so RocksDB's bytewise order is numeric order. The layout is on disk; see
// docs/architecture.md, "Store". Pure functions; thread-safe.
#pragma once

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

std::string SessionKey(core::SessionId id);
std::string OpenKey(core::SessionId id);
std::string TranscriptKey(core::SessionId session_id, uint32_t index);
// The common prefix of every transcript key of `session_id`.
std::string TranscriptPrefix(core::SessionId session_id);
std::string DeliveryKey(core::DeliveryId id);
std::string MarkKey(std::string_view client_id);

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

// A readable, unambiguous form of a key for error messages: "s/42", "t/42/3",
// "c/\"adapter-1\"", otherwise the prefix character and the rest in hex ("x/00ff").
std::string DescribeKey(std::string_view key);

}  // namespace switchboard::store::keys
