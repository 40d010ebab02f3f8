// Client: what every connection to a switchboard broker does, whatever its role. Adapter
// (adapter.h), Worker (worker.h) and Service (service.h) add the messages of their role.
//
// A client is one ZeroMQ DEALER socket to the broker, signed in with a Hello. Messages the
// application sends get a sequence number (seq, from 1) and wait in a window until the
// broker acknowledges them; messages sent between two flushes travel together in one frame.
// The library heartbeats, notices a silent broker (3 heartbeats) and signs in again on a
// fresh socket, re-sending what the broker had not processed; deliveries the broker sends
// again after such a reconnect are dropped, so the application sees each one once.
//
// Thread rules: a client object is driven by one thread at a time (it may move between
// threads with the usual happens-before, e.g. a join). It starts no threads of its own:
// nothing happens between calls, so call Poll (or WaitAllAcked) at least every heartbeat
// interval, or the broker will count the client as gone. Objects on different threads are
// independent. All clients of a process share one ZeroMQ context (and its one I/O thread).
//
// Errors: no function throws. A moved-from object answers kClosed (or nothing, for Poll).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/client/error.h"
#include "switchboard/client/events.h"
#include "switchboard/client/types.h"

namespace switchboard::client {

namespace internal {
class Connection;
}  // namespace internal

// What the broker said of itself in its last Welcome.
struct BrokerInfo {
  std::string version;
  uint16_t protocol_version = 0;
  std::chrono::milliseconds heartbeat{0};  // the interval in use (the broker's, or ours)
  uint32_t max_frame_bytes = 0;            // the largest frame the library sends
  uint32_t max_text_bytes = 0;             // longer texts are refused with kPayloadTooLarge on Send
};

class Client {
 public:
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;

  // Sends what is waiting (see Flush), then waits up to `timeout` for something to happen
  // and returns as soon as there is at least one event, or empty when the timeout passes. A
  // zero timeout never blocks. Also keeps the connection alive: heartbeats, dead-broker
  // detection, signing in again. Returns at most a few hundred frames' worth of events; call
  // again for more. Never fails: problems arrive as ErrorEvent, Disconnected, Reconnected.
  std::vector<Event> Poll(std::chrono::milliseconds timeout) noexcept;
  // The same, appending to `events` (reuse one vector to avoid allocations); returns how
  // many events it appended.
  size_t Poll(std::chrono::milliseconds timeout, std::vector<Event>& events) noexcept;

  // Marks the delivery (Delivery or SessionClosed) with this id as handled. The broker is
  // told with one cumulative Ack at the next Poll or Flush, covering every delivery up to
  // the highest id such that all received before it are handled too: acknowledging out of
  // order is fine, and nothing is acknowledged before it is handled. Acknowledging an id
  // twice is fine. Fails with kInvalidArgument for an id this object never delivered.
  // With auto_ack set in the options, deliveries are handled on arrival and this is a no-op.
  Status Ack(uint64_t delivery_id) noexcept;

  // Sends now the messages and the Ack waiting since the last flush, as few frames as the
  // broker's max_frame_bytes allows (usually one). Does not wait for anything. While the
  // client is signing in again the messages wait for the Welcome instead.
  void Flush() noexcept;

  // Polls until the broker has acknowledged every message sent so far (pending() == 0).
  // Events that arrive meanwhile are kept, in order, for the next Poll. Fails with kTimeout
  // when the time runs out first.
  Status WaitAllAcked(std::chrono::milliseconds timeout) noexcept;

  // The name this client signs in with (an adapter's name, a worker's agent id).
  const std::string& client_id() const noexcept;
  // This object's incarnation on the wire (microseconds since the Unix epoch when it was
  // made). It changes only if the broker lost messages it had acknowledged (ErrorEvent
  // kDataLoss); the seqs the library returns keep counting up regardless.
  uint64_t epoch() const noexcept;
  // The seq of the last message sent (0 before the first).
  uint64_t last_seq() const noexcept;
  // The broker has processed every message with seq <= acked_seq().
  uint64_t acked_seq() const noexcept;
  // Messages sent and not yet acknowledged (including those still waiting for a flush).
  size_t pending() const noexcept;
  // The most messages that can be pending; sending more fails with kWouldBlock.
  size_t window() const noexcept;
  // What the broker allows outstanding now (its credit, from the last Welcome or Ack). When
  // the broker is behind it lowers this, down to 0; sending past min(window, credit) fails
  // with kWouldBlock, and an Acked event says when the broker grants more.
  size_t credit() const noexcept;
  // Signed in right now (false while signing in again after a Disconnected).
  bool connected() const noexcept;
  // What the broker said in its last Welcome.
  const BrokerInfo& broker() const noexcept;

 protected:
  explicit Client(std::unique_ptr<internal::Connection> connection) noexcept;
  // Not virtual: clients are not deleted through a Client pointer.
  ~Client();

  internal::Connection* connection() const noexcept { return connection_.get(); }

 private:
  std::unique_ptr<internal::Connection> connection_;
};

}  // namespace switchboard::client
