// Connection: the engine behind every public client. One ZeroMQ DEALER socket to the broker,
// the sign-in (Hello / Welcome), the window of unacknowledged messages and their re-sending,
// batching into frames, cumulative acks of deliveries and their de-duplication, heartbeats
// and the detection of a silent broker.
//
// It is a state machine driven by the caller's thread: nothing happens between calls. Each
// Step drains what the socket holds, checks the timers, then sends what is due. ZeroMQ's
// exceptions stop here (they become ErrorEvents or Errors); other exceptions (out of memory)
// are caught by the public classes.
//
// Thread rules: one thread at a time, like the public classes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "admin_wire.h"
#include "protocol/frame.h"
#include "switchboard/client/client.h"
#include "switchboard/client/error.h"
#include "switchboard/client/events.h"
#include "switchboard/client/types.h"
#include "wire_convert.h"

namespace switchboard::client::internal {

using SteadyClock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// At most this many frames are read per step, so one Poll returns in bounded time.
constexpr int kMaxFramesPerStep = 256;

struct ConnectionConfig {
  std::string endpoint;
  HelloFields hello;
  Millis heartbeat{1000};  // > 0
  size_t window = 1000;    // > 0
  Millis connect_timeout{5000};
  bool auto_ack = false;
};

class Connection {
 public:
  // Opens the socket and signs in, blocking until the Welcome, at most
  // config.connect_timeout. Fails with kTransport, kTimeout or the broker's refusal.
  static Result<std::unique_ptr<Connection>> Open(ConnectionConfig config);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Checks `request`, gives it the next seq and puts it in the window; it goes out at the
  // next flush (after the Welcome while signing in again).
  Result<uint64_t> Send(Request request);
  size_t Poll(Millis timeout, std::vector<Event>& out);
  Status Ack(uint64_t delivery_id);
  void Flush();
  Status WaitAllAcked(Millis timeout);
  // An admin lookup (connection_admin.cc): sends `request` at once with seq 0, outside the
  // window, under a new request id, and steps the connection until its answer, at most
  // `timeout`; events wait for the next Poll. Asks again if the connection signs in again
  // first. Fails with kTimeout, or with the broker's Error for the request.
  Result<AdminAnswer> Call(const AdminRequest& request, Millis timeout);

  // A worker's new profile, for the Hello of every later sign-in.
  void SetHelloProfile(const WorkerProfile& profile);

  const std::string& client_id() const { return config_.hello.client_id; }
  uint64_t epoch() const { return epoch_; }
  uint64_t last_seq() const { return last_seq_; }
  uint64_t acked_seq() const { return acked_seq_; }
  size_t pending() const { return pending_.size(); }
  size_t window() const { return config_.window; }
  uint32_t credit() const { return credit_; }
  bool connected() const { return state_ == State::kReady; }
  const BrokerInfo& broker() const { return broker_; }

 private:
  enum class State {
    kSigningIn,  // Hello not sent yet, or sent and no Welcome yet: only Hello goes out
    kReady,      // welcomed on this socket
  };
  struct Pending {
    uint64_t seq = 0;
    Request request;
  };
  // A delivery handed to the application and not yet covered by an Ack we sent.
  struct Received {
    uint64_t id = 0;
    bool handled = false;
  };
  using TimePoint = SteadyClock::time_point;

  Connection(ConnectionConfig config, std::shared_ptr<zmq::context_t> context);

  void Step();
  Status OpenSocket(TimePoint now);  // replaces any socket; starts signing in
  void CloseSocket();
  // Starts over on a fresh socket (a new routing id).
  void Reconnect(TimePoint now, const std::string& reason);
  // Signs in again on the same socket (the broker forgot us).
  void SignInAgain(TimePoint now, const std::string& reason);
  void Drain(TimePoint now);
  void HandleFrame(std::span<const std::byte> bytes, TimePoint now);
  void HandleWelcome(const wire::Welcome& welcome, TimePoint now);
  void HandleAck(uint64_t up_to, uint32_t credit);
  void HandleError(const wire::Error& error, TimePoint now);
  // De-duplicates a delivery id and records it for acknowledgement; false: drop it.
  bool TakeDelivery(uint64_t delivery_id);
  void DropAcked(uint64_t up_to);
  void CheckTimers(TimePoint now);
  void FlushOutput(TimePoint now);
  bool SendHello();
  bool SendBuilt();  // sends builder_'s frame; false if it would block or failed
  bool WantsToWrite() const;
  TimePoint NextTimer() const;
  void Wait(TimePoint until);
  Millis heartbeat() const { return broker_.heartbeat; }
  size_t max_frame_bytes() const { return broker_.max_frame_bytes; }
  void ReportClientError(ErrorCode code, std::string reason);
  // Keeps an answer to an admin request for Call (a few at most: older ones are stale).
  void KeepAdminAnswer(AdminAnswer answer);

  ConnectionConfig config_;
  std::shared_ptr<zmq::context_t> context_;  // shared by every connection of the process
  std::optional<zmq::socket_t> socket_;      // empty only after a failed re-open
  uint64_t epoch_;
  // The seqs the application sees count up for the object's life; on the wire each epoch
  // counts from 1: wire seq = seq - wire_offset_. Non-zero only after a kDataLoss.
  uint64_t wire_offset_ = 0;

  State state_ = State::kSigningIn;
  bool hello_sent_ = false;     // on the current sign-in
  bool welcomed_ = false;       // a Welcome came at least once (later ones are reconnects)
  bool socket_failed_ = false;  // ZeroMQ failed on this socket: replace it after a heartbeat
  bool blocked_ = false;        // the last send would have blocked: wait for POLLOUT
  std::optional<Error> hello_refused_;  // the broker's answer to our Hello, if not a Welcome
  TimePoint socket_opened_{};
  TimePoint sign_in_started_{};
  TimePoint last_received_{};
  TimePoint last_sent_{};  // or tried to send a heartbeat
  TimePoint last_step_{};  // the last Step: a long gap means the application did not poll

  BrokerInfo broker_;

  // Outgoing: seqs last_seq_ - pending_.size() + 1 .. last_seq_, contiguous, all > acked_seq_.
  uint64_t last_seq_ = 0;
  uint64_t acked_seq_ = 0;
  uint32_t credit_ = 0;  // from the last Welcome or Ack: how many may be outstanding
  std::deque<Pending> pending_;
  size_t unsent_ = 0;  // index in pending_ of the first message not sent since the Welcome

  // Incoming deliveries: ids <= highest_delivery_ were handed over once already.
  uint64_t highest_delivery_ = 0;
  uint64_t delivery_ack_ = 0;      // every delivery <= it is handled; what Ack{} says
  bool ack_dirty_ = false;         // delivery_ack_ must be (re)sent
  std::deque<Received> received_;  // ids > delivery_ack_, increasing

  std::vector<Event> events_;  // produced, not yet returned by Poll
  protocol::FrameBuilder builder_;
  std::vector<uint64_t> scratch_;  // an aligned copy of a received frame, when needed

  uint64_t last_request_id_ = 0;           // of admin requests
  std::deque<AdminAnswer> admin_answers_;  // received, not yet taken by Call
};

}  // namespace switchboard::client::internal
