#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace storeflow {

using Duration = std::chrono::milliseconds;

// Parses a duration written as
//   - one or more number+unit pairs: "500ms", "30s", "5m", "4h", "14d", "1h30m", "1.5s"
//     (units: ms, s, m, h, d, w, largest first and each at most once; fractions allowed;
//     result rounded to milliseconds), or
//   - ISO-8601: "PT4H", "P1DT2H30M", "PT0.5S", "P2W" (no years or months: their length varies;
//     components in the standard order; a 'T' must be followed by H, M or S).
// Negative durations are refused. Errors say what was expected.
Result<Duration> ParseDuration(std::string_view text);

// The shortest form ParseDuration reads back to the same value: "4h", "1h30m", "500ms", "0s".
std::string FormatDuration(Duration d);

}  // namespace storeflow
