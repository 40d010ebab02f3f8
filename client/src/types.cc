// Names of the public enums, Error's text, and Result's bad-access report.
#include "switchboard/client/types.h"

#include <cstdio>
#include <cstdlib>

#include "switchboard/client/error.h"
#include "switchboard/client/events.h"

namespace switchboard::client {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "Ok";
    case ErrorCode::kBadFrame:
      return "BadFrame";
    case ErrorCode::kUnsupportedVersion:
      return "UnsupportedVersion";
    case ErrorCode::kUnknownBody:
      return "UnknownBody";
    case ErrorCode::kNotSignedIn:
      return "NotSignedIn";
    case ErrorCode::kBadRequest:
      return "BadRequest";
    case ErrorCode::kWrongRole:
      return "WrongRole";
    case ErrorCode::kUnknownSession:
      return "UnknownSession";
    case ErrorCode::kNotSessionOwner:
      return "NotSessionOwner";
    case ErrorCode::kStaleOffer:
      return "StaleOffer";
    case ErrorCode::kPayloadTooLarge:
      return "PayloadTooLarge";
    case ErrorCode::kBusy:
      return "Busy";
    case ErrorCode::kStoreFailure:
      return "StoreFailure";
    case ErrorCode::kShuttingDown:
      return "ShuttingDown";
    case ErrorCode::kInternal:
      return "Internal";
    case ErrorCode::kWouldBlock:
      return "WouldBlock";
    case ErrorCode::kTimeout:
      return "Timeout";
    case ErrorCode::kTransport:
      return "Transport";
    case ErrorCode::kInvalidArgument:
      return "InvalidArgument";
    case ErrorCode::kClosed:
      return "Closed";
    case ErrorCode::kDataLoss:
      return "DataLoss";
  }
  return "Unknown";
}

std::string Error::ToString() const {
  std::string out(code_name());
  if (code_name() == "Unknown") {
    out += "(" + std::to_string(static_cast<int>(code)) + ")";
  }
  out += ": ";
  out += reason;
  std::string extra;
  if (ref_seq != 0) {
    extra += "ref_seq " + std::to_string(ref_seq);
  }
  if (position != 0 || expected_wait_ms != 0) {
    extra += (extra.empty() ? "" : ", ") + std::string("position ") + std::to_string(position) +
             ", expected wait " + std::to_string(expected_wait_ms) + " ms";
  }
  if (!extra.empty()) {
    out += " (" + extra + ")";
  }
  return out;
}

namespace internal {
void DieOnBadAccess(const Error& error) {
  std::fprintf(stderr, "switchboard client: value() of a failed Result: %s\n",
               error.ToString().c_str());
  std::abort();
}
}  // namespace internal

std::string_view ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kIm:
      return "im";
    case Channel::kPhone:
      return "phone";
    case Channel::kSocial:
      return "social";
    case Channel::kMerchant:
      return "merchant";
    case Channel::kProactive:
      return "proactive";
  }
  return "unknown";
}

std::string_view PartyName(Party party) {
  switch (party) {
    case Party::kCustomer:
      return "customer";
    case Party::kAgent:
      return "agent";
    case Party::kSystem:
      return "system";
  }
  return "unknown";
}

std::string_view DispositionName(Disposition disposition) {
  switch (disposition) {
    case Disposition::kResolved:
      return "resolved";
    case Disposition::kUnresolved:
      return "unresolved";
    case Disposition::kEscalated:
      return "escalated";
    case Disposition::kAbandoned:
      return "abandoned";
  }
  return "unknown";
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdapter:
      return "adapter";
    case Role::kWorker:
      return "worker";
    case Role::kService:
      return "service";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Channel> ParseChannel(std::string_view name) {
  for (Channel c :
       {Channel::kIm, Channel::kPhone, Channel::kSocial, Channel::kMerchant, Channel::kProactive}) {
    if (EqualsIgnoringCase(name, ChannelName(c))) {
      return c;
    }
  }
  return std::nullopt;
}

std::optional<Disposition> ParseDisposition(std::string_view name) {
  for (Disposition d : {Disposition::kResolved, Disposition::kUnresolved, Disposition::kEscalated,
                        Disposition::kAbandoned}) {
    if (EqualsIgnoringCase(name, DispositionName(d))) {
      return d;
    }
  }
  return std::nullopt;
}

std::string_view PresenceName(Presence presence) {
  switch (presence) {
    case Presence::kAvailable:
      return "available";
    case Presence::kAway:
      return "away";
  }
  return "unknown";
}

std::string_view WithdrawReasonName(WithdrawReason reason) {
  switch (reason) {
    case WithdrawReason::kTakenByAnother:
      return "taken_by_another";
    case WithdrawReason::kContactLeft:
      return "contact_left";
    case WithdrawReason::kExpired:
      return "expired";
  }
  return "unknown";
}

std::string_view RequestKindName(RequestKind kind) {
  switch (kind) {
    case RequestKind::kUpdateProfile:
      return "AgentUpdate";
    case RequestKind::kPresence:
      return "Presence";
    case RequestKind::kReady:
      return "Ready";
    case RequestKind::kTransfer:
      return "Transfer";
    case RequestKind::kEscalate:
      return "Escalate";
    case RequestKind::kHandoff:
      return "Handoff";
    case RequestKind::kCustomerLeft:
      return "CustomerLeft";
    case RequestKind::kPositionRequest:
      return "PositionRequest";
    case RequestKind::kNone:
      return "None";
    case RequestKind::kCustomerMessage:
      return "CustomerMessage";
    case RequestKind::kAccept:
      return "Accept";
    case RequestKind::kReject:
      return "Reject";
    case RequestKind::kReply:
      return "Reply";
    case RequestKind::kClose:
      return "Close";
    case RequestKind::kRating:
      return "Rating";
    case RequestKind::kOrder:
      return "OrderReported";
  }
  return "Unknown";
}

}  // namespace switchboard::client
