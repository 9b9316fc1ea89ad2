#include "common/ack_window.h"

#include <gtest/gtest.h>

namespace storeflow {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kT = 1'800'000'000'000;  // a minute boundary

TEST(AckWindowTest, CountsErrorsAndLatencyPercentilesOfTheLastHour) {
  AckWindow window;
  EXPECT_EQ(window.Summary(kT).requests, 0);
  EXPECT_EQ(window.Summary(kT).p99_ms, 0);
  for (int i = 1; i <= 100; ++i) window.Record(kT + i * 100, i % 25 == 0, i);  // 4 errors
  AckSummary s = window.Summary(kT + 30 * kMinute);
  EXPECT_EQ(s.requests, 100);
  EXPECT_EQ(s.errors, 4);
  EXPECT_DOUBLE_EQ(s.error_rate, 0.04);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  // An hour and a minute later the minute has left the window.
  window.Record(kT + 61 * kMinute, false, 7);
  s = window.Summary(kT + 61 * kMinute);
  EXPECT_EQ(s.requests, 1);
  EXPECT_EQ(s.errors, 0);
  EXPECT_DOUBLE_EQ(s.p50_ms, 7);
}

TEST(AckWindowTest, ASlotReusedForALaterMinuteForgetsTheEarlierOne) {
  AckWindow window(2 * kMinute, kMinute, 4);
  window.Record(kT, true, 1);
  window.Record(kT + 3 * kMinute, false, 2);  // lands in kT's slot (3 slots)
  const AckSummary s = window.Summary(kT + 3 * kMinute);
  EXPECT_EQ(s.requests, 1);
  EXPECT_EQ(s.errors, 0);
}

TEST(AckWindowTest, LatencySamplesStayBoundedUnderLoad) {
  AckWindow window(kMinute, kMinute, 16);
  for (int i = 0; i < 10'000; ++i) window.Record(kT + 1, false, i % 2 == 0 ? 10 : 20);
  const AckSummary s = window.Summary(kT + 2);
  EXPECT_EQ(s.requests, 10'000);
  EXPECT_TRUE(s.p50_ms == 10 || s.p50_ms == 20) << s.p50_ms;
  EXPECT_EQ(s.p99_ms, 20);
}

TEST(AckWindowTest, QuantileIsTheNearestRank) {
  EXPECT_EQ(Quantile({}, 0.5), 0);
  EXPECT_EQ(Quantile({5}, 0.99), 5);
  EXPECT_EQ(Quantile({4, 1, 3, 2}, 0.5), 2);
  EXPECT_EQ(Quantile({4, 1, 3, 2}, 0.51), 3);
  EXPECT_EQ(Quantile({4, 1, 3, 2}, 1), 4);
  EXPECT_EQ(Quantile({4, 1, 3, 2}, 0), 1);
}

}  // namespace
}  // namespace storeflow
