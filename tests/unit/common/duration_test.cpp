#include "common/duration.h"

#include <gtest/gtest.h>

namespace storeflow {
namespace {

using std::chrono::milliseconds;

milliseconds Ok(std::string_view text) {
  Result<Duration> d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? *d : milliseconds(-1);
}

std::string Error(std::string_view text) {
  Result<Duration> d = ParseDuration(text);
  EXPECT_FALSE(d.ok()) << text << " parsed as " << (d.ok() ? d->count() : 0) << "ms";
  return d.ok() ? "" : d.status().message();
}

TEST(DurationTest, ShortForms) {
  EXPECT_EQ(Ok("500ms"), milliseconds(500));
  EXPECT_EQ(Ok("30s"), milliseconds(30'000));
  EXPECT_EQ(Ok("5m"), milliseconds(300'000));
  EXPECT_EQ(Ok("4h"), milliseconds(4 * 3'600'000));
  EXPECT_EQ(Ok("14d"), milliseconds(14LL * 86'400'000));
  EXPECT_EQ(Ok("2w"), milliseconds(14LL * 86'400'000));
  EXPECT_EQ(Ok("0s"), milliseconds(0));
}

TEST(DurationTest, CombinedAndFractional) {
  EXPECT_EQ(Ok("1h30m"), milliseconds(90 * 60'000));
  EXPECT_EQ(Ok("1d2h3m4s5ms"), milliseconds(86'400'000 + 2 * 3'600'000 + 3 * 60'000 + 4'000 + 5));
  EXPECT_EQ(Ok("1.5s"), milliseconds(1'500));
  EXPECT_EQ(Ok("0.25h"), milliseconds(900'000));
}

TEST(DurationTest, Iso8601) {
  EXPECT_EQ(Ok("PT4H"), milliseconds(4 * 3'600'000));
  EXPECT_EQ(Ok("P1DT2H30M"), milliseconds(86'400'000 + 150 * 60'000));
  EXPECT_EQ(Ok("PT0.5S"), milliseconds(500));
  EXPECT_EQ(Ok("PT0,5S"), milliseconds(500));
  EXPECT_EQ(Ok("P2W"), milliseconds(14LL * 86'400'000));
  EXPECT_EQ(Ok("P1D"), milliseconds(86'400'000));
  EXPECT_EQ(Ok("pt1m"), milliseconds(60'000));
}

TEST(DurationTest, Errors) {
  EXPECT_NE(Error("").find("empty"), std::string::npos);
  EXPECT_NE(Error("30").find("number without a unit"), std::string::npos);
  EXPECT_NE(Error("5x").find("unknown unit \"x\""), std::string::npos);
  EXPECT_NE(Error("-5s").find("negative"), std::string::npos);
  EXPECT_NE(Error("s").find("expected a number"), std::string::npos);
  EXPECT_NE(Error("5 s").find("number without a unit"), std::string::npos);
  EXPECT_NE(Error("P1M").find("years and months"), std::string::npos);
  EXPECT_NE(Error("P1Y").find("years and months"), std::string::npos);
  EXPECT_NE(Error("P").find("no components"), std::string::npos);
  EXPECT_NE(Error("PT").find("no components"), std::string::npos);
  EXPECT_NE(Error("PT1D").find("unexpected unit 'D'"), std::string::npos);
  EXPECT_NE(Error("99999999999999d").find("too large"), std::string::npos);
  // Every message shows the accepted forms.
  EXPECT_NE(Error("4x").find("PT4H"), std::string::npos);
}

TEST(DurationTest, UnitsLargestFirstOnce) {
  EXPECT_NE(Error("30m1h").find("largest first"), std::string::npos);
  EXPECT_NE(Error("1h1h").find("largest first"), std::string::npos);
  EXPECT_NE(Error("PT1S1H").find("largest first"), std::string::npos);
  EXPECT_NE(Error("PT1H1H").find("largest first"), std::string::npos);
}

TEST(DurationTest, IsoTimeDesignatorNeedsATimePart) {
  EXPECT_NE(Error("P1DT").find("'T' must be followed"), std::string::npos);
  EXPECT_NE(Error("PT1HT").find("'T' appears twice"), std::string::npos);
}

TEST(DurationTest, DecimalCommaOnlyInIso) {
  EXPECT_FALSE(ParseDuration("1,5s").ok());
}

TEST(DurationTest, FormatIsShortestReadBack) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(milliseconds(4 * 3'600'000)), "4h");
  EXPECT_EQ(FormatDuration(milliseconds(90 * 60'000)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(86'400'000 + 1)), "1d1ms");
  for (const char* text : {"1h30m", "14d", "1d2h3m4s5ms", "500ms", "59s"}) {
    EXPECT_EQ(FormatDuration(Ok(text)), text);
  }
}

// Found by tests/fuzz/duration_fuzz.cpp: negating the smallest count overflowed
// (undefined behaviour, reported by UBSan).
TEST(DurationTest, FormatsTheExtremeCounts) {
  EXPECT_EQ(FormatDuration(milliseconds::min()), "-106751991167d7h12m55s808ms");
  EXPECT_EQ(FormatDuration(milliseconds::max()), "106751991167d7h12m55s807ms");
  EXPECT_EQ(FormatDuration(milliseconds(-1500)), "-1s500ms");
}

}  // namespace
}  // namespace storeflow
