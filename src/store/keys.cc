#include "store/keys.h"

#include <cstdio>

namespace switchboard::store::keys {
namespace {

void AppendBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

void AppendBigEndian32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) {
    v = (v << 8) | static_cast<uint8_t>(c);
  }
  return v;
}

void AppendLengthPrefixed(std::string* out, std::string_view s) {
  AppendBigEndian32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

// Reads a length-prefixed string at the front of `*rest` and advances past it.
std::optional<std::string_view> TakeLengthPrefixed(std::string_view* rest) {
  if (rest->size() < 4) {
    return std::nullopt;
  }
  const uint64_t n = ReadBigEndian(rest->substr(0, 4));
  if (rest->size() - 4 < n) {
    return std::nullopt;
  }
  std::string_view s = rest->substr(4, n);
  rest->remove_prefix(4 + n);
  return s;
}

uint64_t TimeBits(TimePoint t) { return t < 0 ? 0 : static_cast<uint64_t>(t); }

std::string PrefixedId(char prefix, uint64_t id) {
  std::string key;
  key.reserve(9);
  key.push_back(prefix);
  AppendBigEndian64(&key, id);
  return key;
}

}  // namespace

std::string SessionKey(core::SessionId id) { return PrefixedId(kSessionPrefix, id); }

std::string OpenKey(core::SessionId id) { return PrefixedId(kOpenPrefix, id); }

std::string TranscriptKey(core::SessionId session_id, uint32_t index) {
  std::string key = PrefixedId(kTranscriptPrefix, session_id);
  AppendBigEndian32(&key, index);
  return key;
}

std::string TranscriptPrefix(core::SessionId session_id) {
  return PrefixedId(kTranscriptPrefix, session_id);
}

std::string DeliveryKey(core::DeliveryId id) { return PrefixedId(kDeliveryPrefix, id); }

std::string MarkKey(std::string_view client_id) {
  std::string key;
  key.reserve(1 + client_id.size());
  key.push_back(kMarkPrefix);
  key.append(client_id);
  return key;
}

std::string CustomerIndexPrefix(std::string_view tenant, std::string_view customer_id) {
  std::string key;
  key.reserve(9 + tenant.size() + customer_id.size() + kIndexSuffixBytes);
  key.push_back(kCustomerIndexPrefix);
  AppendLengthPrefixed(&key, tenant);
  AppendLengthPrefixed(&key, customer_id);
  return key;
}

std::string AgentIndexPrefix(std::string_view agent_id) {
  std::string key;
  key.reserve(5 + agent_id.size() + kIndexSuffixBytes);
  key.push_back(kAgentIndexPrefix);
  AppendLengthPrefixed(&key, agent_id);
  return key;
}

std::string IndexSuffix(TimePoint time, core::SessionId session_id) {
  std::string suffix;
  suffix.reserve(kIndexSuffixBytes);
  AppendBigEndian64(&suffix, TimeBits(time));
  AppendBigEndian64(&suffix, session_id);
  return suffix;
}

std::string IndexValue(TimePoint closed_at) {
  std::string value;
  if (closed_at != 0) {
    AppendBigEndian64(&value, TimeBits(closed_at));
  }
  return value;
}

std::string QaKey(char prefix, TimePoint closed_at, core::SessionId session_id) {
  return std::string(1, prefix) + IndexSuffix(closed_at, session_id);
}

std::string ArrivalsKey(TimePoint hour, std::string_view queue) {
  std::string key;
  key.reserve(9 + queue.size());
  key.push_back(kArrivalsPrefix);
  AppendBigEndian64(&key, TimeBits(hour));
  key.append(queue);
  return key;
}

TimePoint HourOf(TimePoint t) { return t < 0 ? 0 : t - t % kHour; }

std::optional<ArrivalsKeyParts> DecodeArrivalsKey(std::string_view key) {
  if (key.size() < 9 || key[0] != kArrivalsPrefix) {
    return std::nullopt;
  }
  const uint64_t hour = ReadBigEndian(key.substr(1, 8));
  if (hour > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return ArrivalsKeyParts{static_cast<TimePoint>(hour), key.substr(9)};
}

std::optional<std::string> PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto last = static_cast<uint8_t>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::nullopt;
}

std::optional<uint64_t> DecodeId(std::string_view key, char prefix) {
  if (key.size() != 9 || key[0] != prefix) {
    return std::nullopt;
  }
  return ReadBigEndian(key.substr(1));
}

std::optional<TranscriptKeyParts> DecodeTranscriptKey(std::string_view key) {
  if (key.size() != 13 || key[0] != kTranscriptPrefix) {
    return std::nullopt;
  }
  return TranscriptKeyParts{ReadBigEndian(key.substr(1, 8)),
                            static_cast<uint32_t>(ReadBigEndian(key.substr(9, 4)))};
}

