// The routing configuration file: TOML in, a checked routing::RoutingConfig out.
//
// All routing settings live under the `[routing]` table; keys outside it belong to other
// parts of the broker and are ignored here. Inside it, unknown keys are errors. Every error
// names the source, the line and the field, e.g.
//   routing.toml:14: queue "complaints": step 2: pool: column 7: unknown scope 'agnt'
// The format is described in docs/routing.md. Stateless functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "core/routing/config.h"

namespace switchboard::config {

// Parses `toml_text` and returns the routing configuration after RoutingConfig::Validate().
// `source_name` starts every error message (a file name, or "<inline>"). A text without a
// `[routing]` table is an error (use RoutingConfig::Default() when there is no file).
// Fails with kBadRequest.
Result<core::routing::RoutingConfig> LoadRoutingConfig(std::string_view toml_text,
                                                       std::string_view source_name);

// Reads the file at `path` and loads it as above, naming it by `path` in errors. A file that
// cannot be read fails with kBadRequest naming the path and the reason.
Result<core::routing::RoutingConfig> LoadRoutingConfigFile(const std::string& path);

}  // namespace switchboard::config
