// Service: a business service's connection to the broker (role Service). It reports
// business events the contact-centre numbers need: orders, for contacts per order.
//
//   ServiceOptions options;
//   options.client_id = "order-service-1";
//   auto service = Service::Connect("tcp://127.0.0.1:5570", options);
//   auto seq = service->ReportOrders("acme", "order-991");
//   (void)service->WaitAllAcked(std::chrono::seconds(5));
//
// Thread rules and the common functions (Poll, Flush, WaitAllAcked): see client.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "switchboard/client/client.h"
#include "switchboard/client/error.h"
#include "switchboard/client/types.h"

namespace switchboard::client {

struct ServiceOptions {
  // Required: the service's stable name. A second connection with the same name replaces
  // the first.
  std::string client_id;
  // How often to heartbeat when idle; the broker's Welcome may set another. Default 1 s.
  std::chrono::milliseconds heartbeat{1000};
  // The most reports sent and not yet acknowledged; more fail with kWouldBlock. Default 1000.
  size_t window = 1000;
  // How long Connect waits for the broker's Welcome. Default 5 s.
  std::chrono::milliseconds connect_timeout{5000};
};

class Service : public Client {
 public:
  // Connects to the broker at `endpoint` and signs in with role Service, blocking until the
  // Welcome, at most options.connect_timeout. Fails like Adapter::Connect.
  static Result<Service> Connect(std::string_view endpoint, ServiceOptions options) noexcept;

  // Reports `count` orders of `tenant` (one order, or a batch standing for several);
  // returns its seq, acknowledged like any message. `order_id` is informational (the
  // broker neither stores nor de-duplicates it); `at_us` (microseconds since the Unix
  // epoch, 0: unknown) likewise: the broker counts the orders when they arrive. The broker
  // answers an ErrorEvent (kBadRequest) for ids over its limit or a count over 1000000.
  // Fails, sending nothing, with kInvalidArgument for an empty tenant or a count of 0, and
  // kWouldBlock as Adapter::Send.
  Result<uint64_t> ReportOrders(std::string_view tenant, std::string_view order_id,
                                uint32_t count = 1, int64_t at_us = 0) noexcept;

 private:
  explicit Service(std::unique_ptr<internal::Connection> connection) noexcept;
};

}  // namespace switchboard::client
