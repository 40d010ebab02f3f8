#include "switchboard/client/worker.h"

#include <utility>

#include "connection.h"
#include "guard.h"

namespace switchboard::client {

using internal::Guard;

Worker::Worker(std::unique_ptr<internal::Connection> connection) noexcept
    : Client(std::move(connection)) {}

Result<Worker> Worker::Connect(std::string_view endpoint, WorkerOptions options) noexcept {
  return Guard([&]() -> Result<Worker> {
    if (options.agent_id.empty()) {
      return Error{ErrorCode::kInvalidArgument, "WorkerOptions.agent_id is required"};
    }
    if (Status st = internal::CheckProfile(options.tier, options.skills, options.capacity,
                                           options.costs, options.attributes);
        !st.ok()) {
      return st.error();
    }
    internal::ConnectionConfig config;
    config.endpoint = std::string(endpoint);
    config.hello.role = Role::kWorker;
    config.hello.client_id = std::move(options.agent_id);
    config.hello.group = std::move(options.group);
    config.hello.skills = std::move(options.skills);
    config.hello.capacity = std::move(options.capacity);
    config.hello.tier = options.tier;
    config.hello.outsourced = options.outsourced;
    config.hello.budget = options.budget;
    config.hello.costs = std::move(options.costs);
    config.hello.attributes = std::move(options.attributes);
    config.heartbeat = options.heartbeat;
    config.window = options.window;
    config.connect_timeout = options.connect_timeout;
    config.auto_ack = options.auto_ack;
    auto connection = internal::Connection::Open(std::move(config));
    if (!connection.ok()) {
      return connection.error();
    }
    return Worker(std::move(connection).value());
  });
}

Result<uint64_t> Worker::Accept(const Offer& offer) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] {
    return connection()->Send(internal::AcceptRequest{offer.session_id, offer.attempt});
  });
}

Result<uint64_t> Worker::Reject(const Offer& offer, std::string_view reason) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] {
    return connection()->Send(
        internal::RejectRequest{offer.session_id, offer.attempt, std::string(reason)});
  });
}

Result<uint64_t> Worker::Reply(uint64_t session_id, std::string_view text) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] {
    return connection()->Send(internal::ReplyRequest{session_id, std::string(text)});
  });
}

Result<uint64_t> Worker::Close(uint64_t session_id, Disposition disposition) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] { return connection()->Send(internal::CloseRequest{session_id, disposition}); });
}

Result<uint64_t> Worker::UpdateProfile(const WorkerProfile& profile) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&]() -> Result<uint64_t> {
    auto seq = connection()->Send(internal::ProfileRequest{profile});
    if (seq.ok()) {
      connection()->SetHelloProfile(profile);  // a reconnect signs in with it
    }
    return seq;
  });
}

Result<uint64_t> Worker::SetPresence(Presence presence) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] { return connection()->Send(internal::PresenceRequest{presence}); });
}

Result<uint64_t> Worker::Ready(uint64_t session_id) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] { return connection()->Send(internal::ReadyRequest{session_id}); });
}

Result<uint64_t> Worker::Transfer(uint64_t session_id, std::string_view to_queue,
                                  std::string_view to_agent, std::string_view note) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] {
    return connection()->Send(internal::TransferRequest{session_id, std::string(to_queue),
                                                        std::string(to_agent), std::string(note)});
  });
}

Result<uint64_t> Worker::Escalate(uint64_t session_id, std::string_view note) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] {
    return connection()->Send(internal::EscalateRequest{session_id, std::string(note)});
  });
}

Result<uint64_t> Worker::Handoff(uint64_t session_id, std::string_view to_queue,
                                 std::string_view intent, std::string_view summary) noexcept {
  if (connection() == nullptr) {
    return internal::ClosedError();
  }
  return Guard([&] {
    return connection()->Send(internal::HandoffRequest{session_id, std::string(to_queue),
                                                       std::string(intent), std::string(summary)});
  });
}

}  // namespace switchboard::client
