#include "transport/router_socket.h"

#include <cerrno>

namespace switchboard::transport {

RouterSocket::RouterSocket(zmq::context_t& context, const RouterOptions& options)
    : socket_(context, zmq::socket_type::router) {
  socket_.set(zmq::sockopt::router_mandatory, 1);
  socket_.set(zmq::sockopt::sndhwm, options.send_hwm);
  socket_.set(zmq::sockopt::rcvhwm, options.receive_hwm);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::maxmsgsize, options.max_message_bytes);
}

Result<std::string> RouterSocket::Bind(const std::string& endpoint) {
  try {
    socket_.bind(endpoint);
    return socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status(Code::kInternal, "cannot bind " + endpoint + ": " + e.what());
  }
}

bool RouterSocket::TryReceive(zmq::message_t& peer, zmq::message_t& payload, bool& malformed) {
  try {
    if (!socket_.recv(peer, zmq::recv_flags::dontwait)) {
      return false;
    }
    // The parts of one message arrive together, so the blocking receives below return at once.
    int parts = 1;
    bool more = peer.more();
    if (more) {
      (void)socket_.recv(payload, zmq::recv_flags::none);
      ++parts;
      more = payload.more();
    }
    while (more) {
      zmq::message_t rest;
      (void)socket_.recv(rest, zmq::recv_flags::none);
      ++parts;
      more = rest.more();
    }
    malformed = parts != 2;
    return true;
  } catch (const zmq::error_t&) {
    return false;
  }
}

SendResult RouterSocket::Send(std::span<const std::byte> peer,
                              std::span<const std::byte> payload) {
  try {
    if (!socket_.send(zmq::const_buffer(peer.data(), peer.size()),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return SendResult::kWouldBlock;
    }
    // With the first part accepted the second is too: ZeroMQ queues multipart atomically.
    (void)socket_.send(zmq::const_buffer(payload.data(), payload.size()),
                       zmq::send_flags::dontwait);
    return SendResult::kSent;
  } catch (const zmq::error_t& e) {
    return e.num() == EHOSTUNREACH ? SendResult::kUnreachable : SendResult::kWouldBlock;
  }
}

}  // namespace switchboard::transport
