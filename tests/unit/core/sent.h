// Test helper for the core's unit tests: what a turn sent to one client.
#pragma once

#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/broker_core.h"

namespace switchboard::core::test_support {

// The bodies of type T in `out` for `client`, in order. Deliveries are held shared
// (SharedDelivery); Sent<Delivery> returns copies of them.
template <typename T>
std::vector<T> Sent(const TurnOutput& out, const std::string& client) {
  std::vector<T> found;
  for (const Outgoing& o : out.outgoing) {
    if (o.client_id != client) {
      continue;
    }
    if constexpr (std::is_same_v<T, Delivery>) {
      if (const auto* d = std::get_if<SharedDelivery>(&o.body)) {
        found.push_back(**d);
      }
    } else if (const T* body = std::get_if<T>(&o.body)) {
      found.push_back(*body);
    }
  }
  return found;
}

}  // namespace switchboard::core::test_support
