#include "common/duration.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>

namespace storeflow {
namespace {

constexpr double kMsPerSecond = 1000.0;
constexpr double kMaxMs = 1e15;  // about 31,000 years: far beyond any timer, far below int64

Status DurationError(std::string_view text, std::string_view why) {
  std::string m = "invalid duration \"";
  m += text;
  m += "\": ";
  m += why;
  m += " (expected e.g. 500ms, 30s, 5m, 4h, 14d, 1h30m or ISO-8601 PT4H)";
  return InvalidArgument(std::move(m));
}

// Reads a non-negative decimal number at `pos`; returns false if there is none.
// ISO-8601 also allows a decimal comma.
bool ReadNumber(std::string_view s, size_t& pos, double& out, bool allow_comma) {
  size_t start = pos;
  bool digits = false;
  double value = 0;
  while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
    value = value * 10 + (s[pos] - '0');
    ++pos;
    digits = true;
  }
  if (pos < s.size() && (s[pos] == '.' || (allow_comma && s[pos] == ','))) {
    ++pos;
    double scale = 0.1;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      value += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      digits = true;
    }
  }
  if (!digits) {
    pos = start;
    return false;
  }
  out = value;
  return true;
}

Result<Duration> ToDuration(std::string_view text, double ms) {
  if (!std::isfinite(ms) || ms > kMaxMs) return DurationError(text, "too large");
  return Duration(static_cast<std::int64_t>(std::llround(ms)));
}

Result<Duration> ParseIso(std::string_view text) {
  // P[nW][nD][T[nH][nM][nS]]: each unit at most once, in this order.
  size_t pos = 1;
  bool in_time = false;
  bool any = false;
  bool any_time = false;
  int last_rank = -1;
  double ms = 0;
  while (pos < text.size()) {
    if (text[pos] == 'T' || text[pos] == 't') {
      if (in_time) return DurationError(text, "'T' appears twice");
      in_time = true;
      ++pos;
      continue;
    }
    double n = 0;
    if (!ReadNumber(text, pos, n, true)) return DurationError(text, "expected a number");
    if (pos >= text.size()) return DurationError(text, "number without a unit");
    char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text[pos++])));
    static constexpr std::string_view kDateUnits = "WD";
    static constexpr std::string_view kTimeUnits = "HMS";
    size_t idx = (in_time ? kTimeUnits : kDateUnits).find(unit);
    if (idx != std::string_view::npos) {
      int rank = static_cast<int>(idx) + (in_time ? 2 : 0);
      if (rank <= last_rank) {
        return DurationError(text, "units must appear once each, largest first");
      }
      last_rank = rank;
    }
    if (in_time) any_time = true;
    if (!in_time && unit == 'W') {
      ms += n * 7 * 86400 * kMsPerSecond;
    } else if (!in_time && unit == 'D') {
      ms += n * 86400 * kMsPerSecond;
    } else if (!in_time && (unit == 'Y' || unit == 'M')) {
      return DurationError(text, "years and months have no fixed length; use days");
    } else if (in_time && unit == 'H') {
      ms += n * 3600 * kMsPerSecond;
    } else if (in_time && unit == 'M') {
      ms += n * 60 * kMsPerSecond;
    } else if (in_time && unit == 'S') {
      ms += n * kMsPerSecond;
    } else {
      return DurationError(text, std::string("unexpected unit '") + unit + "'");
    }
    any = true;
  }
  if (!any) return DurationError(text, "no components");
  if (in_time && !any_time) return DurationError(text, "'T' must be followed by H, M or S");
  return ToDuration(text, ms);
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  if (text.empty()) return DurationError(text, "empty");
  if (text[0] == '-') return DurationError(text, "negative durations are not allowed");
  if (text[0] == 'P' || text[0] == 'p') return ParseIso(text);

  size_t pos = 0;
  double ms = 0;
  bool any = false;
  int last_rank = -1;  // units must go from largest to smallest, each at most once
  while (pos < text.size()) {
    double n = 0;
    if (!ReadNumber(text, pos, n, false)) {
      return DurationError(text, any ? "expected a number after the unit" : "expected a number");
    }
    size_t unit_start = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    std::string_view unit = text.substr(unit_start, pos - unit_start);
    static constexpr std::string_view kOrder[] = {"w", "d", "h", "m", "s", "ms"};
    for (int rank = 0; rank < 6; ++rank) {
      if (unit != kOrder[rank]) continue;
      if (rank <= last_rank) {
        return DurationError(text, "units must appear once each, largest first");
      }
      last_rank = rank;
    }
    if (unit == "ms") {
      ms += n;
    } else if (unit == "s") {
      ms += n * kMsPerSecond;
    } else if (unit == "m") {
      ms += n * 60 * kMsPerSecond;
    } else if (unit == "h") {
      ms += n * 3600 * kMsPerSecond;
    } else if (unit == "d") {
      ms += n * 86400 * kMsPerSecond;
    } else if (unit == "w") {
      ms += n * 7 * 86400 * kMsPerSecond;
    } else if (unit.empty()) {
      return DurationError(text, "number without a unit");
    } else {
      return DurationError(text, "unknown unit \"" + std::string(unit) + "\"");
    }
    any = true;
  }
  return ToDuration(text, ms);
}

std::string FormatDuration(Duration d) {
  const std::int64_t count = d.count();
  if (count == 0) return "0s";
  std::string out;
  // The magnitude as unsigned: -count overflows for the smallest count.
  std::uint64_t ms = static_cast<std::uint64_t>(count);
  if (count < 0) {
    out = "-";
    ms = 0 - ms;
  }
  struct Unit {
    std::uint64_t ms;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
  for (const Unit& u : kUnits) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms);
      out += u.name;
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace storeflow
