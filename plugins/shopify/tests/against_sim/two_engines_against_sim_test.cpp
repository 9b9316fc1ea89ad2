// Two "engines" (each its own Store connection, rate governor and host services,
// as two storeflow processes would have) on one PostgreSQL database, each with its
// own shopify plugin instance: they share one GraphQL bucket per shop through the
// database, so together they stay within the shop's budget.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "plugin/host_services.h"
#include "plugin/rate_governor.h"
#include "runtime/clock.h"
#include "runtime/secrets.h"
#include "sim_plugin_fixture.h"
#include "store/store.h"
#include "store_fixture.h"  // PgTestDatabase

namespace storeflow::plugins::shopify::testing {
namespace {

using sdk::Json;

constexpr int kFirst = 50;  // 52 points per call, all of them used
const std::string kBucket = std::string("graphql:") + kAlpha;

// One engine process, as far as the plugin can tell.
struct Engine {
  Engine(const std::string& db_url, const std::string& endpoint) {
    auto opened = store::Store::Open(db_url, store::OpenOptions());
    if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
    store = std::move(opened).value();
    rate = std::make_unique<plugin::RateGovernor>(store.get(), clock);
    auto env = std::make_shared<plugin::HostEnvironment>();
    env->store = store.get();
    env->clock = &clock;
    env->rate = rate.get();
    env->secrets = std::make_shared<const runtime::SecretStore>(std::map<std::string, std::string>{
        {"ALPHA_ADMIN", kAlphaAdminToken}, {"ALPHA_STOREFRONT", kAlphaStorefrontToken}});
    env->log = [](std::string_view, std::string_view) {};
    services = std::make_unique<plugin::HostServices>("shopify", env);
    host = std::make_unique<sdk::Host>(services->table());
    Json config{{"shops",
                 {{{"domain", kAlpha},
                   {"admin_token_secret", "ALPHA_ADMIN"},
                   {"storefront_token_secret", "ALPHA_STOREFRONT"},
                   {"endpoint", endpoint}}}},
                {"timeout_ms", 10000},
                {"max_wait_ms", 60000}};
    actions = std::make_unique<ShopifyActions>(*host, ParseShopifyConfig(config),
                                               std::make_shared<PocoTransport>());
  }

  // The shared bucket's level as this engine sees it (refund 0, at_most -1 only read).
  double Level() const {
    const storeflow_host_v1* t = services->table();
    double level = -1;
    EXPECT_EQ(t->rate_adjust(t->context, kBucket.c_str(), 2000, 100, 0, -1, &level), 1);
    return level;
  }

  Json Orders() const {
    sdk::Call call;
    call.now_ms = host->NowMs();
    call.deadline_ms = call.now_ms + 60000;
    const Json input{
        {"query",
         "query Orders($first:Int!,$after:String,$query:String){ orders(first:$first, "
         "after:$after, query:$query){ edges{ cursor node{ id legacyResourceId name updatedAt } } "
         "pageInfo{ hasNextPage endCursor } } }"},
        {"operation_name", "Orders"},
        {"variables", {{"first", kFirst}}},
        {"cost_estimate", kFirst + 2}};
    try {
      return actions->Invoke("shopify.graphql", input, call);
    } catch (const sdk::Error& e) {
      return Json{{"error", {{"code", e.code()}, {"message", e.what()}}}};
    }
  }

  runtime::SystemClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<plugin::RateGovernor> rate;
  std::unique_ptr<plugin::HostServices> services;
  std::unique_ptr<sdk::Host> host;
  std::unique_ptr<ShopifyActions> actions;
};

class TwoEnginesAgainstSim : public SimPluginTest {};

TEST_F(TwoEnginesAgainstSim, ShareOneBucketPerShopThroughPostgres) {
  if (store::testing::PgTestDatabase::ServerUrl() == nullptr) {
    if (store::testing::PgTestDatabase::ExplicitlyOff()) GTEST_SKIP() << "STOREFLOW_TEST_PG=off";
    FAIL() << "STOREFLOW_TEST_PG_URL is not set: run tools/test.sh, set it to a PostgreSQL "
              "server, or set STOREFLOW_TEST_PG=off to skip this test";
  }
  store::testing::PgTestDatabase db;
  ASSERT_EQ(db.Create(), "");
  StartSim({"--orders", "300", "--seed", "5"});
  Engine a(db.url(), Endpoint());
  Engine b(db.url(), Endpoint());
  ASSERT_TRUE(a.rate->shared());

  // What engine A spends, engine B sees.
  const auto started = std::chrono::steady_clock::now();
  constexpr int kCallsByA = 25;  // 1,300 points
  for (int i = 0; i < kCallsByA; ++i) {
    Json out = a.Orders();
    ASSERT_FALSE(out.contains("error")) << out;
  }
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double seen_by_b = b.Level();
  const double seen_by_a = a.Level();
  EXPECT_LE(seen_by_b, 2000 - kCallsByA * (kFirst + 2) + 100 * (elapsed_s + 1)) << elapsed_s;
  EXPECT_NEAR(seen_by_a, seen_by_b, 50);
  std::cout << "after " << kCallsByA << " calls by engine A (" << elapsed_s
            << " s): level seen by A " << seen_by_a << ", by B " << seen_by_b << "\n";

  // Both engines, 4 workers each, hammer the shop at once.
  constexpr int kWorkers = 4;
  constexpr int kCallsPerWorker = 4;
  std::atomic<int> succeeded{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;
  std::vector<std::thread> workers;
  for (Engine* engine : {&a, &b}) {
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back([&, engine] {
        for (int i = 0; i < kCallsPerWorker; ++i) {
          Json out = engine->Orders();
          if (!out.contains("error") && out["data"]["orders"]["edges"].size() == kFirst) {
            ++succeeded;
          } else {
            std::lock_guard lock(failures_mu);
            failures.push_back(out.dump().substr(0, 300));
          }
        }
      });
    }
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(succeeded.load(), 2 * kWorkers * kCallsPerWorker);
  for (const auto& f : failures) ADD_FAILURE() << f;

  const Json bucket = ShopControl("GET", "/bucket");
  EXPECT_GE(bucket["graphql"]["min_seen"].get<double>(), 0) << bucket;
  const Json received = ShopControl("GET", "/received");
  int throttled = 0;
  for (const Json& r : received["received"]) {
    if (r.value("throttled", false)) ++throttled;
  }
  std::cout << "two engines: " << succeeded.load() << " concurrent calls ok, THROTTLED answers "
            << throttled << ", min_seen " << bucket["graphql"]["min_seen"] << "\n";
}

}  // namespace
}  // namespace storeflow::plugins::shopify::testing
