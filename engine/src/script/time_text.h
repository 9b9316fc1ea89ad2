#pragma once

// ISO-8601 parsing and strftime-like formatting of instants in a TimeZone,
// without the C library's locale or TZ environment (used by the `time` helper).

#include <cstdint>
#include <string>
#include <string_view>

#include "common/timezone.h"

namespace storeflow::script {

// The instants the time helpers accept: years 1..9999.
inline constexpr std::int64_t kMinUnixSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr std::int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// Parses "2026-03-08T10:00:00Z", "2026-03-08T10:00:00.250+05:30",
// "2026-03-08 10:00", "2026-03-08T10:00:00-0500", "2026-03-08" into unix
// milliseconds (fraction digits beyond milliseconds are dropped). A date alone
// or a time without an offset is local time in `zone`. False when `text` is not
// such a timestamp or a field is out of range.
bool ParseIsoTimestamp(std::string_view text, const TimeZone& zone, std::int64_t* unix_ms) noexcept;

// Formats `unix_ms` in `zone`. An empty `format` gives ISO-8601 with the offset
// ("2026-03-08T05:00:00-05:00"; "Z" when the zone is UTC; ".250" only when there
// are milliseconds). Otherwise strftime-like: %Y %m %d %e %H %I %M %S %p %y %j
// %a %A %b %B %F %T %z %:z %Z %s %%. On an unknown conversion returns false with
// *out holding the error message. Never throws.
bool FormatTimestamp(std::int64_t unix_ms, const TimeZone& zone, std::string_view format,
                     std::string* out) noexcept;

}  // namespace storeflow::script
