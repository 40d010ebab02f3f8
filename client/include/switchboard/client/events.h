// What Client::Poll returns: a std::variant of everything that can happen on a connection.
//
// Typical use:
//   for (auto& event : adapter.Poll(std::chrono::milliseconds(100))) {
//     std::visit(Overloaded{
//         [&](const Delivery& d) { Show(d); (void)adapter.Ack(d.delivery_id); },
//         [&](const ErrorEvent& e) { Log(e.error.ToString()); },
//         [](const auto&) {}},
//         event);
//   }
//
// Plain values; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "switchboard/client/error.h"
#include "switchboard/client/types.h"

namespace switchboard::client {

// The broker processed every message of this client with seq <= up_to (stored, or answered
// by an ErrorEvent that came before this event). Reported only when up_to grows.
struct Acked {
  uint64_t up_to = 0;

  bool operator==(const Acked&) const = default;
};

// Where an ErrorEvent comes from.
enum class ErrorOrigin : uint8_t {
  kBroker,  // the broker sent an Error envelope
  kClient,  // the library found the problem: an unreadable frame from the broker, a body
            // the client does not expect, a protocol violation, a ZeroMQ failure
};

// Which kind of message an error answers.
enum class RequestKind : uint8_t {
  kNone,
  kCustomerMessage,
  kAccept,
  kReject,
  kReply,
  kClose,
  kRating,
  kOrder,
  kUpdateProfile,
  kPresence,
  kReady,
  kTransfer,
  kEscalate,
  kHandoff,
  kCustomerLeft,
  kPositionRequest,
};
std::string_view RequestKindName(RequestKind kind);  // "CustomerMessage", ... , "None"

// Something went wrong. For a broker error naming one of this client's messages
// (error.ref_seq != 0), the fields after `origin` describe that message, so an adapter can
// tell the right customer (for kBusy, for example) and a worker the right session. The
// message still counts as processed: the broker's Acked covers it later.
// The connection goes on after any ErrorEvent; the library handles kNotSignedIn itself
// (it signs in again) and never reports it here.
struct ErrorEvent {
  Error error;
  ErrorOrigin origin = ErrorOrigin::kBroker;
  RequestKind request = RequestKind::kNone;
  // kAccept, kReject, kReply, kClose, kRating, kReady, kTransfer, kEscalate, kHandoff
  uint64_t session_id = 0;
  std::string tenant;              // kCustomerMessage, kOrder, kCustomerLeft, kPositionRequest
  Channel channel = Channel::kIm;  // kCustomerMessage, kCustomerLeft, kPositionRequest
  std::string customer_id;         // the same
};

// The connection to the broker was lost (silence past 3 heartbeats, or the broker no longer
// knew this client): the library is signing in again. Messages sent meanwhile wait in the
// window and go out after the Welcome; nothing is lost.
struct Disconnected {
  std::string reason;
};

// Signed in again after a Disconnected. The broker had processed every seq <=
// processed_seq; the `resent` messages after it were sent again, in order.
struct Reconnected {
  uint64_t processed_seq = 0;
  size_t resent = 0;
};

using Event = std::variant<Delivery, SessionClosed, Offer, Acked, ErrorEvent, Disconnected,
                           Reconnected, OfferWithdrawn, PresenceChanged, Position, Overflowed>;

// Builds a visitor out of lambdas, for std::visit over an Event.
template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace switchboard::client
