// The transport's classification and the governor's waiting, over real HTTP on
// loopback: 5xx and network errors retryable, 401/404/422 permanent with
// Shopify's message, 429 and THROTTLED waited out inside the step's deadline.
#include <gtest/gtest.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "shopify_fixture.h"

namespace storeflow::plugins::shopify::testing {
namespace {

using sdk::Json;

const Headers kCallLimit{{"X-Shopify-Shop-Api-Call-Limit", "1/40"}};

std::string Throttled(double available) {
  return Json{{"errors",
               {{{"message", "Throttled"},
                 {"extensions",
                  {{"code", "THROTTLED"},
                   {"documentation", "https://shopify.dev/api/usage/rate-limits"}}}}}},
              {"extensions",
               {{"cost",
                 {{"requestedQueryCost", 100},
                  {"actualQueryCost", nullptr},
                  {"throttleStatus",
                   {{"maximumAvailable", 2000.0},
                    {"currentlyAvailable", available},
                    {"restoreRate", 100.0}}}}}}}}
      .dump();
}

std::string ShopAnswer(double requested, double actual, double available) {
  return Json{{"data", {{"shop", {{"name", "A"}}}}},
              {"extensions",
               {{"cost",
                 {{"requestedQueryCost", requested},
                  {"actualQueryCost", actual},
                  {"throttleStatus",
                   {{"maximumAvailable", 2000.0},
                    {"currentlyAvailable", available},
                    {"restoreRate", 100.0}}}}}}}}
      .dump();
}

const Json kShopQuery{{"query", "query Shop { shop { name } }"}, {"operation_name", "Shop"}};

TEST(ShopifyTransport, ServerErrorIsRetryable) {
  ShopifyFixture f;
  f.server.Push({503, kCallLimit, R"({"errors":"Internal Server Error"})"});
  Json out = f.Run("shopify.orders_count", Json::object());
  ASSERT_TRUE(out.contains("error")) << out;
  EXPECT_TRUE(out["error"]["retryable"].get<bool>());
  EXPECT_EQ(out["error"]["code"], "server_error");
  EXPECT_NE(out["error"]["message"].get<std::string>().find("Internal Server Error"),
            std::string::npos);
  EXPECT_EQ(f.host.test_host().Counter("calls", Json{{"action", "shopify.orders_count"},
                                                     {"shop", "a.myshopify.com"},
                                                     {"status", "server_error"}}),
            1);
}

TEST(ShopifyTransport, UnauthorizedIsPermanentWithShopifysMessageAndNoToken) {
  ShopifyFixture f;
  f.server.Push(
      {401,
       {},
       R"j({"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"})j"});
  Json out = f.Run("shopify.orders_count", Json::object());
  ASSERT_TRUE(out.contains("error")) << out;
  EXPECT_FALSE(out["error"]["retryable"].get<bool>());
  EXPECT_EQ(out["error"]["code"], "unauthorized");
  const std::string message = out["error"]["message"];
  EXPECT_NE(message.find("[API] Invalid API key or access token"), std::string::npos) << message;
  EXPECT_EQ(message.find(kAdminToken), std::string::npos);
  // The request carried the token from the secret, on the documented path.
  auto received = f.server.Received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].Header("X-Shopify-Access-Token"), kAdminToken);
  EXPECT_EQ(received[0].uri, "/shops/a.myshopify.com/admin/api/2025-07/orders/count.json");
}

TEST(ShopifyTransport, NotFoundAndUnprocessableArePermanent) {
  ShopifyFixture f;
  f.server.Push({404, {}, R"({"errors":"Not Found"})"});
  Json out = f.Run("shopify.order_get", Json{{"id", "gid://shopify/Order/820982911946154508"}});
  EXPECT_EQ(out["error"]["code"], "not_found") << out;
  EXPECT_FALSE(out["error"]["retryable"].get<bool>());
  EXPECT_EQ(f.server.Received().at(0).uri,
            "/shops/a.myshopify.com/admin/api/2025-07/orders/820982911946154508.json");
  f.server.Push({422, {}, R"({"errors":{"address":["for this topic has already been taken"]}})"});
  f.server.Push({400, {}, R"({"errors":{"limit":["must be ≤ 250"]}})"});
  out = f.Run("shopify.products_count", Json::object());
  EXPECT_EQ(out["error"]["code"], "unprocessable") << out;
  EXPECT_NE(out["error"]["message"].get<std::string>().find("address for this topic"),
            std::string::npos);
  out = f.Run("shopify.products_count", Json::object());
  EXPECT_EQ(out["error"]["code"], "bad_request") << out;
}

