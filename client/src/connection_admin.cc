// Connection's admin lookups: requests outside the window of numbered messages, answered by
// request id. Kept apart from connection.cc, which handles the numbered traffic.
#include <algorithm>
#include <utility>

#include "connection.h"

namespace switchboard::client::internal {
namespace {

// Answers kept for Call; more are stale (their Call timed out) and dropped oldest first.
constexpr size_t kMaxKeptAnswers = 8;
// How soon to try again a request that could not be sent (no connection, or it would block).
constexpr Millis kRetrySend{10};

}  // namespace

void Connection::KeepAdminAnswer(AdminAnswer answer) {
  if (admin_answers_.size() >= kMaxKeptAnswers) {
    admin_answers_.pop_front();
  }
  admin_answers_.push_back(std::move(answer));
}

Result<AdminAnswer> Connection::Call(const AdminRequest& request, Millis timeout) {
  const uint64_t request_id = ++last_request_id_;
  admin_answers_.clear();  // answers to earlier calls come too late for them
  const TimePoint deadline = SteadyClock::now() + std::max(timeout, Millis(0));
  bool sent = false;  // on the current sign-in
  for (;;) {
    Step();
    if (state_ != State::kReady) {
      sent = false;  // signing in again: the broker may not have seen it; ask again after
    }
    for (auto it = admin_answers_.begin(); it != admin_answers_.end(); ++it) {
      if (it->request_id == request_id) {
        AdminAnswer answer = std::move(*it);
        admin_answers_.erase(it);
        if (const Error* error = std::get_if<Error>(&answer.body)) {
          return *error;
        }
        return answer;
      }
    }
    if (!sent && state_ == State::kReady && socket_.has_value() && !socket_failed_) {
      builder_.Reset();
      EncodeAdminRequest(builder_, request_id, request);
      sent = SendBuilt();
    }
    const TimePoint now = SteadyClock::now();
    if (now >= deadline) {
      return Error{ErrorCode::kTimeout,
                   "no answer from the broker to admin request " + std::to_string(request_id) +
                       " within " + std::to_string(timeout.count()) + " ms" +
                       (state_ == State::kReady ? "" : "; not signed in to the broker")};
    }
    Wait(sent ? std::min(deadline, NextTimer()) : std::min(deadline, now + kRetrySend));
  }
}

}  // namespace switchboard::client::internal
