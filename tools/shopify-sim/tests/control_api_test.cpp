// The /_sim/ control API against the real simulator process: injected faults, entity
// changes, the generator, the received log and the buckets.

#include "sim_test_support.h"

namespace storeflow::shopify_sim::testing {
namespace {

const std::string kShop = "/_sim/shops/alpha.myshopify.com";

class ControlApiTest : public SimTest {};

TEST_F(ControlApiTest, InjectedFaultsAnswerForNCallsThenStop) {
  StartSim();
  ASSERT_EQ(
      Control("POST", kShop + "/faults", {{"api", "rest"}, {"status", 503}, {"count", 2}}).status,
      201);
  for (int i = 0; i < 2; ++i) {
    const Reply r = Admin("orders/count.json");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.json()["errors"], "Internal Server Error");
  }
  EXPECT_EQ(Admin("orders/count.json").status, 200);

  ASSERT_EQ(
      Control("POST", kShop + "/faults", {{"api", "any"}, {"status", 429}, {"count", 1}}).status,
      201);
  const Reply limited = Admin("orders/count.json");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "2.0");

  ASSERT_EQ(
      Control("POST", kShop + "/faults", {{"api", "rest"}, {"status", 401}, {"count", 1}}).status,
      201);
  EXPECT_EQ(Admin("orders/count.json").status, 401);
  EXPECT_EQ(Admin("orders/count.json").status, 200);

  // A fault for another API leaves REST alone.
  ASSERT_EQ(Control("POST", kShop + "/faults", {{"api", "graphql"}, {"status", 500}, {"count", 1}})
                .status,
            201);
  EXPECT_EQ(Admin("orders/count.json").status, 200);
  EXPECT_EQ(Control("GET", kShop + "/faults").json()["faults"].size(), 1u);
  EXPECT_EQ(Control("DELETE", kShop + "/faults").status, 200);

  EXPECT_EQ(
      Control("POST", kShop + "/faults", {{"api", "rest"}, {"status", 418}, {"count", 1}}).status,
      400);
  EXPECT_EQ(Control("POST", kShop + "/faults", {{"api", "rest"}, {"status", 503}}).status, 400);
  EXPECT_EQ(Control("POST", "/_sim/shops/nowhere.myshopify.com/faults", {{"count", 1}}).status,
            404);
}

