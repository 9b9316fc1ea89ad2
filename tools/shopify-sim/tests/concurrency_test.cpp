// Eight clients hammering Admin GraphQL at once: every answer is data or THROTTLED,
// and the cost bucket never goes below zero (min_seen).

#include <atomic>
#include <thread>

#include "sim_test_support.h"

namespace storeflow::shopify_sim::testing {
namespace {

class ConcurrencyTest : public SimTest {};

TEST_F(ConcurrencyTest, EightClientsNeverDriveTheBucketBelowZero) {
  StartSim({"--orders", "600"});
  const std::string query =
      "query Orders($first:Int!,$after:String,$query:String){ orders(first:$first, "
      "after:$after, query:$query){ edges{ cursor node{ id legacyResourceId name updatedAt } } "
      "pageInfo{ hasNextPage endCursor } } }";
  const std::string body =
      nlohmann::json{{"query", query}, {"variables", {{"first", 250}}}, {"operationName", "Orders"}}
          .dump();
  std::atomic<int> ok{0};
  std::atomic<int> throttled{0};
  std::atomic<int> other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < 12; ++i) {
        const Reply r = Http(sim_.port(), "POST", AdminPath(kAlpha, "graphql.json"), body,
                             {{"X-Shopify-Access-Token", kAlphaToken}});
        const auto j = r.json();
        if (r.status == 200 && j.contains("data") && j["data"]["orders"]["edges"].size() == 250) {
          ++ok;
        } else if (r.status == 200 && j.contains("errors") &&
                   j["errors"][0]["extensions"]["code"] == "THROTTLED") {
          ++throttled;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(ok.load(), 0);
  // 96 calls of 252 points each cannot fit in 2000 points plus 100/s within this test.
  EXPECT_GT(throttled.load(), 0);
  const auto bucket = Control("GET", "/_sim/shops/alpha.myshopify.com/bucket").json();
  EXPECT_GE(bucket["graphql"]["min_seen"].get<double>(), 0.0);
  EXPECT_LE(bucket["graphql"]["available"].get<double>(), 2000.0);
}

}  // namespace
}  // namespace storeflow::shopify_sim::testing
