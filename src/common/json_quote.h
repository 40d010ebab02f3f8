// JsonQuote: a string as a JSON string literal (quotes, escapes for quotes, backslashes and
// control characters; other bytes as they are, so UTF-8 passes through). Shared by the tools
// that print JSON (switchboard-bench, switchboard-admin).
#pragma once

#include <string>
#include <string_view>

namespace switchboard {

std::string JsonQuote(std::string_view s);

}  // namespace switchboard