TEST_F(ControlApiTest, CreateUpdateDeleteEntities) {
  StartSim();
  const Reply created =
      Control("POST", kShop + "/orders",
              {{"order", {{"email", "kim@example.com"}, {"total_price", "12.00"}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto id = created.json()["order"]["id"].get<std::int64_t>();
  EXPECT_GT(id, std::int64_t{1} << 53);
  EXPECT_EQ(Admin("orders/" + std::to_string(id) + ".json").json()["order"]["email"],
            "kim@example.com");

  ASSERT_EQ(Control("POST", "/_sim/clock/advance", {{"ms", 60000}}).status, 200);
  const Reply updated = Control("PUT", kShop + "/orders/" + std::to_string(id),
                                {{"closed_at", "2025-03-01T10:00:00-05:00"}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_NE(updated.json()["order"]["updated_at"], created.json()["order"]["updated_at"]);
  EXPECT_EQ(Admin("orders/count.json?status=closed").json()["count"], 1);

  EXPECT_EQ(Control("DELETE", kShop + "/orders/" + std::to_string(id)).status, 200);
  EXPECT_EQ(Admin("orders/" + std::to_string(id) + ".json").status, 404);
  EXPECT_EQ(Control("DELETE", kShop + "/orders/" + std::to_string(id)).status, 404);
  EXPECT_EQ(Control("POST", kShop + "/products", {{"id", 788032119674292922}}).status, 409);
  EXPECT_EQ(Control("POST", kShop + "/orders", nlohmann::json::array()).status, 400);
}

TEST_F(ControlApiTest, GenerateReceivedLogAndBuckets) {
  StartSim();
  const Reply generated = Control("POST", kShop + "/generate", {{"orders", 120}, {"seed", 9}});
  ASSERT_EQ(generated.status, 200) << generated.body;
  EXPECT_EQ(generated.json()["generated"], 120);
  EXPECT_EQ(Admin("orders/count.json").json()["count"], 120);
  EXPECT_EQ(Admin("orders/count.json", kBeta, kBetaToken).json()["count"], 0);

  Admin("orders.json?limit=5");
  const auto received = Control("GET", kShop + "/received").json()["received"];
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[1]["method"], "GET");
  EXPECT_EQ(received[1]["path"], "/shops/alpha.myshopify.com/admin/api/2025-07/orders.json");
  EXPECT_EQ(received[1]["query"]["limit"], "5");
  EXPECT_EQ(received[1]["status"], 200);
  EXPECT_TRUE(received[1]["time"].is_string());

  const auto bucket = Control("GET", kShop + "/bucket").json();
  EXPECT_EQ(bucket["rest"]["max"], 40);
  EXPECT_EQ(bucket["rest"]["max_seen"], 2);
  EXPECT_DOUBLE_EQ(bucket["graphql"]["max"].get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(bucket["graphql"]["restore_rate"].get<double>(), 100.0);

  const auto clock = Control("GET", "/_sim/clock").json();
  const auto advanced = Control("POST", "/_sim/clock/advance", {{"ms", 3600000}}).json();
  EXPECT_GE(advanced["now_ms"].get<std::int64_t>() - clock["now_ms"].get<std::int64_t>(), 3600000);
  EXPECT_EQ(Control("POST", "/_sim/clock/advance", {{"ms", -1}}).status, 400);
}

// PUT /bucket: a small GraphQL bucket for load tests, full, with a fresh
// low-water mark that the next calls lower.
TEST_F(ControlApiTest, ASmallGraphqlBucketCanBeSetAndItsLowWaterMarkFollows) {
  StartSim({"--orders", "30", "--seed", "2"});
  const Reply set =
      Control("PUT", kShop + "/bucket", {{"graphql", {{"max", 50}, {"restore_rate", 5}}}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_DOUBLE_EQ(set.json()["graphql"]["max"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(set.json()["graphql"]["restore_rate"].get<double>(), 5);
  EXPECT_DOUBLE_EQ(set.json()["graphql"]["min_seen"].get<double>(), 50);
  ASSERT_EQ(Control("POST", "/_sim/clock/freeze", {{"frozen", true}}).status, 200);
  auto Graphql = [&](const std::string& body) {
    return Http(sim_.port(), "POST", AdminPath(kAlpha, "graphql.json"), body,
                {{"X-Shopify-Access-Token", kAlphaToken}, {"Content-Type", "application/json"}});
  };
  const std::string query =
      R"({"query":"query Orders { orders(first: 20) { edges { node { id } } } }"})";
  const Reply first = Graphql(query);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_DOUBLE_EQ(
      first.json()["extensions"]["cost"]["throttleStatus"]["maximumAvailable"].get<double>(), 50);
  Graphql(query);
  const Reply throttled = Graphql(query);  // 22 + 22 taken: 6 left, 22 asked
  EXPECT_EQ(throttled.json()["errors"][0]["extensions"]["code"], "THROTTLED") << throttled.body;
  const auto bucket = Control("GET", kShop + "/bucket").json();
  EXPECT_DOUBLE_EQ(bucket["graphql"]["min_seen"].get<double>(), 6) << bucket;
  EXPECT_EQ(Control("PUT", kShop + "/bucket", {{"graphql", {{"max", 0}}}}).status, 400);
  EXPECT_EQ(
      Control("PUT", kShop + "/bucket", {{"graphql", {{"max", 10}, {"restore_rate", -1}}}}).status,
      400);
  EXPECT_EQ(Control("DELETE", kShop + "/bucket").status, 405);
}

TEST_F(ControlApiTest, BadBytesAndWrongTypesGetA400AndLeaveTheLogReadable) {
  StartSim();
  EXPECT_EQ(Admin("orders.json?status=%FF%FE").status, 400);
  EXPECT_EQ(Control("POST", "/_sim/webhooks/faults", {{"mode", 7}, {"count", 1}}).status, 400);
  EXPECT_EQ(Control("POST", "/_sim/webhooks/faults", {{"mode", "drop"}, {"count", "x"}}).status,
            400);
  EXPECT_EQ(Control("POST", kShop + "/products", {{"title", nullptr}, {"handle", 5}}).status, 201);
  EXPECT_EQ(Admin("products.json?handle=x").status, 200);  // a product whose handle is a number
  const Reply log = Control("GET", kShop + "/received");
  ASSERT_EQ(log.status, 200);
  EXPECT_TRUE(log.json()["received"][0]["query"]["status"].is_string()) << log.body;
}

}  // namespace
}  // namespace storeflow::shopify_sim::testing
