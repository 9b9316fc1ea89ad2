#include "common/mail_date.h"

#include <cstdio>
#include <string>

#include "common/timezone.h"

namespace storeflow {

std::optional<std::int64_t> ParseMailDateMs(std::string_view text) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::size_t comma = text.find(',');
  const std::string rest(comma == std::string_view::npos ? text : text.substr(comma + 1));
  int day = 0, year = 0, hour = 0, minute = 0, second = 0, offset = 0;
  char month[4] = {0};
  if (std::sscanf(rest.c_str(), " %d %3s %d %d:%d:%d %d", &day, month, &year, &hour, &minute,
                  &second, &offset) != 7) {
    return std::nullopt;
  }
  int mo = 0;
  for (int i = 0; i < 12; ++i) {
    if (std::string_view(month) == kMonths[i]) mo = i + 1;
  }
  if (mo == 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  const int sign = offset < 0 ? -1 : 1;
  const int magnitude = offset * sign;
  const std::int64_t seconds = DaysFromCivil(year, mo, day) * 86'400 + hour * 3'600 + minute * 60 +
                               second - sign * ((magnitude / 100) * 3'600 + (magnitude % 100) * 60);
  return seconds * 1'000;
}

}  // namespace storeflow
