#include "switchboard/client/adapter.h"

#include <utility>

#include "connection.h"
#include "guard.h"

namespace switchboard::client {

using internal::Guard;

namespace {

bool KnownChannel(Channel c) {
  return static_cast<int>(c) <= static_cast<int>(Channel::kProactive);
}

}  // namespace

Adapter::Adapter(std::unique_ptr<internal::Connection> connection) noexcept
    : Client(std::move(connection)) {}

Result<Adapter> Adapter::Connect(std::string_view endpoint, AdapterOptions options) noexcept {
  return Guard([&]() -> Result<Adapter> {
    if (options.client_id.empty()) {
      return Error{ErrorCode::kInvalidArgument, "AdapterOptions.client_id is required"};
    }
    for (Channel c : options.channels) {
      if (!KnownChannel(c)) {
        return Error{ErrorCode::kInvalidArgument,
                     "unknown channel " + std::to_string(static_cast<int>(c))};
      }
    }
    internal::ConnectionConfig config;
    config.endpoint = std::string(endpoint);
    config.hello.role = Role::kAdapter;
    config.hello.client_id = std::move(options.client_id);
    config.hello.channels = std::move(options.channels);
    config.hello.tenants = std::move(options.tenants);
    config.heartbeat = options.heartbeat;
    config.window = options.window;
    config.connect_timeout = options.connect_timeout;
    config.auto_ack = options.auto_ack;
    auto connection = internal::Connection::Open(std::move(config));
    if (!connection.ok()) {
      return connection.error();
    }
    return Adapter(std::move(connection).value());
  });
}

Result<uint64_t> Adapter::Send(const CustomerMessage& message) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] { return connection()->Send(message); });
}

Result<uint64_t> Adapter::Rate(uint64_t session_id, int rating) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] {
    return connection()->Send(internal::RatingRequest{session_id, rating});
  });
}

Result<uint64_t> Adapter::CustomerLeft(std::string_view tenant, Channel channel,
                                       std::string_view customer_id) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] {
    return connection()->Send(
        internal::CustomerLeftRequest{std::string(tenant), channel, std::string(customer_id)});
  });
}

Result<uint64_t> Adapter::RequestPosition(std::string_view tenant, Channel channel,
                                          std::string_view customer_id) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] {
    return connection()->Send(
        internal::PositionQuery{std::string(tenant), channel, std::string(customer_id)});
  });
}

}  // namespace switchboard::client
