#pragma once

// ISO 8601 timestamps as Shopify writes them: REST with the shop's UTC offset
// ("2025-01-01T07:00:00-05:00"), GraphQL DateTime in UTC ("2025-01-01T12:00:00Z").

#include <cstdint>
#include <optional>
#include <string>

namespace storeflow::shopify_sim {

// The offset every simulated shop uses for REST timestamps (Eastern, no DST).
inline constexpr int kShopUtcOffsetMinutes = -5 * 60;

std::string FormatRestTime(std::int64_t epoch_ms);
std::string FormatUtcTime(std::int64_t epoch_ms);    // ...Z, no fraction
std::string FormatUtcTimeMs(std::int64_t epoch_ms);  // ...sssZ, milliseconds

// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm|-hh:mm)"; nullopt otherwise.
std::optional<std::int64_t> ParseIsoTime(const std::string& text);

}  // namespace storeflow::shopify_sim
