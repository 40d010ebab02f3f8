#include "payload.h"

#include <charconv>

namespace switchboard::bench {
namespace {

constexpr std::string_view kMagic = "SB1 ";

template <typename T>
void Put(std::string& out, T v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 24 characters hold any 64-bit integer
  out.append(buf, end);
  out += ' ';
}

template <typename T>
bool Take(std::string_view& s, T& v) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data() + s.size() || *end != ' ') {
    return false;
  }
  s.remove_prefix(static_cast<size_t>(end - s.data()) + 1);
  return true;
}

}  // namespace

void EncodePayload(const Payload& p, size_t size, std::string& out) {
  out.clear();
  out += kMagic;
  Put(out, p.customer);
  Put(out, p.index);
  Put(out, p.count);
  Put(out, p.intended_ns);
  Put(out, p.arrival_ns);
  Put(out, p.handle_ns);
  if (out.size() < size) {
    out.append(size - out.size(), '.');
  }
}

std::string EncodePayload(const Payload& p, size_t size) {
  std::string out;
  EncodePayload(p, size, out);
  return out;
}

std::optional<Payload> DecodePayload(std::string_view s) {
  if (s.substr(0, kMagic.size()) != kMagic) {
    return std::nullopt;
  }
  s.remove_prefix(kMagic.size());
  Payload p;
  if (!Take(s, p.customer) || !Take(s, p.index) || !Take(s, p.count) || !Take(s, p.intended_ns) ||
      !Take(s, p.arrival_ns) || !Take(s, p.handle_ns)) {
    return std::nullopt;
  }
  return p;
}

}  // namespace switchboard::bench
