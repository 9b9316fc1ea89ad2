#include "common/timezone.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace storeflow {
namespace {

// 2026-03-08T07:00:00Z: New York springs forward (02:00 EST -> 03:00 EDT).
constexpr std::int64_t kNySpring2026 = 1772953200;
// 2026-11-01T06:00:00Z: New York falls back (02:00 EDT -> 01:00 EST).
constexpr std::int64_t kNyFall2026 = 1793512800;

std::int64_t Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

std::shared_ptr<const TimeZone> MustLoad(std::string_view name) {
  auto tz = TimeZone::Load(name);
  EXPECT_TRUE(tz.ok()) << tz.status().ToString();
  return tz.ok() ? *tz : TimeZone::Utc();
}

TEST(CivilTest, DaysFromCivilRoundTrips) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  for (std::int64_t t : {Utc(1600, 2, 29, 12), Utc(2026, 12, 31, 23, 59, 59), std::int64_t{-1},
                         std::int64_t{0}, Utc(2090, 7, 1, 8)}) {
    CivilTime c = CivilFromUnix(t);
    EXPECT_EQ(Utc(c.year, c.month, c.day, c.hour, c.minute, c.second), t);
  }
  CivilTime c = CivilFromUnix(Utc(2026, 3, 8, 7));
  EXPECT_EQ(c.year, 2026);
  EXPECT_EQ(c.month, 3);
  EXPECT_EQ(c.day, 8);
  EXPECT_EQ(c.hour, 7);
  EXPECT_EQ(c.weekday, 0);  // a Sunday
}

TEST(CivilTest, OutOfRangeFieldsRollOver) {
  EXPECT_EQ(DaysFromCivil(2026, 13, 1), DaysFromCivil(2027, 1, 1));
  EXPECT_EQ(DaysFromCivil(2026, 0, 1), DaysFromCivil(2025, 12, 1));
  EXPECT_EQ(DaysFromCivil(2026, 1, 32), DaysFromCivil(2026, 2, 1));
  EXPECT_EQ(DaysFromCivil(2026, 3, 0), DaysFromCivil(2026, 2, 28));
}

TEST(TimeZoneTest, UtcAndFixedOffsets) {
  EXPECT_EQ(TimeZone::Utc()->OffsetAt(kNySpring2026), 0);
  EXPECT_EQ(MustLoad("UTC")->OffsetAt(0), 0);
  EXPECT_EQ(MustLoad("Z")->OffsetAt(0), 0);
  EXPECT_EQ(MustLoad("+02:00")->OffsetAt(0), 7200);
  EXPECT_EQ(MustLoad("-05:30")->OffsetAt(0), -19800);
  EXPECT_EQ(MustLoad("+0545")->OffsetAt(0), 20700);
  EXPECT_EQ(MustLoad("-03")->OffsetAt(0), -10800);
  EXPECT_EQ(MustLoad("+02:00")->name(), "+02:00");
}

TEST(TimeZoneTest, NewYorkAcross2026Transitions) {
  auto ny = MustLoad("America/New_York");
  EXPECT_EQ(ny->name(), "America/New_York");
  EXPECT_EQ(ny->OffsetAt(kNySpring2026 - 1), -5 * 3600);
  EXPECT_EQ(ny->OffsetAt(kNySpring2026), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(kNyFall2026 - 1), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(kNyFall2026), -5 * 3600);
  EXPECT_EQ(ny->OffsetAt(Utc(2026, 1, 15)), -5 * 3600);
  EXPECT_EQ(ny->OffsetAt(Utc(2026, 7, 4)), -4 * 3600);

  CivilTime local = ny->ToCivil(kNySpring2026);
  EXPECT_EQ(local.hour, 3);
  EXPECT_EQ(local.minute, 0);
  EXPECT_EQ(ny->ToCivil(kNySpring2026 - 1).hour, 1);
}

