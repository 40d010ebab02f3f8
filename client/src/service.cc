#include "switchboard/client/service.h"

#include <utility>

#include "connection.h"
#include "guard.h"

namespace switchboard::client {

using internal::Guard;

Service::Service(std::unique_ptr<internal::Connection> connection) noexcept
    : Client(std::move(connection)) {}

Result<Service> Service::Connect(std::string_view endpoint, ServiceOptions options) noexcept {
  return Guard([&]() -> Result<Service> {
    if (options.client_id.empty()) {
      return Error{ErrorCode::kInvalidArgument, "ServiceOptions.client_id is required"};
    }
    internal::ConnectionConfig config;
    config.endpoint = std::string(endpoint);
    config.hello.role = Role::kService;
    config.hello.client_id = std::move(options.client_id);
    config.heartbeat = options.heartbeat;
    config.window = options.window;
    config.connect_timeout = options.connect_timeout;
    auto connection = internal::Connection::Open(std::move(config));
    if (!connection.ok()) {
      return connection.error();
    }
    return Service(std::move(connection).value());
  });
}

Result<uint64_t> Service::ReportOrders(std::string_view tenant, std::string_view order_id,
                                       uint32_t count, int64_t at_us) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] {
    return connection()->Send(
        internal::OrderRequest{std::string(tenant), std::string(order_id), count, at_us});
  });
}

}  // namespace switchboard::client
