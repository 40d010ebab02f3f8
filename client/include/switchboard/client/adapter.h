// Adapter: a channel adapter's connection to the broker. It carries customers' messages in
// (Send) and receives what goes back out to them: agents' replies and system notices
// (Delivery) and session ends (SessionClosed); also a contact's place in its queue
// (Position) and its move to a fallback (Overflowed).
//
//   AdapterOptions options;
//   options.client_id = "im-gateway-1";
//   options.channels = {Channel::kIm};
//   auto adapter = Adapter::Connect("tcp://127.0.0.1:5570", options);
//   if (!adapter.ok()) { ... adapter.error().ToString() ... }
//   auto seq = adapter->Send({.tenant = "acme", .customer_id = "c-42", .text = "hello"});
//   for (const Event& event : adapter->Poll(std::chrono::milliseconds(100))) { ... }
//
// Thread rules and the common functions (Poll, Ack, Flush, WaitAllAcked): see client.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/client/client.h"
#include "switchboard/client/error.h"
#include "switchboard/client/types.h"

namespace switchboard::client {

struct AdapterOptions {
  // Required: the adapter's stable name. A second connection with the same name replaces
  // the first, and deliveries not yet acknowledged follow the name.
  std::string client_id;
  std::vector<Channel> channels;     // the channels it serves
  std::vector<std::string> tenants;  // the tenants it serves (sent; not used by the broker yet)
  // How often to heartbeat when idle; the broker's Welcome may set another. 3 intervals of
  // silence from the broker make the client reconnect. Default 1 s.
  std::chrono::milliseconds heartbeat{1000};
  // The most messages sent and not yet acknowledged; more fail with kWouldBlock. Default 1000.
  size_t window = 1000;
  // How long Connect waits for the broker's Welcome. Default 5 s.
  std::chrono::milliseconds connect_timeout{5000};
  // Acknowledge every delivery as soon as Poll returns it (at most once for the application:
  // a crash right after loses it). Default false: call Ack once handled.
  bool auto_ack = false;
};

class Adapter : public Client {
 public:
  // Connects to the broker at `endpoint` (tcp://host:port or ipc://path) and signs in,
  // blocking until the Welcome, at most options.connect_timeout. Fails with
  // kInvalidArgument (bad options), kTransport (ZeroMQ refused the endpoint), kTimeout (no
  // Welcome in time: is the broker running, is the endpoint right?) or the broker's own
  // error if it refused the Hello.
  static Result<Adapter> Connect(std::string_view endpoint, AdapterOptions options) noexcept;

  // Sends a customer's message; returns its seq. It goes out at the next Poll or Flush, and
  // Acked{up_to >= seq} tells it was stored (an ErrorEvent with error.ref_seq == seq comes
  // first if the broker refused it, e.g. kBusy). Fails, sending nothing, with kWouldBlock
  // when window() messages are pending (Poll until an Acked, then retry), kInvalidArgument
  // when tenant or customer_id is empty, kPayloadTooLarge when the text is over
  // broker().max_text_bytes. Copies what it needs from `message`.
  Result<uint64_t> Send(const CustomerMessage& message) noexcept;
  // The customer closed the chat or hung up: the broker closes the customer's open session as
  // abandoned (a SessionClosed follows; its agent, if any, is told). The broker answers
  // kUnknownSession if the customer has no open session. Fails, sending nothing, with
  // kWouldBlock as Send, kInvalidArgument for an empty tenant or customer id.
  Result<uint64_t> CustomerLeft(std::string_view tenant, Channel channel,
                                std::string_view customer_id) noexcept;
  // Asks the customer's place in its queue; a Position event answers (kUnknownSession if the
  // customer has no open session). Fails like CustomerLeft.
  Result<uint64_t> RequestPosition(std::string_view tenant, Channel channel,
                                   std::string_view customer_id) noexcept;

  // Reports the customer's satisfaction rating (CSAT, 1 to 5) of a session, usually after
  // it closed; returns its seq, acknowledged like a message. The broker takes one rating
  // per session, for a session open or among its recently closed ones (docs/metrics.md):
  // otherwise an ErrorEvent (kBadRequest, kUnknownSession) with error.ref_seq == seq and
  // request kRating. Fails, sending nothing, with kInvalidArgument for session id 0 or a
  // rating outside 1-5, and kWouldBlock as Send. The rating is counted in the broker's
  // metrics; it is not stored with the session.
  Result<uint64_t> Rate(uint64_t session_id, int rating) noexcept;

 private:
  explicit Adapter(std::unique_ptr<internal::Connection> connection) noexcept;
};

}  // namespace switchboard::client
