// A minimal JSON writer and reader: enough for the bench's --json report and for tests (and
// tools) that read it back. No dependency beyond the standard library.
//
// JsonWriter builds one pretty-printed document in memory. It checks nothing about nesting:
// callers pair Begin/End and put a Key before every value inside an object. Non-finite
// numbers are written as null (JSON has no infinity).
//
// ParseJson reads a whole document (objects, arrays, strings with the usual escapes,
// numbers, true, false, null) into a JsonValue tree.
//
// Thread rules: plain values.
#pragma once

#include "common/json_quote.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::bench {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& Value(std::string_view s);
  JsonWriter& Value(const char* s) { return Value(std::string_view(s)); }
  JsonWriter& Value(const std::string& s) { return Value(std::string_view(s)); }
  JsonWriter& Value(double v);
  JsonWriter& Value(int64_t v);
  JsonWriter& Value(uint64_t v);
  JsonWriter& Value(int v) { return Value(static_cast<int64_t>(v)); }
  JsonWriter& Value(bool v);
  JsonWriter& Null();
  // Key and value in one call.
  template <typename T>
  JsonWriter& Field(std::string_view key, const T& v) {
    Key(key);
    return Value(v);
  }
  JsonWriter& NullField(std::string_view key) {
    Key(key);
    return Null();
  }

  // The document so far, with a final newline once the outermost value is closed.
  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  void Newline();

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// Escapes a string for JSON, with the quotes (common/json_quote.h).
using switchboard::JsonQuote;

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in document order

  bool is_null() const { return type == Type::kNull; }
  bool is_number() const { return type == Type::kNumber; }
  bool is_object() const { return type == Type::kObject; }
  // The member named `key` of an object; nullptr if absent or not an object.
  const JsonValue* Get(std::string_view key) const;
  // A member by dotted path ("latency_us.p99"); nullptr if any step is missing.
  const JsonValue* Find(std::string_view path) const;
};

struct JsonParseResult {
  std::optional<JsonValue> value;
  std::string error;  // with the byte offset, when value is empty
};

JsonParseResult ParseJson(std::string_view text);

}  // namespace switchboard::bench
