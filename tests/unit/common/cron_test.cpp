#include "common/cron.h"

#include <gtest/gtest.h>

#include "common/timezone.h"

namespace storeflow {
namespace {

std::int64_t Utc(int y, int mo, int d, int h = 0, int mi = 0) {
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

CronSchedule Cron(std::string_view text) {
  Result<CronSchedule> c = ParseCron(text);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().ToString();
  return c.ok() ? *c : CronSchedule{};
}

std::string Error(std::string_view text) {
  Result<CronSchedule> c = ParseCron(text);
  EXPECT_FALSE(c.ok()) << text << " was accepted";
  return c.ok() ? "" : c.status().message();
}

std::shared_ptr<const TimeZone> Zone(std::string_view name) {
  auto z = TimeZone::Load(name);
  EXPECT_TRUE(z.ok()) << z.status().ToString();
  return z.ok() ? *z : TimeZone::Utc();
}

CivilTime At(int y, int mo, int d, int h, int mi) {
  CivilTime c;
  c.year = y;
  c.month = mo;
  c.day = d;
  c.hour = h;
  c.minute = mi;
  return c;
}

TEST(CronParseTest, FieldsListsRangesSteps) {
  CronSchedule c = Cron("*/15 8-18/2 * * *");
  EXPECT_TRUE(c.Matches(At(2024, 5, 6, 8, 0)));
  EXPECT_TRUE(c.Matches(At(2024, 5, 6, 18, 45)));
  EXPECT_FALSE(c.Matches(At(2024, 5, 6, 9, 0)));  // 8-18/2: even hours only
  EXPECT_FALSE(c.Matches(At(2024, 5, 6, 8, 10)));
  CronSchedule list = Cron("0,30 1,13 1 1,7 *");
  EXPECT_TRUE(list.Matches(At(2024, 7, 1, 13, 30)));
  EXPECT_FALSE(list.Matches(At(2024, 7, 2, 13, 30)));
  CronSchedule open_step = Cron("5/20 * * * *");  // 5, 25, 45
  EXPECT_TRUE(open_step.Matches(At(2024, 1, 1, 0, 45)));
  EXPECT_FALSE(open_step.Matches(At(2024, 1, 1, 0, 50)));
}

TEST(CronParseTest, NamesAndSunday7) {
  CronSchedule c = Cron("0 9 * jan-MAR Mon-FRI");
  EXPECT_TRUE(c.Matches(At(2024, 2, 5, 9, 0)));    // Monday
  EXPECT_FALSE(c.Matches(At(2024, 2, 10, 9, 0)));  // Saturday
  EXPECT_FALSE(c.Matches(At(2024, 4, 1, 9, 0)));   // April
  CronSchedule sunday = Cron("0 0 * * 7");
  EXPECT_TRUE(sunday.Matches(At(2024, 2, 4, 0, 0)));  // a Sunday
  EXPECT_TRUE(Cron("0 0 * * 5-7").Matches(At(2024, 2, 4, 0, 0)));
  // `7/2` starts at Sunday-as-7: Sunday alone (the fuzzer found it matched no day).
  CronSchedule stepped = Cron("5 5 * 5 7/2");
  EXPECT_TRUE(stepped.Matches(At(2024, 5, 5, 5, 5)));             // a Sunday in May
  EXPECT_FALSE(stepped.Matches(At(2024, 5, 6, 5, 5)));            // Monday
  EXPECT_EQ(stepped.NextAfter(0, *TimeZone::Utc()), 10'559'100);  // 1970-05-03 05:05
}

TEST(CronParseTest, MacrosAndTimezonePrefix) {
  EXPECT_EQ(Cron("@daily").expression(), "0 0 * * *");
  EXPECT_EQ(Cron("@hourly").expression(), "0 * * * *");
  EXPECT_EQ(Cron("@weekly").expression(), "0 0 * * 0");
  EXPECT_EQ(Cron("@monthly").expression(), "0 0 1 * *");
  EXPECT_EQ(Cron("@yearly").expression(), "0 0 1 1 *");
  CronSchedule c = Cron("CRON_TZ=Europe/Berlin 0 3 * * *");
  EXPECT_EQ(c.timezone(), "Europe/Berlin");
  EXPECT_EQ(c.expression(), "0 3 * * *");
  EXPECT_EQ(Cron("  0 3 * * *  ").timezone(), "");
}

TEST(CronParseTest, Errors) {
  EXPECT_NE(Error("0 3 * *").find("expected 5 fields"), std::string::npos);
  EXPECT_NE(Error("0 0 3 * * * *").find("or 6 with a leading second, got 7"), std::string::npos);
  EXPECT_NE(Error("60 * * * * *").find("second 60 is out of range 0-59"), std::string::npos);
  EXPECT_NE(Error("").find("empty"), std::string::npos);
  EXPECT_NE(Error("0 25 * * *").find("hour 25 is out of range 0-23"), std::string::npos);
  EXPECT_NE(Error("60 * * * *").find("minute 60 is out of range 0-59"), std::string::npos);
  EXPECT_NE(Error("0 0 0 * *").find("day-of-month 0 is out of range 1-31"), std::string::npos);
  EXPECT_NE(Error("0 0 * 13 *").find("month 13 is out of range 1-12"), std::string::npos);
  EXPECT_NE(Error("0 0 * * 8").find("day-of-week 8 is out of range 0-7"), std::string::npos);
  EXPECT_NE(Error("0 5-2 * * *").find("range 5-2 in hour goes backwards"), std::string::npos);
  EXPECT_NE(Error("*/0 * * * *").find("step 0"), std::string::npos);
  EXPECT_NE(Error("*/x * * * *").find("must be a positive number"), std::string::npos);
  EXPECT_NE(Error("0 0 * FOO *").find("unknown month \"FOO\" (use 1-12 or JAN..DEC)"),
            std::string::npos);
  EXPECT_NE(Error("0 0 ? * *").find("'?' is not supported"), std::string::npos);
  EXPECT_NE(Error("1,,2 * * * *").find("empty list item"), std::string::npos);
  EXPECT_NE(Error("0 0 30 2 *").find("never occurs"), std::string::npos);
  EXPECT_NE(Error("@reboot").find("unknown macro"), std::string::npos);
  // Every message quotes the schedule.
  EXPECT_NE(Error("0 25 * * *").find("invalid cron \"0 25 * * *\""), std::string::npos);
}

TEST(CronSecondsTest, ASixthLeadingFieldIsTheSecond) {
  CronSchedule every_5s = Cron("*/5 * * * * *");
  const std::int64_t t = Utc(2026, 11, 21, 10, 0);
  EXPECT_EQ(every_5s.NextAfter(t, *TimeZone::Utc()), t + 5);
  EXPECT_EQ(every_5s.NextAfter(t + 3, *TimeZone::Utc()), t + 5);
  EXPECT_EQ(every_5s.NextAfter(t + 55, *TimeZone::Utc()), t + 60);
  CivilTime at = At(2026, 11, 21, 10, 0);
  at.second = 10;
  EXPECT_TRUE(every_5s.Matches(at));
  at.second = 11;
  EXPECT_FALSE(every_5s.Matches(at));

  // Seconds combine with the other fields: 30 s past 03:15 each day.
  CronSchedule daily = Cron("30 15 3 * * *");
  EXPECT_EQ(daily.NextAfter(Utc(2026, 11, 21, 3, 15) + 30, *TimeZone::Utc()),
            Utc(2026, 11, 22, 3, 15) + 30);
  EXPECT_EQ(daily.NextAfter(Utc(2026, 11, 21, 3, 15), *TimeZone::Utc()),
            Utc(2026, 11, 21, 3, 15) + 30);

  // Five fields still fire at second 0 only.
  CronSchedule minutely = Cron("* * * * *");
  EXPECT_EQ(minutely.NextAfter(t + 1, *TimeZone::Utc()), t + 60);
}

TEST(CronParseTest, Feb29IsPossible) {
  EXPECT_TRUE(ParseCron("0 0 29 2 *").ok());
}

TEST(CronNextTest, StrictlyAfterInUtc) {
  CronSchedule c = Cron("0 3 * * *");
  auto utc = TimeZone::Utc();
  EXPECT_EQ(c.NextAfter(Utc(2024, 1, 1, 2, 59), *utc), Utc(2024, 1, 1, 3, 0));
  EXPECT_EQ(c.NextAfter(Utc(2024, 1, 1, 3, 0), *utc), Utc(2024, 1, 2, 3, 0));
  EXPECT_EQ(c.NextAfter(Utc(2024, 12, 31, 4, 0), *utc), Utc(2025, 1, 1, 3, 0));
  EXPECT_EQ(Cron("*/15 * * * *").NextAfter(Utc(2024, 1, 1, 0, 0) + 1, *utc),
            Utc(2024, 1, 1, 0, 15));
}

TEST(CronNextTest, InAZone) {
  // 03:00 in Berlin is 02:00 UTC in winter, 01:00 UTC in summer.
  auto berlin = Zone("Europe/Berlin");
  CronSchedule c = Cron("0 3 * * *");
  EXPECT_EQ(c.NextAfter(Utc(2024, 1, 15), *berlin), Utc(2024, 1, 15, 2, 0));
  EXPECT_EQ(c.NextAfter(Utc(2024, 7, 15), *berlin), Utc(2024, 7, 15, 1, 0));
}

TEST(CronNextTest, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  auto utc = TimeZone::Utc();
  CronSchedule c = Cron("0 0 1 * MON");                              // the 1st OR any Monday
  EXPECT_EQ(c.NextAfter(Utc(2024, 9, 3), *utc), Utc(2024, 9, 9));    // Tue -> Mon 9th
  EXPECT_EQ(c.NextAfter(Utc(2024, 9, 24), *utc), Utc(2024, 9, 30));  // Tue -> Mon 30th
  EXPECT_EQ(c.NextAfter(Utc(2024, 9, 30), *utc), Utc(2024, 10, 1));  // Mon -> Tue the 1st
  // With '*' in one of them both must match: odd days that are Mondays.
  CronSchedule both = Cron("0 0 */2 * MON");
  EXPECT_EQ(both.NextAfter(Utc(2024, 9, 3), *utc), Utc(2024, 9, 9));
  EXPECT_EQ(both.NextAfter(Utc(2024, 9, 9), *utc), Utc(2024, 9, 23));
}

TEST(CronNextTest, LeapDayYearsAhead) {
  auto utc = TimeZone::Utc();
  EXPECT_EQ(Cron("0 0 29 2 *").NextAfter(Utc(2025, 3, 1), *utc), Utc(2028, 2, 29));
}

// Fuzz finding (tests/fuzz/findings/cron-leap-sunday-1.bin): Feb 29 that is a
// Sunday (`*/15` over 0-6 is Sunday alone; a `*`-led field means AND). After
// 2088 the next is 2128: 2100 is no leap year, so the gap is 40 years, beyond
// the old 30-year search.
TEST(CronNextTest, LeapDayOnAWeekdayDecadesAhead) {
  auto utc = TimeZone::Utc();
  CronSchedule c = Cron("0 0 29 2 */15");
  EXPECT_EQ(c.NextAfter(Utc(2025, 1, 1), *utc), Utc(2032, 2, 29));
  EXPECT_EQ(c.NextAfter(Utc(2093, 11, 15), *utc), Utc(2128, 2, 29));
  // With both fields restricted it is Feb 29 OR a Monday in February instead.
  EXPECT_EQ(Cron("0 0 29 2 MON").NextAfter(Utc(2093, 11, 15), *utc), Utc(2094, 2, 1));
  auto berlin = Zone("Europe/Berlin");
  EXPECT_EQ(c.NextAfter(Utc(2093, 11, 15), *berlin), Utc(2128, 2, 28, 23, 0));
}

// America/New_York, 2024-03-10: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
TEST(CronDstTest, SpringForwardFixedTimeFiresAfterTheJump) {
  auto ny = Zone("America/New_York");
  CronSchedule c = Cron("30 2 * * *");
  EXPECT_EQ(c.NextAfter(Utc(2024, 3, 10, 5, 0), *ny), Utc(2024, 3, 10, 7, 30));  // 03:30 EDT
  EXPECT_EQ(c.NextAfter(Utc(2024, 3, 10, 7, 30), *ny), Utc(2024, 3, 11, 6, 30));
  EXPECT_EQ(c.NextAfter(Utc(2024, 3, 9, 7, 30), *ny), Utc(2024, 3, 10, 7, 30));  // the day before
  EXPECT_EQ(Cron("0 3 * * *").NextAfter(Utc(2024, 3, 10, 5, 0), *ny), Utc(2024, 3, 10, 7, 0));
}

TEST(CronDstTest, SpringForwardWallClockSkipsTheMissingHour) {
  auto ny = Zone("America/New_York");
  CronSchedule c = Cron("30 * * * *");
  EXPECT_EQ(c.NextAfter(Utc(2024, 3, 10, 6, 30), *ny),
            Utc(2024, 3, 10, 7, 30));  // 01:30 EST -> 03:30 EDT
  EXPECT_EQ(Cron("* 2 * * *").NextAfter(Utc(2024, 3, 10, 6, 59), *ny), Utc(2024, 3, 11, 6, 0));
}

// America/New_York, 2024-11-03: 02:00 EDT falls back to 01:00 EST (06:00 UTC).
TEST(CronDstTest, FallBackFixedTimeFiresOnce) {
  auto ny = Zone("America/New_York");
  CronSchedule c = Cron("30 1 * * *");
  EXPECT_EQ(c.NextAfter(Utc(2024, 11, 3, 4, 0), *ny), Utc(2024, 11, 3, 5, 30));   // 01:30 EDT
  EXPECT_EQ(c.NextAfter(Utc(2024, 11, 3, 5, 30), *ny), Utc(2024, 11, 4, 6, 30));  // next day, EST
  // Asked during the repeated hour, after the first 01:30: tomorrow.
  EXPECT_EQ(c.NextAfter(Utc(2024, 11, 3, 6, 10), *ny), Utc(2024, 11, 4, 6, 30));
}

TEST(CronDstTest, FallBackWallClockFiresInBothPasses) {
  auto ny = Zone("America/New_York");
  CronSchedule c = Cron("30 * * * *");
  EXPECT_EQ(c.NextAfter(Utc(2024, 11, 3, 5, 0), *ny), Utc(2024, 11, 3, 5, 30));   // 01:30 EDT
  EXPECT_EQ(c.NextAfter(Utc(2024, 11, 3, 5, 30), *ny), Utc(2024, 11, 3, 6, 30));  // 01:30 EST
  EXPECT_EQ(c.NextAfter(Utc(2024, 11, 3, 6, 30), *ny), Utc(2024, 11, 3, 7, 30));  // 02:30 EST
  CronSchedule quarter = Cron("*/15 1 * * *");
  std::int64_t t = Utc(2024, 11, 3, 4, 59);
  std::vector<std::int64_t> fires;
  for (int i = 0; i < 9; ++i) fires.push_back(t = quarter.NextAfter(t, *ny));
  std::vector<std::int64_t> expected;
  for (int h : {5, 6}) {
    for (int m : {0, 15, 30, 45}) expected.push_back(Utc(2024, 11, 3, h, m));
  }
  expected.push_back(Utc(2024, 11, 4, 6, 0));
  EXPECT_EQ(fires, expected);
}

// A wall-clock schedule whose only times fall in the spring-forward gap never fires
// in that zone (skipped times do not fire), and fires in UTC (a fuzz finding).
TEST(CronDstTest, AWallClockScheduleOnlyInTheGapNeverFiresThere) {
  auto ny = Zone("America/New_York");
  CronSchedule c = Cron("*/511 2 11 3 */15");  // 02:00 on March 11 when it is a Sunday
  ASSERT_TRUE(c.follows_wall_clock());
  if (ny->OffsetAt(Utc(2024, 1, 1)) != ny->OffsetAt(Utc(2024, 7, 1))) {  // tzdata present
    EXPECT_EQ(c.NextAfter(Utc(2039, 3, 1), *ny), CronSchedule::kNever);
  }
  EXPECT_EQ(c.NextAfter(Utc(2039, 3, 1), *TimeZone::Utc()), Utc(2040, 3, 11, 2, 0));
}

TEST(CronDstTest, FollowsWallClockFlag) {
  EXPECT_TRUE(Cron("*/5 * * * *").follows_wall_clock());
  EXPECT_TRUE(Cron("0 * * * *").follows_wall_clock());
  EXPECT_FALSE(Cron("30 2 * * *").follows_wall_clock());
}

}  // namespace
}  // namespace storeflow
