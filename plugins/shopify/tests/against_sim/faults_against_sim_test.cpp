// Faults injected through the simulator's control API: a 5xx burst is retryable
// and the call succeeds once it is over; a 401 is permanent; 429 and THROTTLED are
// waited out inside the step's deadline.
#include <gtest/gtest.h>

#include "sim_plugin_fixture.h"

namespace storeflow::plugins::shopify::testing {
namespace {

using sdk::Json;

class FaultsAgainstSim : public SimPluginTest {
 protected:
  void Inject(const Json& fault) { ShopControl("POST", "/faults", fault); }

  // Runs `action` as the engine would retry it: again while the error is
  // retryable, at most `max_attempts` times. The attempts it took, and the last output.
  std::pair<int, Json> RunWithRetries(const std::string& action, const Json& input,
                                      int max_attempts) {
    Json out;
    for (int attempt = 1; attempt <= max_attempts; ++attempt) {
      out = Run(action, input, 30000);
      if (!out.contains("error") || !out["error"]["retryable"].get<bool>()) {
        return {attempt, out};
      }
    }
    return {max_attempts + 1, out};
  }
};

TEST_F(FaultsAgainstSim, FiveHundredBurstIsRetryableThenSucceeds) {
  StartSim();
  Configure();
  Inject(Json{{"api", "rest"}, {"status", 503}, {"count", 2}});
  Inject(Json{{"api", "rest"}, {"status", 500}, {"count", 1}});
  Json first = Run("shopify.order_get", Json{{"id", 820982911946154508}});
  EXPECT_EQ(first["error"]["code"], "server_error") << first;
  EXPECT_TRUE(first["error"]["retryable"].get<bool>()) << first;
  auto [attempts, out] = RunWithRetries("shopify.order_get", Json{{"id", 820982911946154508}}, 5);
  EXPECT_EQ(attempts, 3) << out;  // 2 more faults, then the order
  EXPECT_EQ(out["id"].dump(), "820982911946154508") << out;

  Inject(Json{{"api", "graphql"}, {"status", 502}, {"count", 2}});
  auto [gql_attempts, shop] = RunWithRetries(
      "shopify.graphql",
      Json{{"query", "query Shop { shop { id name } }"}, {"operation_name", "Shop"}}, 5);
  EXPECT_EQ(gql_attempts, 3) << shop;
  EXPECT_EQ(shop["data"]["shop"]["id"].get<std::string>().rfind("gid://shopify/Shop/", 0), 0u)
      << shop;
}

TEST_F(FaultsAgainstSim, UnauthorizedIsPermanent) {
  StartSim();
  Configure();
  Inject(Json{{"api", "rest"}, {"status", 401}, {"count", 1}});
  Json injected = Run("shopify.orders_count", Json::object());
  EXPECT_EQ(injected["error"]["code"], "unauthorized") << injected;
  EXPECT_FALSE(injected["error"]["retryable"].get<bool>()) << injected;
  EXPECT_NE(injected["error"]["message"].get<std::string>().find("Invalid API key"),
            std::string::npos)
      << injected;
  EXPECT_TRUE(Run("shopify.orders_count", Json::object()).contains("count"));

  // A wrong token: the simulator's own check, over REST and GraphQL.
  BucketHost& host = host_;
  auto wrong = MakeActions(host, {}, kWrongAdminSecret);  // holds "shpat_wrong"
  Json rest = RunOn(*wrong, host, "shopify.orders_count", Json::object(), std::nullopt);
  EXPECT_EQ(rest["error"]["code"], "unauthorized") << rest;
  EXPECT_FALSE(rest["error"]["retryable"].get<bool>());
  Json gql = RunOn(*wrong, host, "shopify.graphql",
                   Json{{"query", "query Shop { shop { id } }"}, {"operation_name", "Shop"}},
                   std::nullopt);
  EXPECT_EQ(gql["error"]["code"], "unauthorized") << gql;
  EXPECT_FALSE(gql["error"]["retryable"].get<bool>());
  // The token never shows in an error.
  EXPECT_EQ(rest.dump().find("shpat_wrong"), std::string::npos);
}

TEST_F(FaultsAgainstSim, ThrottledIsWaitedOutWithinTheDeadline) {
  StartSim();
  Configure();
  Inject(Json{{"throttle", true}, {"count", 2}});
  Json shop = Run("shopify.graphql",
                  Json{{"query", "query Shop { shop { id } }"}, {"operation_name", "Shop"}}, 30000);
  ASSERT_FALSE(shop.contains("error")) << shop;
  EXPECT_EQ(shop["data"]["shop"]["id"].get<std::string>().rfind("gid://shopify/Shop/", 0), 0u);
  EXPECT_EQ(host_.test_host().Counter(
                "retries", Json{{"shop", kAlpha}, {"api", "graphql"}, {"reason", "throttled"}}),
            2);

  // REST 429 with Retry-After: 2.0, waited out too.
  Inject(Json{{"api", "rest"}, {"status", 429}, {"count", 1}});
  Json count = Run("shopify.orders_count", Json{{"status", "any"}}, 30000);
  EXPECT_EQ(count, (Json{{"count", 1}}));

  // Not enough time left before the deadline: retryable with retry_after_ms.
  Inject(Json{{"api", "rest"}, {"status", 429}, {"count", 1}});
  Json late = Run("shopify.orders_count", Json{{"status", "any"}}, 1500);
  EXPECT_EQ(late["error"]["code"], "rate_limited") << late;
  EXPECT_TRUE(late["error"]["retryable"].get<bool>()) << late;
  EXPECT_GT(late["error"]["retry_after_ms"].get<std::int64_t>(), 0) << late;
}

}  // namespace
}  // namespace storeflow::plugins::shopify::testing
