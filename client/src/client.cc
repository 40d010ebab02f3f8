#include "switchboard/client/client.h"

#include <utility>

#include "connection.h"
#include "guard.h"

namespace switchboard::client {

using internal::ClosedError;
using internal::Guard;

Client::Client(std::unique_ptr<internal::Connection> connection) noexcept
    : connection_(std::move(connection)) {}
Client::~Client() = default;
Client::Client(Client&& other) noexcept = default;
Client& Client::operator=(Client&& other) noexcept = default;

std::vector<Event> Client::Poll(std::chrono::milliseconds timeout) noexcept {
  std::vector<Event> events;
  Poll(timeout, events);
  return events;
}

size_t Client::Poll(std::chrono::milliseconds timeout, std::vector<Event>& events) noexcept {
  if (connection_ == nullptr) {
    return 0;
  }
  const size_t before = events.size();
  try {
    return connection_->Poll(timeout, events);
  } catch (...) {
    // Out of memory, or a bug: report it like any other problem.
    try {
      ErrorEvent event;
      event.error = internal::CurrentExceptionError();
      event.origin = ErrorOrigin::kClient;
      events.push_back(std::move(event));
    } catch (...) {
    }
    return events.size() - before;
  }
}

Status Client::Ack(uint64_t delivery_id) noexcept {
  if (connection_ == nullptr) {
    return ClosedError();
  }
  return Guard([&] { return connection_->Ack(delivery_id); });
}

void Client::Flush() noexcept {
  if (connection_ == nullptr) {
    return;
  }
  try {
    connection_->Flush();
  } catch (...) {
    // Nothing was lost: the messages stay pending and go out at the next Poll.
  }
}

Status Client::WaitAllAcked(std::chrono::milliseconds timeout) noexcept {
  if (connection_ == nullptr) {
    return ClosedError();
  }
  return Guard([&] { return connection_->WaitAllAcked(timeout); });
}

const std::string& Client::client_id() const noexcept {
  static const std::string kNone;
  return connection_ == nullptr ? kNone : connection_->client_id();
}

uint64_t Client::epoch() const noexcept {
  return connection_ == nullptr ? 0 : connection_->epoch();
}

uint64_t Client::last_seq() const noexcept {
  return connection_ == nullptr ? 0 : connection_->last_seq();
}

uint64_t Client::acked_seq() const noexcept {
  return connection_ == nullptr ? 0 : connection_->acked_seq();
}

size_t Client::pending() const noexcept {
  return connection_ == nullptr ? 0 : connection_->pending();
}

size_t Client::credit() const noexcept {
  return connection_ == nullptr ? 0 : connection_->credit();
}

size_t Client::window() const noexcept {
  return connection_ == nullptr ? 0 : connection_->window();
}

bool Client::connected() const noexcept {
  return connection_ != nullptr && connection_->connected();
}

const BrokerInfo& Client::broker() const noexcept {
  static const BrokerInfo kNone;
  return connection_ == nullptr ? kNone : connection_->broker();
}

}  // namespace switchboard::client
