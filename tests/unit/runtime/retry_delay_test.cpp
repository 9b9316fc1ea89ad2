#include "runtime/retry_delay.h"

#include <gtest/gtest.h>

namespace storeflow::runtime {
namespace {

TEST(RetryDelayTest, ConstantBackoffRepeatsTheDelay) {
  std::mt19937_64 rng(1);
  RetrySchedule s{.attempts = 5, .exponential = false, .delay = Duration(1500)};
  for (int failures = 1; failures <= 4; ++failures) {
    EXPECT_EQ(RetryDelay(s, failures, std::nullopt, rng).count(), 1500);
  }
}

TEST(RetryDelayTest, ExponentialBackoffDoublesUpToTheCap) {
  std::mt19937_64 rng(1);
  RetrySchedule s{.attempts = 10,
                  .exponential = true,
                  .delay = Duration(30'000),
                  .max_delay = Duration(600'000)};
  EXPECT_EQ(RetryDelay(s, 1, std::nullopt, rng).count(), 30'000);
  EXPECT_EQ(RetryDelay(s, 2, std::nullopt, rng).count(), 60'000);
  EXPECT_EQ(RetryDelay(s, 3, std::nullopt, rng).count(), 120'000);
  EXPECT_EQ(RetryDelay(s, 5, std::nullopt, rng).count(), 480'000);
  EXPECT_EQ(RetryDelay(s, 6, std::nullopt, rng).count(), 600'000);
  EXPECT_EQ(RetryDelay(s, 500, std::nullopt, rng).count(), 600'000);  // no overflow
}

TEST(RetryDelayTest, UncappedExponentialDoesNotOverflow) {
  std::mt19937_64 rng(1);
  RetrySchedule s{.attempts = 100, .exponential = true, .delay = Duration(1000)};
  EXPECT_GT(RetryDelay(s, 90, std::nullopt, rng).count(), 0);
}

TEST(RetryDelayTest, FullJitterStaysWithinZeroAndTheBackoff) {
  std::mt19937_64 rng(42);
  RetrySchedule s{.attempts = 10,
                  .exponential = true,
                  .delay = Duration(1000),
                  .max_delay = Duration(8000),
                  .full_jitter = true};
  std::int64_t lowest = INT64_MAX;
  std::int64_t highest = 0;
  for (int i = 0; i < 2000; ++i) {
    std::int64_t d = RetryDelay(s, 3, std::nullopt, rng).count();  // bound: 4000
    ASSERT_GE(d, 0);
    ASSERT_LE(d, 4000);
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  // The draw really spreads over the range (not a constant).
  EXPECT_LT(lowest, 400);
  EXPECT_GT(highest, 3600);
}

TEST(RetryDelayTest, RetryAfterHintWinsWhenLonger) {
  std::mt19937_64 rng(1);
  RetrySchedule s{
      .attempts = 3, .exponential = false, .delay = Duration(1000), .max_delay = Duration(2000)};
  EXPECT_EQ(RetryDelay(s, 1, Duration(5000), rng).count(), 5000);
  EXPECT_EQ(RetryDelay(s, 1, Duration(200), rng).count(), 1000);
}

}  // namespace
}  // namespace storeflow::runtime