TEST(TimeZoneTest, BerlinAndKolkata) {
  auto berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin->OffsetAt(Utc(2026, 1, 10)), 3600);
  // Summer time 2026: 29 March 01:00Z .. 25 October 01:00Z.
  EXPECT_EQ(berlin->OffsetAt(Utc(2026, 3, 29, 0, 59, 59)), 3600);
  EXPECT_EQ(berlin->OffsetAt(Utc(2026, 3, 29, 1)), 7200);
  EXPECT_EQ(berlin->OffsetAt(Utc(2026, 10, 25, 0, 59, 59)), 7200);
  EXPECT_EQ(berlin->OffsetAt(Utc(2026, 10, 25, 1)), 3600);

  auto kolkata = MustLoad("Asia/Kolkata");
  EXPECT_EQ(kolkata->OffsetAt(Utc(2026, 6, 1)), 5 * 3600 + 1800);
  CivilTime c = kolkata->ToCivil(Utc(2026, 6, 1, 20, 45));
  EXPECT_EQ(c.day, 2);
  EXPECT_EQ(c.hour, 2);
  EXPECT_EQ(c.minute, 15);
}

TEST(TimeZoneTest, FarFutureUsesFooterRule) {
  // TZif files list transitions up to 2037 at most; 2090 needs the footer.
  auto ny = MustLoad("America/New_York");
  EXPECT_EQ(ny->OffsetAt(Utc(2090, 1, 15)), -5 * 3600);
  EXPECT_EQ(ny->OffsetAt(Utc(2090, 7, 1)), -4 * 3600);
  // 2090: second Sunday of March is the 12th; first Sunday of November the 5th.
  EXPECT_EQ(ny->OffsetAt(Utc(2090, 3, 12, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(ny->OffsetAt(Utc(2090, 3, 12, 7)), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(Utc(2090, 11, 5, 5, 59, 59)), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(Utc(2090, 11, 5, 6)), -5 * 3600);

  auto sydney = MustLoad("Australia/Sydney");  // southern hemisphere: DST spans new year
  EXPECT_EQ(sydney->OffsetAt(Utc(2090, 1, 15)), 11 * 3600);
  EXPECT_EQ(sydney->OffsetAt(Utc(2090, 7, 1)), 10 * 3600);
}

TEST(TimeZoneTest, FromCivilInGapAndOverlap) {
  auto ny = MustLoad("America/New_York");
  // 02:30 does not exist on 2026-03-08: moved forward by the gap to 03:30 EDT.
  CivilTime gap{2026, 3, 8, 2, 30, 0};
  EXPECT_EQ(ny->FromCivil(gap), Utc(2026, 3, 8, 7, 30));
  EXPECT_EQ(ny->ToCivil(ny->FromCivil(gap)).hour, 3);
  // 01:30 happens twice on 2026-11-01: the earlier (EDT) instant wins.
  CivilTime overlap{2026, 11, 1, 1, 30, 0};
  EXPECT_EQ(ny->FromCivil(overlap), Utc(2026, 11, 1, 5, 30));
  // Ordinary times round-trip.
  CivilTime noon{2026, 7, 4, 12, 0, 0};
  EXPECT_EQ(ny->FromCivil(noon), Utc(2026, 7, 4, 16));
  CivilTime far{2090, 7, 4, 12, 0, 0};
  EXPECT_EQ(ny->FromCivil(far), Utc(2090, 7, 4, 16));
}

TEST(TimeZoneTest, UnknownAndUnsafeNames) {
  auto unknown = TimeZone::Load("Mars/Olympus_Mons");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("Mars/Olympus_Mons"), std::string::npos);

  for (const char* bad : {"../../etc/passwd", "/etc/passwd", "America/../../etc/passwd", "",
                          "America//New_York", "a b"}) {
    auto r = TimeZone::Load(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(TimeZone::Load("America").ok());  // a directory, not a zone
}

TEST(TimeZoneTest, LoadIsCached) {
  auto a = MustLoad("Europe/Berlin");
  auto b = MustLoad("Europe/Berlin");
  EXPECT_EQ(a.get(), b.get());
}

TEST(PosixTzTest, RuleForms) {
  auto us = TimeZone::FromPosixString("EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(us.ok());
  EXPECT_EQ((*us)->OffsetAt(kNySpring2026 - 1), -5 * 3600);
  EXPECT_EQ((*us)->OffsetAt(kNySpring2026), -4 * 3600);
  EXPECT_EQ((*us)->OffsetAt(kNyFall2026), -5 * 3600);

  // Default rule when none is given: the US rules.
  auto implicit = TimeZone::FromPosixString("EST5EDT");
  ASSERT_TRUE(implicit.ok());
  EXPECT_EQ((*implicit)->OffsetAt(kNySpring2026), -4 * 3600);

  // Jn counts 1..365 without Feb 29; n counts 0..365 with it. In the leap year
  // 2028, J60 is March 1 and 59 is February 29.
  auto julian = TimeZone::FromPosixString("XST3XDT,J60/0,J300/0");
  ASSERT_TRUE(julian.ok());
  EXPECT_EQ((*julian)->OffsetAt(Utc(2028, 3, 1, 2, 59, 59)), -3 * 3600);
  EXPECT_EQ((*julian)->OffsetAt(Utc(2028, 3, 1, 3)), -2 * 3600);
  auto zero_based = TimeZone::FromPosixString("XST3XDT,59/0,300/0");
  ASSERT_TRUE(zero_based.ok());
  EXPECT_EQ((*zero_based)->OffsetAt(Utc(2028, 2, 29, 2, 59, 59)), -3 * 3600);
  EXPECT_EQ((*zero_based)->OffsetAt(Utc(2028, 2, 29, 3)), -2 * 3600);

  // Quoted names, minutes in the offset, negative and >24h rule times.
  auto quoted = TimeZone::FromPosixString("<+0330>-3:30");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ((*quoted)->OffsetAt(0), 3 * 3600 + 1800);
  // Greenland-style: DST starts at -1:00 local time on the Sunday before the last
  // Saturday in March... expressed with the extension times.
  auto extended = TimeZone::FromPosixString("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  ASSERT_TRUE(extended.ok());
  // 2026-03-29 is the last Sunday of March; -1:00 local (-02) is 28 Mar 23:00 local
  // = 29 Mar 01:00Z.
  EXPECT_EQ((*extended)->OffsetAt(Utc(2026, 3, 29, 0, 59, 59)), -2 * 3600);
  EXPECT_EQ((*extended)->OffsetAt(Utc(2026, 3, 29, 1)), -1 * 3600);

  // Permanent DST (RFC 8536 §3.3.1 example).
  auto permanent = TimeZone::FromPosixString("EST5EDT,0/0,J365/25");
  ASSERT_TRUE(permanent.ok());
  EXPECT_EQ((*permanent)->OffsetAt(Utc(2026, 1, 1, 12)), -4 * 3600);
  EXPECT_EQ((*permanent)->OffsetAt(Utc(2026, 12, 31, 12)), -4 * 3600);

  for (const char* bad : {"", "E5", "EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0",
                          "EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0", "EST99"}) {
    EXPECT_FALSE(TimeZone::FromPosixString(bad).ok()) << bad;
  }
}

// Cross-checks against glibc's own TZif reader (localtime_r honours the footer
// too) across 1900..2100 for a handful of zones.
TEST(TimeZoneTest, AgreesWithGlibc) {
  const char* saved = std::getenv("TZ");
  std::string saved_tz = saved != nullptr ? saved : "";
  for (const char* name : {"America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney",
                           "America/Sao_Paulo", "Europe/London", "Pacific/Chatham",
                           "America/St_Johns", "Africa/Casablanca"}) {
    auto tz = MustLoad(name);
    setenv("TZ", (std::string(":") + name).c_str(), 1);
    tzset();
    int mismatches = 0;
    for (std::int64_t t = Utc(1901, 1, 1) + 1234; t < Utc(2100, 1, 1); t += 86400 * 7 + 3607) {
      std::time_t tt = static_cast<std::time_t>(t);
      std::tm tm{};
      ASSERT_NE(localtime_r(&tt, &tm), nullptr);
      if (tm.tm_gmtoff != tz->OffsetAt(t) && ++mismatches <= 5) {
        ADD_FAILURE() << name << " at " << t << ": glibc " << tm.tm_gmtoff << ", ours "
                      << tz->OffsetAt(t);
      }
    }
    EXPECT_EQ(mismatches, 0) << name;
  }
  if (saved != nullptr) {
    setenv("TZ", saved_tz.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

}  // namespace
}  // namespace storeflow
