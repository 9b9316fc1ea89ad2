// The governor's arithmetic: what to reserve, how to correct, when to wait.
#include <gtest/gtest.h>

#include "cost_accounting.h"
#include "response_classifier.h"

namespace storeflow::plugins::shopify {
namespace {

using sdk::Json;

const Json kAnswer = Json::parse(R"({"data":{},"extensions":{"cost":{
  "requestedQueryCost":252,"actualQueryCost":47,
  "throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1953,"restoreRate":100.0}}}})");

const Json kThrottled = Json::parse(R"({"errors":[{"message":"Throttled",
  "extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],
  "extensions":{"cost":{"requestedQueryCost":252,"actualQueryCost":null,
  "throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":52,"restoreRate":100.0}}}})");

TEST(CostAccounting, ParsesExtensionsCost) {
  QueryCost c = ParseQueryCost(kAnswer);
  EXPECT_EQ(c.requested, 252);
  EXPECT_EQ(c.actual, 47);
  EXPECT_EQ(c.maximum_available, 2000);
  EXPECT_EQ(c.currently_available, 1953);
  EXPECT_EQ(c.restore_rate, 100);
  QueryCost t = ParseQueryCost(kThrottled);
  EXPECT_EQ(t.requested, 252);
  EXPECT_FALSE(t.actual);  // null
  QueryCost none = ParseQueryCost(Json::parse(R"({"data":{}})"));
  EXPECT_FALSE(none.requested || none.actual || none.currently_available);
}

TEST(CostAccounting, ReservesCachedThenDeclaredThenFallbackWithinTheBucket) {
  EXPECT_EQ(Reservation(252, 10, 100, 2000), 252);
  EXPECT_EQ(Reservation(std::nullopt, 10, 100, 2000), 10);
  EXPECT_EQ(Reservation(std::nullopt, std::nullopt, 100, 2000), 100);
  EXPECT_EQ(Reservation(5000, std::nullopt, 100, 2000), 2000);  // never more than the bucket
  EXPECT_EQ(Reservation(0, std::nullopt, 100, 2000), 1);        // at least one point
}

TEST(CostAccounting, CorrectsWithActualCostAndShopifysLevel) {
  Correction c = CorrectGraphQL(252, ParseQueryCost(kAnswer), false);
  EXPECT_EQ(c.refund, 205);  // 252 reserved, 47 spent
  EXPECT_EQ(c.at_most, 1953);
  // Under-reserved (first call of an operation): no negative refund, the level
  // from Shopify brings the bucket down instead.
  Correction under = CorrectGraphQL(10, ParseQueryCost(kAnswer), false);
  EXPECT_EQ(under.refund, 0);
  EXPECT_EQ(under.at_most, 1953);
  // Throttled: nothing ran, everything comes back, the level is Shopify's.
  Correction t = CorrectGraphQL(252, ParseQueryCost(kThrottled), true);
  EXPECT_EQ(t.refund, 252);
  EXPECT_EQ(t.at_most, 52);
  // No cost extension at all: refund nothing, cap nothing.
  Correction none = CorrectGraphQL(100, QueryCost{}, false);
  EXPECT_EQ(none.refund, 0);
  EXPECT_EQ(none.at_most, -1);
}

TEST(CostAccounting, ThrottleWaitFollowsRestoreRate) {
  // 252 needed, 52 there, 100/s: 2 s.
  EXPECT_EQ(ThrottleWaitMs(252, ParseQueryCost(kThrottled), 50), 2000);
  // Without throttleStatus: the configured rate from empty.
  EXPECT_EQ(ThrottleWaitMs(150, QueryCost{}, 50), 3000);
  EXPECT_EQ(ThrottleWaitMs(10, ParseQueryCost(kAnswer), 100), 1);  // enough already
}

