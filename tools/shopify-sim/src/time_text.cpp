#include "time_text.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

#include <algorithm>

namespace storeflow::shopify_sim {
namespace {

Poco::Timestamp ToTimestamp(std::int64_t epoch_ms) {
  return Poco::Timestamp(static_cast<Poco::Timestamp::TimeVal>(epoch_ms) * 1000);
}

}  // namespace

std::string FormatRestTime(std::int64_t epoch_ms) {
  const int tzd = kShopUtcOffsetMinutes * 60;
  Poco::DateTime local(ToTimestamp(epoch_ms + static_cast<std::int64_t>(tzd) * 1000));
  return Poco::DateTimeFormatter::format(local, "%Y-%m-%dT%H:%M:%S%z", tzd);
}

std::string FormatUtcTime(std::int64_t epoch_ms) {
  return Poco::DateTimeFormatter::format(ToTimestamp(epoch_ms), "%Y-%m-%dT%H:%M:%SZ");
}

std::string FormatUtcTimeMs(std::int64_t epoch_ms) {
  return Poco::DateTimeFormatter::format(ToTimestamp(epoch_ms), "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::optional<std::int64_t> ParseIsoTime(const std::string& text) {
  // YYYY-MM-DD[THH:MM[:SS[.fff...]]][Z|+hh:mm|-hh:mm|+hhmm]; no offset: the shop's zone.
  std::size_t i = 0;
  auto digits = [&](std::size_t n, int* out) {
    if (i + n > text.size()) return false;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const char c = text[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i += n;
    *out = v;
    return true;
  };
  auto literal = [&](char c) {
    if (i < text.size() && text[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (text.size() > 40 || !digits(4, &year) || !literal('-') || !digits(2, &month) ||
      !literal('-') || !digits(2, &day)) {
    return std::nullopt;
  }
  if (literal('T') || literal(' ')) {
    if (!digits(2, &hour) || !literal(':') || !digits(2, &minute)) return std::nullopt;
    if (literal(':')) {
      if (!digits(2, &second)) return std::nullopt;
      if (literal('.')) {
        int scale = 100;
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
          millis += (text[i] - '0') * scale;
          scale /= 10;
          ++i;
        }
        if (i == start) return std::nullopt;
      }
    }
  }
  int offset_minutes = kShopUtcOffsetMinutes;
  if (literal('Z')) {
    offset_minutes = 0;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    const int sign = text[i] == '-' ? -1 : 1;
    ++i;
    int hh = 0, mm = 0;
    if (!digits(2, &hh)) return std::nullopt;
    literal(':');
    if (!digits(2, &mm) || hh > 23 || mm > 59) return std::nullopt;
    offset_minutes = sign * (hh * 60 + mm);
  }
  if (i != text.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > Poco::DateTime::daysOfMonth(year, month) ||
      hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  const Poco::DateTime utc(year, month, day, hour, minute, std::min(second, 59), millis);
  return utc.timestamp().epochMicroseconds() / 1000 -
         static_cast<std::int64_t>(offset_minutes) * 60 * 1000;
}

}  // namespace storeflow::shopify_sim