std::optional<IndexKeyParts> DecodeIndexKey(std::string_view key) {
  if (key.empty() || (key[0] != kCustomerIndexPrefix && key[0] != kAgentIndexPrefix &&
                       key[0] != kQaPrefix && key[0] != kRecheckPrefix)) {
    return std::nullopt;
  }
  IndexKeyParts parts{key[0], {}, {}, 0, 0};
  std::string_view rest = key.substr(1);
  if (parts.kind == kCustomerIndexPrefix || parts.kind == kAgentIndexPrefix) {
    std::optional<std::string_view> first = TakeLengthPrefixed(&rest);
    if (!first.has_value()) {
      return std::nullopt;
    }
    parts.first = *first;
  }
  if (parts.kind == kCustomerIndexPrefix) {
    std::optional<std::string_view> second = TakeLengthPrefixed(&rest);
    if (!second.has_value()) {
      return std::nullopt;
    }
    parts.second = *second;
  }
  if (rest.size() != kIndexSuffixBytes) {
    return std::nullopt;
  }
  const uint64_t time = ReadBigEndian(rest.substr(0, 8));
  if (time > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  parts.time = static_cast<TimePoint>(time);
  parts.session_id = ReadBigEndian(rest.substr(8, 8));
  return parts;
}

std::optional<TimePoint> DecodeIndexValue(std::string_view value) {
  if (value.empty()) {
    return TimePoint{0};
  }
  if (value.size() != 8) {
    return std::nullopt;
  }
  const uint64_t closed_at = ReadBigEndian(value);
  if (closed_at > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<TimePoint>(closed_at);
}

namespace {

// `s` in double quotes, escaping quotes, backslashes and anything not printable ASCII.
void AppendQuoted(std::string* out, std::string_view s) {
  *out += '"';
  for (char c : s) {
    const auto u = static_cast<uint8_t>(c);
    if (u >= 0x20 && u <= 0x7e && c != '"' && c != '\\') {
      *out += c;
    } else {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\x%02x", u);
      *out += esc;
    }
  }
  *out += '"';
}

}  // namespace

std::string DescribeKey(std::string_view key) {
  if (key.empty()) {
    return "(empty key)";
  }
  const char prefix = key[0];
  if (prefix == kCustomerIndexPrefix || prefix == kAgentIndexPrefix) {
    if (auto parts = DecodeIndexKey(key)) {
      std::string out(1, prefix);
      out += '/';
      AppendQuoted(&out, parts->first);
      if (prefix == kCustomerIndexPrefix) {
        out += '/';
        AppendQuoted(&out, parts->second);
      }
      out += "/" + std::to_string(parts->time) + "/" + std::to_string(parts->session_id);
      return out;
    }
  }
  if (prefix == kQaPrefix || prefix == kRecheckPrefix) {
    if (auto parts = DecodeIndexKey(key)) {
      return std::string(1, prefix) + "/" + std::to_string(parts->time) + "/" +
             std::to_string(parts->session_id);
    }
  }
  if (prefix == kArrivalsPrefix) {
    if (auto parts = DecodeArrivalsKey(key)) {
      std::string out = "H/" + std::to_string(parts->hour) + "/";
      AppendQuoted(&out, parts->queue);
      return out;
    }
  }
  if (prefix == kSessionPrefix || prefix == kOpenPrefix || prefix == kDeliveryPrefix) {
    if (auto id = DecodeId(key, prefix)) {
      return std::string(1, prefix) + "/" + std::to_string(*id);
    }
  } else if (prefix == kTranscriptPrefix) {
    if (auto parts = DecodeTranscriptKey(key)) {
      return "t/" + std::to_string(parts->session_id) + "/" + std::to_string(parts->index);
    }
  }
  const bool printable_prefix = prefix >= 0x21 && prefix <= 0x7e;
  std::string out = printable_prefix ? std::string(1, prefix) : "\\x";
  if (!printable_prefix) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", static_cast<uint8_t>(prefix));
    out += hex;
  }
  out += '/';
  std::string_view rest = key.substr(1);
  if (prefix == kMarkPrefix || prefix == kMetaPrefix) {
    // Client ids and meta names are usually text: quote them, escaping anything else.
    out += '"';
    for (char c : rest) {
      const auto u = static_cast<uint8_t>(c);
      if (u >= 0x20 && u <= 0x7e && c != '"' && c != '\\') {
        out += c;
      } else {
        char esc[5];
        std::snprintf(esc, sizeof esc, "\\x%02x", u);
        out += esc;
      }
    }
    out += '"';
    return out;
  }
  for (char c : rest) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", static_cast<uint8_t>(c));
    out += hex;
  }
  return out;
}

}  // namespace switchboard::store::keys
