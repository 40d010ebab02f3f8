#include "common/status.h"

namespace switchboard {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "Ok";
    case Code::kBadFrame: return "BadFrame";
    case Code::kUnsupportedVersion: return "UnsupportedVersion";
    case Code::kUnknownBody: return "UnknownBody";
    case Code::kNotSignedIn: return "NotSignedIn";
    case Code::kBadRequest: return "BadRequest";
    case Code::kWrongRole: return "WrongRole";
    case Code::kUnknownSession: return "UnknownSession";
    case Code::kNotSessionOwner: return "NotSessionOwner";
    case Code::kStaleOffer: return "StaleOffer";
    case Code::kPayloadTooLarge: return "PayloadTooLarge";
    case Code::kBusy: return "Busy";
    case Code::kStoreFailure: return "StoreFailure";
    case Code::kShuttingDown: return "ShuttingDown";
    case Code::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) {
    return "Ok";
  }
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace switchboard
