#include "time_text.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <regex>

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
  static const std::regex kIso(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)"
      R"((Z|[+-]\d{2}:?\d{2})?$)");
  std::smatch m;
  if (text.size() > 40 || !std::regex_match(text, m, kIso)) return std::nullopt;
  auto num = [&](int i) { return m[i].matched ? std::stoi(m[i].str()) : 0; };
  const int year = num(1), month = num(2), day = num(3), hour = num(4), minute = num(5),
            second = num(6);
  if (month < 1 || month > 12 || day < 1 || day > Poco::DateTime::daysOfMonth(year, month) ||
      hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  int millis = 0;
  if (m[7].matched) millis = std::stoi((m[7].str() + "00").substr(0, 3));
  int offset_minutes = kShopUtcOffsetMinutes;
  if (m[8].matched) {
    const std::string tz = m[8].str();
    if (tz == "Z") {
      offset_minutes = 0;
    } else {
      const std::string digits = tz.substr(1);
      const int hh = std::stoi(digits.substr(0, 2));
      const int mm = std::stoi(digits.substr(digits.size() - 2));
      if (hh > 23 || mm > 59) return std::nullopt;
      offset_minutes = (tz[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    }
  }
  const Poco::DateTime utc(year, month, day, hour, minute, std::min(second, 59), millis);
  return utc.timestamp().epochMicroseconds() / 1000 -
         static_cast<std::int64_t>(offset_minutes) * 60 * 1000;
}

}  // namespace storeflow::shopify_sim
