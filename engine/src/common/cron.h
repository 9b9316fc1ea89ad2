#pragma once

// Cron schedules: the classic five fields (minute hour day-of-month month day-of-week),
// optionally preceded by a sixth, seconds field, compiled into bit sets and evaluated
// in a time zone's civil time.

#include <bitset>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/timezone.h"

namespace storeflow {

class CronSchedule {
 public:
  // What NextAfter returns when the schedule never fires again (cannot happen for a
  // schedule ParseCron accepted, within the search horizon of 30 years).
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

  // The text as written (without a CRON_TZ= prefix) and the zone it names ("" = none;
  // the caller picks a default, usually UTC).
  const std::string& expression() const { return expression_; }
  const std::string& timezone() const { return timezone_; }

  // True when the minute/hour of either field starts with '*': such schedules follow
  // the wall clock as it is (times skipped by a DST jump do not fire; times repeated by
  // a fall-back fire in both passes). Fixed-time schedules fire once per civil time:
  // a skipped time fires at the instant the jump leads to (02:30 -> 03:30), a
  // repeated time fires at its first occurrence.
  bool follows_wall_clock() const { return minute_star_ || hour_star_; }

  // Whether a civil time matches the fields (second 0 only, for five fields). Day-of-month and
  // day-of-week combine like Vixie cron: when both are restricted (neither starts
  // with '*'), a day matches if EITHER matches; otherwise both must.
  bool Matches(const CivilTime& t) const;

  // The first fire time strictly after `unix_seconds`, in `zone`'s civil time.
  std::int64_t NextAfter(std::int64_t unix_seconds, const TimeZone& zone) const;

 private:
  friend Result<CronSchedule> ParseCron(std::string_view text);

  bool DayMatches(int year, int month, int day) const;

  std::string expression_;
  std::string timezone_;
  std::bitset<60> seconds_;  // only bit 0 unless a sixth (leading) field was given
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool minute_star_ = false;
  bool hour_star_ = false;
  bool dom_star_ = false;
  bool dow_star_ = false;
};

// Parses "MIN HOUR DOM MONTH DOW", or "SEC MIN HOUR DOM MONTH DOW", where each field is a comma
// list of `*`, `N`, `N-M`, with an optional `/STEP` (`*/15`, `8-18/2`, `5/10` = 5-max/10). Months
// take JAN..DEC and days of week SUN..SAT (case-insensitive); day of week 7 is Sunday too. Macros:
// @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly. An optional leading
// "CRON_TZ=Zone/Name " (or "TZ=") sets timezone(); the zone is not loaded here. Errors name the
// field and the allowed range, and schedules that can never fire (e.g. "0 0 30 2 *") are refused.
Result<CronSchedule> ParseCron(std::string_view text);

}  // namespace storeflow
