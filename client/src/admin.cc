#include "switchboard/client/admin.h"

#include <utility>

#include "connection.h"
#include "guard.h"

namespace switchboard::client {

using internal::Guard;

namespace {

template <typename Page>
Result<Page> Take(Result<internal::AdminAnswer> answer) {
  if (!answer.ok()) {
    return answer.error();
  }
  if (Page* page = std::get_if<Page>(&answer->body)) {
    return std::move(*page);
  }
  return Error{ErrorCode::kInternal, "the broker answered an admin request with another page kind"};
}

}  // namespace

std::string_view SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kQueued:
      return "queued";
    case SessionState::kOffered:
      return "offered";
    case SessionState::kActive:
      return "active";
    case SessionState::kClosed:
      return "closed";
  }
  return "unknown";
}

Admin::Admin(std::unique_ptr<internal::Connection> connection) noexcept
    : Client(std::move(connection)) {}

Result<Admin> Admin::Connect(std::string_view endpoint, AdminOptions options) noexcept {
  return Guard([&]() -> Result<Admin> {
    if (options.client_id.empty()) {
      return Error{ErrorCode::kInvalidArgument, "AdminOptions.client_id is required"};
    }
    internal::ConnectionConfig config;
    config.endpoint = std::string(endpoint);
    config.hello.role = Role::kAdmin;
    config.hello.client_id = std::move(options.client_id);
    config.heartbeat = options.heartbeat;
    config.connect_timeout = options.connect_timeout;
    auto connection = internal::Connection::Open(std::move(config));
    if (!connection.ok()) {
      return connection.error();
    }
    return Admin(std::move(connection).value());
  });
}

Result<TranscriptPage> Admin::Transcript(uint64_t session_id, uint32_t after_index, uint32_t limit,
                                         std::chrono::milliseconds timeout) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  if (session_id == 0) {
    return Error{ErrorCode::kInvalidArgument, "session id 0 names no session"};
  }
  return Guard([&]() -> Result<TranscriptPage> {
    return Take<TranscriptPage>(
        connection()->Call(internal::TranscriptLookup{session_id, after_index, limit}, timeout));
  });
}

Result<SessionsPage> Admin::SessionsOfCustomer(std::string_view tenant,
                                               std::string_view customer_id, int64_t from_us,
                                               int64_t to_us, std::string_view cursor,
                                               uint32_t limit,
                                               std::chrono::milliseconds timeout) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  if (tenant.empty() || customer_id.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "the sessions of a customer need a tenant and a "
                 "customer id"};
  }
  return Guard([&]() -> Result<SessionsPage> {
    internal::SessionsLookup lookup;
    lookup.tenant = std::string(tenant);
    lookup.customer_id = std::string(customer_id);
    lookup.from_us = from_us;
    lookup.to_us = to_us;
    lookup.cursor = std::string(cursor);
    lookup.limit = limit;
    return Take<SessionsPage>(connection()->Call(lookup, timeout));
  });
}

Result<SessionsPage> Admin::SessionsOfAgent(std::string_view agent_id, int64_t from_us,
                                            int64_t to_us, std::string_view cursor, uint32_t limit,
                                            std::chrono::milliseconds timeout) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  if (agent_id.empty()) {
    return Error{ErrorCode::kInvalidArgument, "the sessions of an agent need an agent id"};
  }
  return Guard([&]() -> Result<SessionsPage> {
    internal::SessionsLookup lookup;
    lookup.agent_id = std::string(agent_id);
    lookup.from_us = from_us;
    lookup.to_us = to_us;
    lookup.cursor = std::string(cursor);
    lookup.limit = limit;
    return Take<SessionsPage>(connection()->Call(lookup, timeout));
  });
}

Result<SessionsPage> Admin::QaSessions(int64_t from_us, int64_t to_us, bool recheck,
                                       std::string_view cursor, uint32_t limit,
                                       std::chrono::milliseconds timeout) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&]() -> Result<SessionsPage> {
    internal::QaLookup lookup;
    lookup.from_us = from_us;
    lookup.to_us = to_us;
    lookup.recheck = recheck;
    lookup.cursor = std::string(cursor);
    lookup.limit = limit;
    return Take<SessionsPage>(connection()->Call(lookup, timeout));
  });
}

Result<ArrivalsPage> Admin::Arrivals(std::string_view queue, int64_t from_us, int64_t to_us,
                                     std::string_view cursor, uint32_t limit,
                                     std::chrono::milliseconds timeout) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&]() -> Result<ArrivalsPage> {
    internal::ArrivalsLookup lookup;
    lookup.queue = std::string(queue);
    lookup.from_us = from_us;
    lookup.to_us = to_us;
    lookup.cursor = std::string(cursor);
    lookup.limit = limit;
    return Take<ArrivalsPage>(connection()->Call(lookup, timeout));
  });
}

Status Admin::ReloadRouting(std::chrono::milliseconds timeout) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&]() -> Status {
    auto answer = connection()->Call(internal::ReloadRoutingCall{}, timeout);
    if (!answer.ok()) {
      return answer.error();
    }
    if (!std::holds_alternative<internal::RoutingReloadedAnswer>(answer->body)) {
      return Error{ErrorCode::kInternal, "the broker answered ReloadRouting with a page"};
    }
    return Status::Ok();
  });
}

}  // namespace switchboard::client
