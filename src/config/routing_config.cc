#include "config/routing_config.h"

namespace switchboard::config {

Result<core::routing::RoutingConfig> LoadRoutingConfig(std::string_view, std::string_view) {
  return Status(Code::kInternal, "not implemented yet");
}

Result<core::routing::RoutingConfig> LoadRoutingConfigFile(const std::string&) {
  return Status(Code::kInternal, "not implemented yet");
}

}  // namespace switchboard::config