TEST(CostAccounting, RetriesInsideTheDeadlineOnly) {
  // 2 s wait, 10 s left, 1 s margin: retry.
  RetryDecision d = DecideRetry(2000, 0, 10'000, 0, 30'000, 1000);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.wait_ms, 2000);
  // 2 s wait, 2.5 s left: no, the engine gets the hint instead.
  d = DecideRetry(2000, 0, 2500, 0, 30'000, 1000);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.retry_after_ms, 2000);
  // No deadline: the plugin's own cap, minus what was already waited.
  EXPECT_TRUE(DecideRetry(2000, 0, std::nullopt, 27'000, 30'000, 1000).retry);
  EXPECT_FALSE(DecideRetry(2000, 0, std::nullopt, 29'000, 30'000, 1000).retry);
  // Past the deadline: never.
  EXPECT_FALSE(DecideRetry(0, 5000, 4000, 0, 30'000, 1000).retry);
  EXPECT_EQ(WaitBudgetMs(0, 10'000, 0, 30'000, 1000), 9000);
  EXPECT_EQ(WaitBudgetMs(0, std::nullopt, 5000, 30'000, 1000), 25'000);
  EXPECT_EQ(WaitBudgetMs(20'000, 10'000, 0, 30'000, 1000), 0);
}

TEST(CostAccounting, RestCallLimitSetsTheLevel) {
  Correction c = CorrectRest(40, 32, 40, false);
  EXPECT_EQ(c.refund, 0);
  EXPECT_EQ(c.at_most, 8);
  EXPECT_EQ(CorrectRest(40, 40, 80, false).at_most, 20);  // a Plus shop's 80, scaled
  EXPECT_EQ(CorrectRest(40, 50, 40, false).at_most, 0);
  EXPECT_EQ(CorrectRest(40, std::nullopt, std::nullopt, false).at_most, -1);
  EXPECT_EQ(CorrectRest(40, 3, 40, true).at_most, 0);  // 429: empty
  auto limit = ParseCallLimit("32/40");
  ASSERT_TRUE(limit);
  EXPECT_EQ(limit->used, 32);
  EXPECT_EQ(limit->max, 40);
  EXPECT_TRUE(ParseCallLimit(" 1 / 80 "));
  EXPECT_FALSE(ParseCallLimit("32"));
  EXPECT_FALSE(ParseCallLimit("a/40"));
  EXPECT_FALSE(ParseCallLimit("1/0"));
}

TEST(CostAccounting, RetryAfterAndErrorMessages) {
  EXPECT_EQ(ParseRetryAfterMs("2.0"), 2000);
  EXPECT_EQ(ParseRetryAfterMs("1"), 1000);
  EXPECT_EQ(ParseRetryAfterMs(" 0.25 "), 250);
  EXPECT_EQ(ParseRetryAfterMs(""), -1);
  EXPECT_EQ(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT"), -1);
  EXPECT_EQ(ParseRetryAfterMs("-1"), -1);
  EXPECT_EQ(ShopifyErrorMessage(R"({"errors":"Not Found"})"), "Not Found");
  EXPECT_EQ(ShopifyErrorMessage(R"({"errors":{"limit":["must be ≤ 250"]}})"),
            "limit must be ≤ 250");
  EXPECT_EQ(ShopifyErrorMessage(R"({"errors":[{"message":"a"},{"message":"b"}]})"), "a; b");
  EXPECT_EQ(ShopifyErrorMessage("<html>oops</html>"), "<html>oops</html>");
  auto throttled = ClassifyGraphQLErrors(kThrottled, "GraphQL Q");
  ASSERT_TRUE(throttled);
  EXPECT_TRUE(throttled->retryable);
  EXPECT_EQ(throttled->code, "throttled");
  auto max_cost = ClassifyGraphQLErrors(
      Json::parse(
          R"({"errors":[{"message":"Query cost is 1500, which exceeds the single query max cost limit (1000).","extensions":{"code":"MAX_COST_EXCEEDED"}}]})"),
      "GraphQL Q");
  ASSERT_TRUE(max_cost);
  EXPECT_FALSE(max_cost->retryable);
  EXPECT_EQ(max_cost->code, "max_cost_exceeded");
  EXPECT_NE(max_cost->message.find("1500"), std::string::npos);
  EXPECT_FALSE(ClassifyGraphQLErrors(kAnswer, "q"));
  auto user = ClassifyUserErrors(
      Json::parse(
          R"({"userErrors":[{"field":["input","handle"],"message":"Handle has already been taken"}]})"),
      "productSet");
  ASSERT_TRUE(user);
  EXPECT_FALSE(user->retryable);
  EXPECT_EQ(user->message, "productSet: input.handle: Handle has already been taken");
  EXPECT_FALSE(ClassifyUserErrors(Json::parse(R"({"userErrors":[]})"), "x"));
}

}  // namespace
}  // namespace storeflow::plugins::shopify
