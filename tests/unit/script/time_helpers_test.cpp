// The `time` helper with real IANA zones.

#include <gtest/gtest.h>

#include "script/sandbox.h"
#include "script/time_text.h"
#include "script_test_util.h"

namespace storeflow::script {
namespace {

using nlohmann::json;
using testing::Contains;
using testing::FastLimits;

// 2026-03-08T07:00:00Z: New York springs forward. 2026-11-01T06:00:00Z: falls back.
constexpr std::int64_t kNySpring = 1772953200;
constexpr std::int64_t kNyFall = 1793512800;

class TimeHelpersTest : public ::testing::Test {
 protected:
  json EvalOk(const std::string& expr, std::int64_t now_ms = 0) {
    auto r = sandbox_.EvaluateExpression(expr, json::object(), "@t:1", {now_ms});
    EXPECT_TRUE(r.ok()) << expr << ": " << r.status().ToString();
    return r.ok() ? *r : json("<error>");
  }
  std::string EvalError(const std::string& expr) {
    auto r = sandbox_.EvaluateExpression(expr, json::object(), "@t:1");
    EXPECT_FALSE(r.ok()) << expr;
    return r.ok() ? "" : r.status().message();
  }
  Sandbox sandbox_{FastLimits()};
};

TEST_F(TimeHelpersTest, Now) {
  EXPECT_EQ(EvalOk("time.now()", 1772953200000), kNySpring);
  EXPECT_EQ(EvalOk("math.type(time.now())", 1772953200000), "integer");
  EXPECT_EQ(EvalOk("time.now()", 1772953200500), 1772953200.5);
  EXPECT_EQ(EvalOk("time.now()", 0), 0);
}

TEST_F(TimeHelpersTest, Parse) {
  EXPECT_EQ(EvalOk("time.parse('2026-03-08T07:00:00Z')"), kNySpring);
  EXPECT_EQ(EvalOk("time.parse('2026-03-08T02:00:00-05:00')"), kNySpring);
  EXPECT_EQ(EvalOk("time.parse('2026-03-08T12:30:00+0530')"), kNySpring);
  EXPECT_EQ(EvalOk("time.parse('2026-03-08 07:00Z')"), kNySpring);
  EXPECT_EQ(EvalOk("time.parse('2026-03-08t07:00:00z')"), kNySpring);
  EXPECT_EQ(EvalOk("time.parse('2026-03-08T07:00:00.250Z')"), kNySpring + 0.25);
  EXPECT_EQ(EvalOk("math.type(time.parse('2026-03-08T07:00:00.000Z'))"), "integer");
  EXPECT_EQ(EvalOk("time.parse('2026-03-08')"), kNySpring - 7 * 3600);
  // Without an offset: local time in the given zone (default UTC).
  EXPECT_EQ(EvalOk("time.parse('2026-03-08T03:00:00', 'America/New_York')"), kNySpring);
  EXPECT_EQ(EvalOk("time.parse('2026-03-08', 'Asia/Kolkata')"),
            kNySpring - 7 * 3600 - 5 * 3600 - 1800);
  for (const char* bad : {"2026-02-30T00:00:00Z", "2026-13-01", "2026-03-08T25:00:00Z",
                          "2026-03-08T10:00:00+99:00", "yesterday", "2026-03-08T10", ""}) {
    EXPECT_TRUE(Contains(EvalError(std::string("time.parse('") + bad + "')"),
                         "is not an ISO-8601 timestamp"))
        << bad;
  }
}

TEST_F(TimeHelpersTest, FormatAcrossDst) {
  EXPECT_EQ(EvalOk("time.format(1772953200)"), "2026-03-08T07:00:00Z");
  EXPECT_EQ(EvalOk("time.format(1772953200, 'America/New_York')"), "2026-03-08T03:00:00-04:00");
  EXPECT_EQ(EvalOk("time.format(1772953199, 'America/New_York')"), "2026-03-08T01:59:59-05:00");
  EXPECT_EQ(EvalOk("time.format(1793512800 - 1, 'America/New_York')"), "2026-11-01T01:59:59-04:00");
  EXPECT_EQ(EvalOk("time.format(1793512800, 'America/New_York')"), "2026-11-01T01:00:00-05:00");
  EXPECT_EQ(EvalOk("time.format(1772953200.25, 'Europe/Berlin')"), "2026-03-08T08:00:00.250+01:00");
  EXPECT_EQ(EvalOk("time.format(1772953200, 'Asia/Kolkata')"), "2026-03-08T12:30:00+05:30");
  EXPECT_EQ(EvalOk("time.format(1772953200, '+02:00')"), "2026-03-08T09:00:00+02:00");
  EXPECT_EQ(EvalOk("time.format(1772953200, 'Europe/London')"), "2026-03-08T07:00:00+00:00");
  // 2090 is past the zone file's transitions: the footer rule gives DST.
  EXPECT_EQ(EvalOk("time.format(time.parse('2090-07-01T12:00:00Z'), 'America/New_York')"),
            "2090-07-01T08:00:00-04:00");
  EXPECT_EQ(EvalOk("time.format(time.parse('2090-12-01T12:00:00Z'), 'America/New_York')"),
            "2090-12-01T07:00:00-05:00");
}

TEST_F(TimeHelpersTest, FormatWithPattern) {
  EXPECT_EQ(EvalOk("time.format(1772953200, 'America/New_York', '%Y-%m-%d %H:%M:%S %z')"),
            "2026-03-08 03:00:00 -0400");
  EXPECT_EQ(EvalOk("time.format(1772953200, 'Asia/Kolkata', '%a %A %b %B %e %I:%M %p %:z %Z')"),
            "Sun Sunday Mar March  8 12:30 PM +05:30 Asia/Kolkata");
  EXPECT_EQ(EvalOk("time.format(1772953200, nil, '%F %T %j %y %s %%')"),
            "2026-03-08 07:00:00 067 26 1772953200 %");
  EXPECT_TRUE(Contains(EvalError("time.format(0, 'UTC', '%Q')"), "unknown conversion '%Q'"));
}

TEST_F(TimeHelpersTest, AddAndDuration) {
  EXPECT_EQ(EvalOk("time.add(1772953200, '4h')"), kNySpring + 4 * 3600);
  EXPECT_EQ(EvalOk("time.add(1772953200, 'PT30M')"), kNySpring + 1800);
  EXPECT_EQ(EvalOk("time.add(1772953200, '-15m')"), kNySpring - 900);
  EXPECT_EQ(EvalOk("time.add(1772953200, 90)"), kNySpring + 90);
  EXPECT_EQ(EvalOk("time.add(1772953200, '500ms')"), kNySpring + 0.5);
  EXPECT_EQ(EvalOk("math.type(time.add(1772953200, '1d'))"), "integer");
  EXPECT_EQ(EvalOk("time.duration('1h30m')"), 5400);
  EXPECT_EQ(EvalOk("time.duration('P2W')"), 14 * 86400);
  EXPECT_TRUE(Contains(EvalError("time.add(0, 'soon')"), "invalid duration \"soon\""));
}

TEST_F(TimeHelpersTest, HourAndLocal) {
  EXPECT_EQ(EvalOk("time.hour(1772953200, 'America/New_York')"), 3);
  EXPECT_EQ(EvalOk("time.hour(1772953199, 'America/New_York')"), 1);
  EXPECT_EQ(EvalOk("time.hour(1772953200, 'Asia/Kolkata')"), 12);
  EXPECT_EQ(EvalOk("time.hour(1772953200)"), 7);
  EXPECT_EQ(EvalOk("time.to_local(1772953200, 'Asia/Kolkata')"),
            json::parse(R"({"year":2026,"month":3,"day":8,"hour":12,"min":30,"sec":0,
                            "wday":1,"yday":67,"offset":19800})"));
  EXPECT_EQ(EvalOk("time['local'](1772953200, 'America/New_York').hour"), 3);
}

TEST_F(TimeHelpersTest, FromLocalInGapsAndOverlaps) {
  // 02:30 does not exist on 2026-03-08 in New York: moved forward to 03:30 EDT.
  EXPECT_EQ(EvalOk("time.format(time.from_local({year=2026, month=3, day=8, hour=2, min=30}, "
                   "'America/New_York'), 'America/New_York')"),
            "2026-03-08T03:30:00-04:00");
  // 01:30 on 2026-11-01 happens twice: the earlier (EDT) instant.
  EXPECT_EQ(EvalOk("time.from_local({year=2026, month=11, day=1, hour=1, min=30}, "
                   "'America/New_York')"),
            kNyFall - 1800);
  // Fields roll over: March 32nd is April 1st.
  EXPECT_EQ(EvalOk("time.format(time.from_local({year=2026, month=3, day=32, hour=8}, "
                   "'Europe/Berlin'), 'Europe/Berlin')"),
            "2026-04-01T08:00:00+02:00");
  // Round trip through to_local.
  EXPECT_EQ(EvalOk("time.from_local(time.to_local(1772953200, 'Asia/Kolkata'), 'Asia/Kolkata')"),
            kNySpring);
  EXPECT_TRUE(Contains(EvalError("time.from_local({year=2026, month=3}, 'UTC')"),
                       "field 'day' is missing"));
  EXPECT_TRUE(Contains(EvalError("time.from_local({year=2026, month=3, day='x'}, 'UTC')"),
                       "field 'day' must be an integer"));
}

TEST_F(TimeHelpersTest, ZoneErrors) {
  std::string m = EvalError("time.hour(0, 'Mars/Olympus_Mons')");
  EXPECT_TRUE(Contains(m, "t:1:1: unknown time zone \"Mars/Olympus_Mons\"")) << m;
  EXPECT_TRUE(Contains(EvalError("time.hour(0, '../../etc/passwd')"), "invalid time zone name"));
  EXPECT_TRUE(Contains(EvalError("time.format(1e300)"), "time out of range"));
  EXPECT_TRUE(Contains(EvalError("time.format(0/0)"), "time out of range"));
}

TEST(TimeTextTest, ParseAndFormatDirectly) {
  auto utc = TimeZone::Utc();
  std::int64_t ms = 0;
  ASSERT_TRUE(ParseIsoTimestamp("0001-01-01T00:00:00Z", *utc, &ms));
  EXPECT_EQ(ms, kMinUnixSeconds * 1000);
  ASSERT_TRUE(ParseIsoTimestamp("9999-12-31T23:59:59.999Z", *utc, &ms));
  EXPECT_EQ(ms, kMaxUnixSeconds * 1000 + 999);
  EXPECT_FALSE(ParseIsoTimestamp("0000-12-31T00:00:00Z", *utc, &ms));
  std::string out;
  ASSERT_TRUE(FormatTimestamp(-1, *utc, "", &out));
  EXPECT_EQ(out, "1969-12-31T23:59:59.999Z");
  ASSERT_TRUE(FormatTimestamp(0, *utc, "%H%%", &out));
  EXPECT_EQ(out, "00%");
  EXPECT_FALSE(FormatTimestamp(0, *utc, "%", &out));
}

}  // namespace
}  // namespace storeflow::script
