// /api/v1/reconciliations and /api/v1/health/sync on a real engine: a stand-in
// `reconcile` workflow writes the report the shipped one would (the shipped one
// runs end to end in tests/e2e/reconcile_test.cpp against the Shopify simulator).

#include <chrono>

#include "admin_test_util.h"
#include "common/ack_window.h"

namespace storeflow::http::testing {
namespace {

class AdminReconciliationsTest : public AdminApiTest {
 protected:
  // A reconcile workflow that reports what its request asks for.
  void LoadReconcile(const std::string& shop) {
    Load(R"(workflow: reconcile
on: [{event: reconcile/requested}]
config: { shop: ")" +
             shop + R"(", report_collection: reconciliations }
steps:
  - id: report
    uses: store.put
    with:
      collection: "${{ config.report_collection }}"
      key: "${{ run.id }}"
      value: { status: ok, found: critical, shop: "${{ event.shop or config.shop }}",
               missing: 37, stale: 0, repaired: 37, resources: { orders: { missing: 37 } } }
)",
         "reconcile.yaml");
  }
};
STOREFLOW_INSTANTIATE_STORE_TESTS(AdminReconciliationsTest);

TEST_P(AdminReconciliationsTest, WithoutTheWorkflowOrAShopItIsAConflict) {
  Json refused = Post("/api/v1/reconciliations", "", 409);
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("not loaded"), std::string::npos);
  LoadReconcile("");
  refused = Post("/api/v1/reconciliations", "{}", 409);
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("workflows.reconcile.shop"),
            std::string::npos)
      << refused;
  // A shop in the request will do.
  Json started = Post("/api/v1/reconciliations", R"({"shop": "a.myshopify.com"})", 202);
  EXPECT_GT(started["id"].get<std::int64_t>(), 0);
}

TEST_P(AdminReconciliationsTest, BadBodiesNameEveryProblem) {
  LoadReconcile("a.myshopify.com");
  Json bad =
      Post("/api/v1/reconciliations", R"({"window": 5, "resources": ["orders", "refunds"]})", 400);
  ASSERT_EQ(bad["error"]["details"].size(), 2u) << bad;
  EXPECT_EQ(bad["error"]["details"][0]["name"], "$.window");
  EXPECT_EQ(bad["error"]["details"][1]["name"], "$.resources[1]");
  bad = Post("/api/v1/reconciliations", R"({"shopp": "x"})", 400);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("shop"), std::string::npos) << bad;
}

TEST_P(AdminReconciliationsTest, StartsListsAndShowsReports) {
  LoadReconcile("a.myshopify.com");
  LoadOrders();
  Json first = Post("/api/v1/reconciliations", "{}", 202);
  const std::int64_t a = first["id"];
  EXPECT_EQ(first["status"], "running");  // not run yet
  Json shown = Get("/api/v1/reconciliations/" + std::to_string(a));
  EXPECT_EQ(shown["status"], "running");
  EXPECT_FALSE(shown.contains("report"));
  Finish(a);
  const std::int64_t c = Post("/api/v1/reconciliations", R"({"window": "1d"})", 202)["id"];
  Finish(c);

  shown = Get("/api/v1/reconciliations/" + std::to_string(a));
  EXPECT_EQ(shown["status"], "ok");
  EXPECT_EQ(shown["found"], "critical");
  EXPECT_EQ(shown["missing"], 37);
  EXPECT_EQ(shown["shop"], "a.myshopify.com");
  EXPECT_EQ(shown["run_status"], "completed");
  EXPECT_EQ(shown["report"]["resources"]["orders"]["missing"], 37);

  Json list = Get("/api/v1/reconciliations?limit=1");
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["id"], c);  // newest first
  EXPECT_FALSE(list["items"][0].contains("report"));
  Json next =
      Get("/api/v1/reconciliations?limit=1&cursor=" + list["next_cursor"].get<std::string>());
  ASSERT_EQ(next["items"].size(), 1u);
  EXPECT_EQ(next["items"][0]["id"], a);
  EXPECT_TRUE(next["next_cursor"].is_null());

  // A run of another workflow is not a reconciliation.
  const std::int64_t other = Start("orders", {{"id", "o1"}});
  Get("/api/v1/reconciliations/" + std::to_string(other), 404);
  Get("/api/v1/reconciliations/x", 400);
}

class AdminSyncHealthTest : public AdminReconciliationsTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(AdminSyncHealthTest);

TEST_P(AdminSyncHealthTest, RatesEveryCheckAndTheWorstWins) {
  AckWindow::Default().Clear();
  Json health = Get("/api/v1/health/sync");
  EXPECT_EQ(health["status"], "ok") << health.dump(2);
  for (const char* check : {"order_lag", "webhook_error_rate", "webhook_ack_p50", "webhook_ack_p99",
                            "dead_letters", "dead_letter_age", "reconciliation"}) {
    ASSERT_TRUE(health["checks"].contains(check)) << check;
    EXPECT_EQ(health["checks"][check]["status"], "ok") << check;
  }
  EXPECT_TRUE(health["checks"]["reconciliation"]["value"].is_null());

  // A dead letter: one is a warning by default (sync_health.dead_letters_warning: 1).
  LoadOrders();
  Finish(Start("orders", {{"id", "o1"}, {"fail", true}}));
  // A reconciliation that ended critical.
  LoadReconcile("a.myshopify.com");
  const std::int64_t r = Post("/api/v1/reconciliations", "{}", 202)["id"];
  Finish(r);
  health = Get("/api/v1/health/sync");
  EXPECT_EQ(health["checks"]["dead_letters"]["status"], "warning") << health.dump(2);
  EXPECT_EQ(health["checks"]["dead_letters"]["value"], 1);
  EXPECT_EQ(health["checks"]["reconciliation"]["value"], "ok");
  EXPECT_EQ(health["checks"]["reconciliation"]["id"], r);
  EXPECT_EQ(health["status"], "warning");

  // Webhook answers of the last hour: 1 error in 10 is over the 5% critical rate.
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (int i = 0; i < 10; ++i) AckWindow::Default().Record(now, i == 0, 40.0 + i);
  health = Get("/api/v1/health/sync");
  EXPECT_EQ(health["checks"]["webhook_error_rate"]["status"], "critical") << health.dump(2);
  EXPECT_EQ(health["checks"]["webhook_error_rate"]["requests"], 10);
  EXPECT_DOUBLE_EQ(health["checks"]["webhook_error_rate"]["value"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(health["checks"]["webhook_ack_p50"]["value"].get<double>(), 0.044);
  EXPECT_EQ(health["checks"]["webhook_ack_p50"]["status"], "ok");
  EXPECT_EQ(health["status"], "critical");
  AckWindow::Default().Clear();
}

}  // namespace
}  // namespace storeflow::http::testing
