#pragma once

// The date of an email's `Date:` header (RFC 5322, section 3.3), as the email plugin
// writes it and mail servers keep it: "Tue, 10 Mar 2026 09:00:00 +0000" (the day
// name optional).

#include <cstdint>
#include <optional>
#include <string_view>

namespace storeflow {

// Milliseconds since the epoch (UTC); nullopt when `text` is not such a date.
std::optional<std::int64_t> ParseMailDateMs(std::string_view text);

}  // namespace storeflow
