// Between the Admin's public values (switchboard/client/admin.h) and the wire bodies of the
// admin lookups (schemas/wire.fbs): the requests it sends and the answers it receives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "protocol/frame.h"
#include "switchboard/client/admin.h"
#include "switchboard/client/error.h"
#include "wire_generated.h"

namespace switchboard::client::internal {

struct TranscriptLookup {
  uint64_t session_id = 0;
  uint32_t after_index = 0;
  uint32_t limit = 0;
};
struct SessionsLookup {
  std::string tenant;
  std::string customer_id;
  std::string agent_id;
  int64_t from_us = 0;
  int64_t to_us = 0;
  std::string cursor;
  uint32_t limit = 0;
};
struct QaLookup {
  int64_t from_us = 0;
  int64_t to_us = 0;
  bool recheck = false;
  std::string cursor;
  uint32_t limit = 0;
};
struct ArrivalsLookup {
  std::string queue;
  int64_t from_us = 0;
  int64_t to_us = 0;
  std::string cursor;
  uint32_t limit = 0;
};
struct ReloadRoutingCall {};
using AdminRequest =
    std::variant<TranscriptLookup, SessionsLookup, QaLookup, ArrivalsLookup, ReloadRoutingCall>;

// The broker's RoutingReloaded: the routing file was loaded.
struct RoutingReloadedAnswer {
  bool operator==(const RoutingReloadedAnswer&) const = default;
};

// The broker's answer to the admin request with `request_id`.
struct AdminAnswer {
  uint64_t request_id = 0;
  std::variant<Error, TranscriptPage, SessionsPage, ArrivalsPage, RoutingReloadedAnswer> body;
};

// Appends one envelope with seq 0 to `b`.
void EncodeAdminRequest(protocol::FrameBuilder& b, uint64_t request_id,
                        const AdminRequest& request);
// The answer in `env` (TranscriptPage, SessionsPage, ArrivalsPage or RoutingReloaded);
// nullopt for other bodies.
std::optional<AdminAnswer> AdminAnswerFromWire(const wire::Envelope& env);

}  // namespace switchboard::client::internal
