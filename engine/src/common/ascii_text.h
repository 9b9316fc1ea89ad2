#pragma once

// ASCII-only text helpers for protocol tokens (header values, host names):
// no locale, no Unicode case folding.

#include <string>
#include <string_view>

namespace storeflow {

// `text` with A-Z lowered.
std::string AsciiLower(std::string_view text);
// `text` without leading and trailing spaces, tabs, CR and LF.
std::string_view TrimAsciiSpace(std::string_view text);

}  // namespace storeflow
