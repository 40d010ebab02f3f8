// The exception fence of the public API: every public function runs its body through
// Guard, which turns any exception that got this far (cppzmq's are handled deeper; this is
// for std::bad_alloc and bugs) into an Error of code kInternal.
#pragma once

#include <exception>
#include <string>

#include "switchboard/client/error.h"

namespace switchboard::client::internal {

// The Error for the exception being handled; call only inside a catch block.
inline Error CurrentExceptionError() {
  try {
    throw;
  } catch (const std::exception& e) {
    return Error{ErrorCode::kInternal, std::string("client library: ") + e.what()};
  } catch (...) {
    return Error{ErrorCode::kInternal, "client library: unknown exception"};
  }
}

inline Error ClosedError() {
  return Error{ErrorCode::kClosed, "this client object was moved from"};
}

// Runs `body` (returning Status or Result<T>) and fences its exceptions.
template <typename Body>
auto Guard(Body&& body) noexcept -> decltype(body()) {
  try {
    return body();
  } catch (...) {
    return CurrentExceptionError();
  }
}

}  // namespace switchboard::client::internal
