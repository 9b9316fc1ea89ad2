// Eight concurrent callers hammering shopify.graphql through one plugin instance
// (one budget governor, one shared bucket in the host): the simulator's cost bucket
// never goes below zero and every call eventually succeeds.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "sim_plugin_fixture.h"

namespace storeflow::plugins::shopify::testing {
namespace {

using sdk::Json;

constexpr int kThreads = 8;
constexpr int kCallsPerThread = 8;
constexpr int kFirst = 50;  // requested 52 points, actual 52 (the shop has the orders)

// 64 calls x 52 points = 3,328 points: more than the 2,000 bucket, so the callers
// must wait for the restore (100/s) — about 13 s, bounded by each call's deadline.
static_assert(kThreads * kCallsPerThread * (kFirst + 2) > 2000);

class ConcurrencyAgainstSim : public SimPluginTest {};

TEST_F(ConcurrencyAgainstSim, EightCallersNeverDriveTheBucketBelowZero) {
  StartSim({"--orders", "300", "--seed", "3"});
  Configure(Json{{"max_wait_ms", 60000}});
  const Json input{
      {"query",
       "query Orders($first:Int!,$after:String,$query:String){ orders(first:$first, "
       "after:$after, query:$query){ edges{ cursor node{ id legacyResourceId name updatedAt "
       "totalPriceSet{ shopMoney{ amount currencyCode } } } } pageInfo{ hasNextPage endCursor } } "
       "}"},
      {"operation_name", "Orders"},
      {"variables", {{"first", kFirst}}},
      {"cost_estimate", kFirst + 2}};
  std::atomic<int> succeeded{0};
  std::vector<std::string> failures;
  std::mutex failures_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        // Like the engine: a retryable error is tried again (each attempt with a deadline).
        Json out;
        for (int attempt = 0; attempt < 5; ++attempt) {
          out = Run("shopify.graphql", input, 60000);
          if (!out.contains("error") || !out["error"]["retryable"].get<bool>()) break;
        }
        if (!out.contains("error") && out["data"]["orders"]["edges"].size() == kFirst) {
          ++succeeded;
        } else {
          std::lock_guard lock(failures_mu);
          failures.push_back(out.dump().substr(0, 400));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(succeeded.load(), kThreads * kCallsPerThread);
  for (const auto& f : failures) ADD_FAILURE() << f;

  Json bucket = ShopControl("GET", "/bucket");
  EXPECT_GE(bucket["graphql"]["min_seen"].get<double>(), 0) << bucket;
  // The bucket was really drained: the governor made the callers wait rather than
  // every call passing at once.
  EXPECT_LT(bucket["graphql"]["min_seen"].get<double>(), 2000 - 52 * 30) << bucket;
  int throttled = 0;
  int calls = 0;
  const Json received = ShopControl("GET", "/received");
  for (const Json& r : received["received"]) {
    if (r.value("operationName", "") != "Orders") continue;
    ++calls;
    if (r.value("throttled", false)) ++throttled;
  }
  std::cout << "graphql calls " << calls << ", THROTTLED answers " << throttled << ", min_seen "
            << bucket["graphql"]["min_seen"] << "\n";
  EXPECT_EQ(calls - throttled, kThreads * kCallsPerThread);
}

}  // namespace
}  // namespace storeflow::plugins::shopify::testing
