#include "core/model.h"

namespace switchboard::core {

std::string_view ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kIm: return "im";
    case Channel::kPhone: return "phone";
    case Channel::kSocial: return "social";
    case Channel::kMerchant: return "merchant";
    case Channel::kProactive: return "proactive";
  }
  return "unknown";
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdapter: return "adapter";
    case Role::kWorker: return "worker";
    case Role::kService: return "service";
    case Role::kAdmin: return "admin";
  }
  return "unknown";
}

std::string_view DispositionName(Disposition disposition) {
  switch (disposition) {
    case Disposition::kResolved: return "resolved";
    case Disposition::kUnresolved: return "unresolved";
    case Disposition::kEscalated: return "escalated";
    case Disposition::kAbandoned: return "abandoned";
  }
  return "unknown";
}

}  // namespace switchboard::core
