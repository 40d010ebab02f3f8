// RouterSocket: the broker's ZeroMQ ROUTER socket, with cppzmq's exceptions turned into
// Status values at this edge.
//
// ROUTER_MANDATORY is set, so a send to a vanished peer or to a peer at its high-water mark
// fails visibly (kUnreachable / kWouldBlock) instead of being dropped in silence.
//
// Thread rules: a RouterSocket is used by the thread that made it, only.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include <zmq.hpp>

#include "common/status.h"

namespace switchboard::transport {

enum class SendResult { kSent, kWouldBlock, kUnreachable };

struct RouterOptions {
  int send_hwm = 100000;     // frames queued per peer before sends would block
  int receive_hwm = 100000;  // frames queued per peer before the peer's sends block
  // ZeroMQ drops the connection of a peer that sends a larger message, before it is read
  // into memory. Set above the broker's frame limit, so that frames a little over that limit
  // still get a PayloadTooLarge answer and only absurd ones cost the connection. -1: none.
  int64_t max_message_bytes = -1;
};

class RouterSocket {
 public:
  explicit RouterSocket(zmq::context_t& context, const RouterOptions& options = {});

  // Binds to `endpoint` (tcp://host:port, tcp://host:* or ipc://path). Returns the endpoint
  // actually bound (with the port chosen for "*"). Fails with a message naming the endpoint.
  Result<std::string> Bind(const std::string& endpoint);

  // Receives one message without blocking: `peer` gets the routing id, `payload` the frame.
  // Returns false if nothing is waiting. A message with other than one payload part is
  // returned with `malformed` set (the peer is then known and can be told).
  bool TryReceive(zmq::message_t& peer, zmq::message_t& payload, bool& malformed);

  // Sends one frame to `peer` without blocking.
  SendResult Send(std::span<const std::byte> peer, std::span<const std::byte> payload);

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
};

}  // namespace switchboard::transport
