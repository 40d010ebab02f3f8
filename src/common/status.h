// Status and Result<T>: errors as values (see docs/architecture.md, "Errors").
//
// A Status is a code and a message. The codes are numbered exactly as wire::ErrorCode in
// schemas/wire.fbs (src/protocol checks this at compile time), so a rejection in the core
// becomes a wire Error without translation tables. Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace switchboard {

enum class Code : uint16_t {
  kOk = 0,
  kBadFrame = 1,
  kUnsupportedVersion = 2,
  kUnknownBody = 3,
  kNotSignedIn = 4,
  kBadRequest = 5,
  kWrongRole = 6,
  kUnknownSession = 7,
  kNotSessionOwner = 8,
  kStaleOffer = 9,
  kPayloadTooLarge = 10,
  kBusy = 11,
  kStoreFailure = 12,
  kShuttingDown = 13,
  kInternal = 14,
};

// The wire name of a code ("BadFrame"), for logs and metric labels.
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "BadRequest: text is missing"
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or a failed Status. Accessing value() of a failed Result is a bug (aborts).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(data_).ok()) {
      data_ = Status(Code::kInternal, "Result constructed from an ok Status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace switchboard
