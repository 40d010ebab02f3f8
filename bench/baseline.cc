#include "baseline.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include <zmq.hpp>

namespace switchboard::bench {

BaselineResult MeasureRelay(size_t message_size, double seconds) {
  BaselineResult result;
  using Clock = std::chrono::steady_clock;
  try {
    zmq::context_t relay_ctx(1);
    zmq::context_t producer_ctx(1);
    zmq::context_t consumer_ctx(1);
    zmq::socket_t front(relay_ctx, zmq::socket_type::router);
    zmq::socket_t back(relay_ctx, zmq::socket_type::dealer);
    front.set(zmq::sockopt::linger, 0);
    back.set(zmq::sockopt::linger, 0);
    front.bind("tcp://127.0.0.1:*");
    back.bind("tcp://127.0.0.1:*");
    const std::string front_ep = front.get(zmq::sockopt::last_endpoint);
    const std::string back_ep = back.get(zmq::sockopt::last_endpoint);

    std::atomic<uint64_t> received{0};
    Clock::time_point first{};
    Clock::time_point last{};
    std::string consumer_error;
    std::thread consumer([&] {
      try {
        zmq::socket_t in(consumer_ctx, zmq::socket_type::dealer);
        in.set(zmq::sockopt::linger, 0);
        in.set(zmq::sockopt::rcvtimeo, 5000);
        in.connect(back_ep);
        uint64_t n = 0;
        zmq::message_t m;
        for (;;) {
          if (!in.recv(m, zmq::recv_flags::none)) {
            consumer_error = "the consumer heard nothing for 5 s";
            break;
          }
          if (m.size() == 0) {
            break;  // the producer's end marker
          }
          if (n == 0) {
            first = Clock::now();
          }
          ++n;
          last = Clock::now();
        }
        received = n;
      } catch (const zmq::error_t& e) {
        consumer_error = e.what();
      }
    });
    std::thread relay([&] {
      try {
        zmq::message_t id;
        zmq::message_t payload;
        for (;;) {
          if (!front.recv(id, zmq::recv_flags::none) ||
              !front.recv(payload, zmq::recv_flags::none)) {
            break;
          }
          const bool end = payload.size() == 0;
          back.send(payload, zmq::send_flags::none);
          if (end) {
            break;
          }
        }
      } catch (const zmq::error_t&) {
        // The context is going away: the run is over.
      }
    });
    {
      zmq::socket_t out(producer_ctx, zmq::socket_type::dealer);
      out.set(zmq::sockopt::linger, 5000);
      out.set(zmq::sockopt::sndtimeo, 5000);
      out.connect(front_ep);
      std::string body(message_size, 'x');
      const auto stop = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds));
      uint64_t sent = 0;
      while ((sent & 1023) != 0 || Clock::now() < stop) {
        std::memcpy(body.data(), &sent, std::min(sizeof sent, body.size()));
        if (!out.send(zmq::buffer(body), zmq::send_flags::none)) {
          break;  // blocked for 5 s: the consumer reports what went wrong
        }
        ++sent;
      }
      (void)out.send(zmq::message_t(), zmq::send_flags::none);
      consumer.join();
      if (!consumer_error.empty()) {
        relay_ctx.shutdown();  // unblocks the relay's receive
      }
      relay.join();
    }
    result.messages = received;
    result.seconds = std::chrono::duration<double>(last - first).count();
    result.error = consumer_error;
    if (result.seconds > 0) {
      result.msgs_per_s = static_cast<double>(result.messages) / result.seconds;
    }
  } catch (const zmq::error_t& e) {
    result.error = std::string("ZeroMQ: ") + e.what();
  }
  return result;
}

}  // namespace switchboard::bench