TEST(ShopifyTransport, NetworkErrorIsRetryable) {
  int port = 0;
  {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = probe.address().port();
  }  // closed: nothing listens there now
  ShopifyFixture f(Json{{"shops",
                         {{{"domain", "a.myshopify.com"},
                           {"admin_token_secret", "SHOP_A_ADMIN"},
                           {"endpoint", "http://127.0.0.1:" + std::to_string(port)}}}}});
  Json out = f.Run("shopify.orders_count", Json::object());
  EXPECT_EQ(out["error"]["code"], "network") << out;
  EXPECT_TRUE(out["error"]["retryable"].get<bool>());
}

TEST(ShopifyTransport, MissingSecretIsPermanentAndNamesIt) {
  ShopifyFixture f(Json{{"shops",
                         {{{"domain", "a.myshopify.com"},
                           {"admin_token_secret", "NOT_SET_ANYWHERE"},
                           {"endpoint", "http://127.0.0.1:9"}}}}});
  Json out = f.Run("shopify.orders_count", Json::object());
  EXPECT_EQ(out["error"]["code"], "missing_secret") << out;
  EXPECT_NE(out["error"]["message"].get<std::string>().find("STOREFLOW_SECRET_NOT_SET_ANYWHERE"),
            std::string::npos);
  EXPECT_TRUE(f.server.Received().empty());
}

