// FakeBroker: a ZeroMQ ROUTER on tcp://127.0.0.1:* that a test drives by hand to play the
// broker: it receives the client's frames (verified with protocol::VerifyFrame) and sends
// whatever frames the test builds, garbage included. Plus helpers that wait, with a
// deadline, for the client's next event of a given kind.
//
// Thread rules: one thread, except that Connect may run on a helper thread while the test
// thread answers the Hello (see ConnectAdapter).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <zmq.hpp>

#include "protocol/frame.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/admin.h"
#include "switchboard/client/service.h"
#include "switchboard/client/worker.h"
#include "wire_generated.h"

namespace switchboard::client::testing {

using namespace std::chrono_literals;

// One frame received from a client.
struct ReceivedFrame {
  std::string peer;              // the client's routing id
  std::vector<std::byte> bytes;  // not necessarily aligned: read through frame()

  // The verified frame (a view into bytes); fails the test and returns null if it is not one.
  const wire::Frame* frame() const;
  size_t envelope_count() const;
  const wire::Envelope* envelope(size_t i) const;
  // The body types of the envelopes, in order.
  std::vector<wire::Body> types() const;

 private:
  mutable std::vector<uint64_t> aligned_;  // 8-byte aligned copy for FlatBuffers
};

struct WelcomeFields {
  uint64_t processed_seq = 0;
  uint32_t heartbeat_ms = 0;  // 0: let the client keep its own
  uint32_t max_frame_bytes = 1 << 20;
  uint32_t max_text_bytes = 4096;
  uint32_t credit = 1000;
  std::string broker_version = "fake-broker 0.0";
};

class FakeBroker {
 public:
  FakeBroker();
  ~FakeBroker();

  const std::string& endpoint() const { return endpoint_; }

  // Waits up to `timeout` for the next frame from any client.
  std::optional<ReceivedFrame> Receive(std::chrono::milliseconds timeout = 5s);
  // Waits for the next frame that is not only heartbeats (those are skipped).
  std::optional<ReceivedFrame> ReceiveSkippingHeartbeats(std::chrono::milliseconds timeout = 5s);

  void SendRaw(const std::string& peer, const void* data, size_t size);
  void Send(const std::string& peer, protocol::FrameBuilder& b);  // finishes and resets `b`
  void SendWelcome(const std::string& peer, const WelcomeFields& w = {});
  void SendAck(const std::string& peer, uint64_t up_to, uint32_t credit = 1000);
  void SendError(const std::string& peer, wire::ErrorCode code, const std::string& reason,
                 uint64_t ref_seq = 0, uint32_t position = 0, uint32_t expected_wait_ms = 0);
  void SendHeartbeat(const std::string& peer);
  // Deliver envelopes with the given delivery ids, all in one frame.
  void SendDeliveries(const std::string& peer, const std::vector<uint64_t>& ids,
                      uint64_t session_id = 1, const std::string& text = "hi");
  void SendClose(const std::string& peer, uint64_t delivery_id, uint64_t session_id,
                 wire::Disposition disposition);
  void SendOffer(const std::string& peer, uint64_t session_id, uint64_t attempt);

 private:
  zmq::context_t context_{1};
  zmq::socket_t router_;
  std::string endpoint_;
};

// Reads a client's events one kind at a time: WaitFor<T> polls until an event of type T
// arrives; events that came before it go to `others` (or are dropped), and events that came
// after it in the same Poll are kept for the next WaitFor.
class Inbox {
 public:
  template <typename T>
  std::optional<T> WaitFor(Client& client, std::chrono::milliseconds timeout = 5s,
                           std::vector<Event>* others = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      while (!kept_.empty()) {
        Event e = std::move(kept_.front());
        kept_.erase(kept_.begin());
        if (std::holds_alternative<T>(e)) {
          return std::get<T>(std::move(e));
        }
        if (others != nullptr) {
          others->push_back(std::move(e));
        }
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return std::nullopt;
      }
      client.Poll(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now), kept_);
    }
  }

 private:
  std::vector<Event> kept_;
};

// A client signed in to a FakeBroker, with the Hello the broker saw.
template <typename C>
struct Connected {
  std::optional<C> client;
  std::string peer;
  ReceivedFrame hello;
  Inbox inbox;
};

// Connects on a helper thread while this thread plays the broker: receives the Hello,
// answers `welcome`. Fails the test (client left empty) if anything goes wrong.
Connected<Adapter> ConnectAdapter(FakeBroker& broker, AdapterOptions options,
                                  const WelcomeFields& welcome = {});
Connected<Worker> ConnectWorker(FakeBroker& broker, WorkerOptions options,
                                const WelcomeFields& welcome = {});
Connected<Service> ConnectService(FakeBroker& broker, ServiceOptions options,
                                  const WelcomeFields& welcome = {});
Connected<Admin> ConnectAdmin(FakeBroker& broker, AdminOptions options,
                              const WelcomeFields& welcome = {});

}  // namespace switchboard::client::testing
