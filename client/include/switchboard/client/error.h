// Errors of the switchboard client library: codes, the Error value, Status and Result<T>.
//
// Nothing in the client library throws: what can fail returns a Status or a Result<T>, and
// what goes wrong on the connection later arrives as an ErrorEvent from Poll (events.h).
// The codes below 1000 are the broker's wire codes (schemas/wire.fbs, ErrorCode), numbered
// alike; codes from 1000 are found by the library itself and never appear on the wire.
//
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace switchboard::client {

enum class ErrorCode : uint16_t {
  kOk = 0,
  // --- Wire codes, as the broker sends them (see schemas/wire.fbs for their meaning). ---
  kBadFrame = 1,
  kUnsupportedVersion = 2,
  kUnknownBody = 3,
  kNotSignedIn = 4,
  kBadRequest = 5,
  kWrongRole = 6,
  kUnknownSession = 7,
  kNotSessionOwner = 8,
  kStaleOffer = 9,
  kPayloadTooLarge = 10,  // also returned by Send when a text is over the broker's limit
  kBusy = 11,             // see Error::position and Error::expected_wait_ms
  kStoreFailure = 12,
  kShuttingDown = 13,
  kInternal = 14,  // also used for a bug (or out of memory) inside the client library
  // --- Client-side codes; never on the wire. ---
  kWouldBlock = 1000,       // the window of unacknowledged messages is full: Poll, then retry
  kTimeout = 1001,          // Connect got no Welcome in time; WaitAllAcked ran out of time
  kTransport = 1002,        // ZeroMQ refused (for example a malformed endpoint)
  kInvalidArgument = 1003,  // a call's argument is invalid; nothing was sent
  kClosed = 1004,           // the object was moved from
  // The broker lost messages it had acknowledged (its store lost recent writes, e.g. an OS
  // crash in fast durability mode): reported as an ErrorEvent; the client goes on with a
  // new epoch.
  kDataLoss = 1005,
};

// The code's name without the "k" ("Busy", "WouldBlock"), or "Unknown" for a code this
// build does not know (a newer broker's).
std::string_view ErrorCodeName(ErrorCode code);

// An error, from the broker (an Error envelope) or from the library.
struct Error {
  ErrorCode code = ErrorCode::kOk;
  std::string reason;  // human-readable; for logs, not for parsing
  // The seq of the message the broker's error answers; 0 when it answers a whole frame or
  // the connection, and for errors found by the library.
  uint64_t ref_seq = 0;
  uint32_t position = 0;          // kBusy: place in the queue
  uint32_t expected_wait_ms = 0;  // kBusy: the broker's estimate of the wait

  std::string_view code_name() const { return ErrorCodeName(code); }
  // "Busy: queue full (ref_seq 12, position 40, expected wait 30000 ms)".
  std::string ToString() const;
};

// The outcome of an operation that returns nothing else: ok, or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  static Status Ok() { return Status(); }

  bool ok() const { return error_.code == ErrorCode::kOk; }
  ErrorCode code() const { return error_.code; }
  // The error; code kOk and an empty reason when ok().
  const Error& error() const { return error_; }
  std::string ToString() const { return ok() ? std::string("Ok") : error_.ToString(); }

 private:
  Error error_;
};

namespace internal {
// Prints the error and aborts; used by Result<T> on a bad access.
[[noreturn]] void DieOnBadAccess(const Error& error);
}  // namespace internal

// A value or an Error. Reading value() of a failed Result is a bug: it prints the error and
// aborts (it does not throw).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}     // NOLINT: implicit
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {  // NOLINT: implicit
    if (std::get<1>(data_).code == ErrorCode::kOk) {
      std::get<1>(data_) = Error{ErrorCode::kInternal, "Result made from an ok Error"};
    }
  }
  Result(Status status) : Result(status.error()) {}  // NOLINT: implicit by design

  bool ok() const { return data_.index() == 0; }
  ErrorCode code() const { return ok() ? ErrorCode::kOk : std::get<1>(data_).code; }
  // The error; code kOk when ok().
  const Error& error() const {
    static const Error kNoError;
    return ok() ? kNoError : std::get<1>(data_);
  }
  Status status() const { return ok() ? Status() : Status(std::get<1>(data_)); }

  T& value() & {
    CheckOk();
    return std::get<0>(data_);
  }
  const T& value() const& {
    CheckOk();
    return std::get<0>(data_);
  }
  T&& value() && {
    CheckOk();
    return std::get<0>(std::move(data_));
  }
  T value_or(T fallback) const& { return ok() ? std::get<0>(data_) : std::move(fallback); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  void CheckOk() const {
    if (!ok()) {
      internal::DieOnBadAccess(std::get<1>(data_));
    }
  }

  std::variant<T, Error> data_;
};

}  // namespace switchboard::client