TEST(ShopifyTransport, RestRateLimitIsWaitedOutInsideTheDeadline) {
  ShopifyFixture f;
  f.server.Push(
      {429,
       {{"Retry-After", "0.05"}, {"X-Shopify-Shop-Api-Call-Limit", "40/40"}},
       R"({"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})"});
  f.server.Push({200, {{"X-Shopify-Shop-Api-Call-Limit", "12/40"}}, R"({"count":3})"});
  Json out = f.Run("shopify.orders_count", Json{{"status", "any"}}, 10'000);
  ASSERT_FALSE(out.contains("error")) << out;
  EXPECT_EQ(out["count"], 3);
  EXPECT_EQ(f.server.Received().size(), 2u);
  EXPECT_EQ(f.host.test_host().Counter("throttles"), 1);
  EXPECT_EQ(f.host.test_host().Counter("retries"), 1);
  // The 429 emptied the shared bucket; the retry waited for a call to leak out.
  EXPECT_LT(f.host.Level("rest:a.myshopify.com"), 1);
  EXPECT_NE(f.server.Received()[1].uri.find("status=any"), std::string::npos);
}

TEST(ShopifyTransport, RestRateLimitBeyondTheDeadlineFailsRetryableWithRetryAfter) {
  ShopifyFixture f;
  f.server.Push({429, {{"Retry-After", "2.0"}}, R"({"errors":"Exceeded 2 calls per second"})"});
  Json out = f.Run("shopify.orders_count", Json::object(), 1500);
  ASSERT_TRUE(out.contains("error")) << out;
  EXPECT_EQ(out["error"]["code"], "rate_limited");
  EXPECT_TRUE(out["error"]["retryable"].get<bool>());
  EXPECT_EQ(out["error"]["retry_after_ms"], 2000);
  EXPECT_EQ(f.server.Received().size(), 1u);
  EXPECT_DOUBLE_EQ(f.host.Level("rest:a.myshopify.com"), 0);  // a 429 empties the bucket
}

TEST(ShopifyTransport, ThrottledGraphQLWaitsForTheBucketAndRetries) {
  ShopifyFixture f;
  // 100 needed, 95 there, 100/s: a 50 ms wait.
  f.server.Push({200, {}, Throttled(95)});
  f.server.Push({200, {}, ShopAnswer(100, 12, 1888)});
  Json out = f.Run("shopify.graphql", kShopQuery, 10'000);
  ASSERT_FALSE(out.contains("error")) << out;
  EXPECT_EQ(out["data"]["shop"]["name"], "A");
  EXPECT_EQ(out["cost"]["actual"], 12);
  EXPECT_EQ(f.host.test_host().Counter("throttles"), 1);
  EXPECT_EQ(f.host.test_host().Counter(
                "retries",
                Json{{"shop", "a.myshopify.com"}, {"api", "graphql"}, {"reason", "throttled"}}),
            1);
  auto received = f.server.Received();
  ASSERT_EQ(received.size(), 2u);
  Json sent = Json::parse(received[0].body);
  EXPECT_EQ(sent["operationName"], "Shop");
  EXPECT_EQ(received[0].uri, "/shops/a.myshopify.com/admin/api/2025-07/graphql.json");
  // The throttle capped the level at Shopify's 95; the retry reserved 100 once
  // it had refilled and got 100 - 12 back. Shopify's 1888 does not raise it.
  EXPECT_NEAR(f.host.Level("graphql:a.myshopify.com"), 88, 10);
}

TEST(ShopifyTransport, CallLimitHeaderLowersTheSharedLevel) {
  ShopifyFixture f;
  f.server.Push({200, {{"X-Shopify-Shop-Api-Call-Limit", "32/40"}}, R"({"count":1})"});
  ASSERT_FALSE(f.Run("shopify.products_count", Json::object()).contains("error"));
  EXPECT_NEAR(f.host.Level("rest:a.myshopify.com"), 8, 0.5);  // 40 - 32
}

TEST(ShopifyTransport, ThrottledBeyondTheDeadlineFailsRetryable) {
  ShopifyFixture f;
  f.server.Push({200, {}, Throttled(0)});  // 100 points at 100/s: 1 s
  Json out = f.Run("shopify.graphql", kShopQuery, 1200);
  ASSERT_TRUE(out.contains("error")) << out;
  EXPECT_EQ(out["error"]["code"], "throttled");
  EXPECT_TRUE(out["error"]["retryable"].get<bool>());
  EXPECT_EQ(out["error"]["retry_after_ms"], 1000);
  EXPECT_EQ(f.server.Received().size(), 1u);
  // The throttled query cost nothing: the reservation came back, capped at 0.
  EXPECT_NEAR(f.host.Level("graphql:a.myshopify.com"), 0, 1);
}

TEST(ShopifyTransport, ReservesTheCachedRequestedCostAfterTheFirstAnswer) {
  ShopifyFixture f;
  f.server.Push({200, {}, ShopAnswer(252, 40, 1960)});
  f.server.Push({200, {}, ShopAnswer(252, 40, 1920)});
  ASSERT_FALSE(f.Run("shopify.graphql", kShopQuery).contains("error"));
  ASSERT_FALSE(f.Run("shopify.graphql", kShopQuery).contains("error"));
  auto acquires = f.host.Acquires();
  ASSERT_EQ(acquires.size(), 2u);
  EXPECT_EQ(acquires[0].bucket, "graphql:a.myshopify.com");
  EXPECT_DOUBLE_EQ(acquires[0].cost, 100);  // default_query_cost: never seen
  EXPECT_DOUBLE_EQ(acquires[1].cost, 252);  // requestedQueryCost of the first answer
  // A declared estimate counts for a query never seen.
  f.server.Push({200, {}, ShopAnswer(7, 7, 1900)});
  Json other{{"query", "query Other { shop { id } }"}, {"cost_estimate", 7}};
  ASSERT_FALSE(f.Run("shopify.graphql", other).contains("error"));
  EXPECT_DOUBLE_EQ(f.host.Acquires().back().cost, 7);
}

TEST(ShopifyTransport, AnEmptySharedBucketFailsRetryableWithoutCallingShopify) {
  ShopifyFixture f(Json{{"max_wait_ms", 0}});
  f.host.SetLevel("graphql:a.myshopify.com", 10);
  Json out = f.Run("shopify.graphql", kShopQuery);
  EXPECT_EQ(out["error"]["code"], "throttled") << out;
  EXPECT_NEAR(out["error"]["retry_after_ms"].get<double>(), 900, 50);  // 90 points at 100/s
  EXPECT_TRUE(f.server.Received().empty());
}

TEST(ShopifyTransport, GraphQLErrorsArePermanent) {
  ShopifyFixture f;
  f.server.Push(
      {200,
       {},
       R"({"errors":[{"message":"Query cost is 1500, which exceeds the single query max cost limit (1000).","extensions":{"code":"MAX_COST_EXCEEDED"}}]})"});
  Json out = f.Run("shopify.graphql", kShopQuery);
  EXPECT_EQ(out["error"]["code"], "max_cost_exceeded") << out;
  EXPECT_FALSE(out["error"]["retryable"].get<bool>());
  // Nothing ran: no cost extension, nothing spent beyond the reservation.
  f.server.Push({200, {}, R"({"errors":[{"message":"Field 'x' doesn't exist on type 'Shop'"}]})"});
  out = f.Run("shopify.graphql", kShopQuery);
  EXPECT_EQ(out["error"]["code"], "graphql_error") << out;
  EXPECT_NE(out["error"]["message"].get<std::string>().find("doesn't exist"), std::string::npos);
}

}  // namespace
}  // namespace storeflow::plugins::shopify::testing
