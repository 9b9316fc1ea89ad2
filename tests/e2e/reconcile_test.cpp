// Reconciliation (workflows/reconcile.yaml, docs/cookbook/reconciliation.md) end
// to end: a real `storeflow serve` syncing orders from the Shopify simulator by
// webhook (sync-orders.yaml), on SQLite and on PostgreSQL. 13 orders arrive by
// webhook; the next 37 lose theirs (the simulator's drop fault): a gap. A
// reconciliation started over the admin API finds it (critical: 37 >= 25),
// repairs it by walking the orders listing five per page through the fenced
// store.put — the engine is killed with SIGKILL in the middle of the walk and
// started again, and the walk goes on from its checkpointed cursor instead of
// starting over — then counts again (ok) and posts the alert to a webhook. A
// second reconciliation, started with `storeflow reconcile --wait`, reports ok.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim_serve_fixture.h"
#include "webhook_receiver.h"

namespace storeflow::e2e {

using test_support::Http;
using test_support::HttpReply;
using test_support::ServeProcess;
namespace {

namespace fs = std::filesystem;
namespace sim = storeflow::shopify_sim::testing;
using nlohmann::json;

constexpr char kShop[] = "alpha.myshopify.com";
constexpr char kAdminToken[] = "shpat_alpha_admin_token_0001";  // tests/fixtures/shopify/sim
constexpr char kSecret[] = "hush";                              // alpha's webhook_secret
constexpr int kSynced = 13;                                     // orders whose webhook arrives
constexpr int kGap = 37;                                        // orders whose webhook is dropped
constexpr int kPageSize = 5;
constexpr int kPages = (kSynced + kGap + kPageSize - 1) / kPageSize;

class ReconcileTest : public SimServeTest {
 protected:
  ReconcileTest() : SimServeTest("reconcile") {}

  void SetUp() override {
    SimServeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    for (const char* name : {"sync-orders.yaml", "reconcile.yaml", "sync-alert.yaml"}) {
      CopyWorkflow(name);
    }
    CopySchemas();
    // The plugin's REST budget is one call at a time, two a second: each page of
    // the walk waits for it, so the walk takes seconds and the kill lands inside it.
    WriteConfig(std::string("admin:\n  token: ") + kAdminApiToken +
                "\nwebhooks:\n  shopify_secrets: " + kSecret + "\n" +
                "http_client:\n  allow_hosts: [127.0.0.1]\n" +
                "sync_health:\n  check_interval: off\n" +  // only the reconciliation alerts here
                "workflows:\n  reconcile:\n    shop: " + kShop +
                "\n    page_size: " + std::to_string(kPageSize) +
                "\n    window: 2d\n  sync-alert:\n    webhook: " + alerts_.url("/alerts") + "\n" +
                "plugins:\n  config:\n    shopify:\n      shops:\n        - domain: " + kShop +
                "\n          admin_token_secret: ALPHA_ADMIN\n" +
                "          endpoint: " + ShopEndpoint(kShop) + "\n" +
                "          limits: {rest_bucket: 1, rest_leak_per_second: 2}\n");
    SetSecret("ALPHA_ADMIN", kAdminToken);
    StartServer();
    ASSERT_FALSE(HasFatalFailure());
    Subscribe(kShop, kAdminToken, {"orders/create", "orders/updated"});
  }

  // Starts the server; a restarted one is given the first one's port again (the
  // webhook subscriptions name it).
  void StartServer() {
    SimServeTest::StartServer({"--workers", "2", "--lease", "2000"},
                              port_ == 0 ? "" : "127.0.0.1:" + std::to_string(port_));
    port_ = server_.port();
  }

  // The local order records of the shop, by id.
  std::set<std::int64_t> LocalOrders() {
    std::set<std::int64_t> ids;
    HttpReply r = Admin("GET", "/api/v1/records/shopify_orders?limit=500");
    if (r.status != 200) return ids;
    const json page = r.json();  // the range below must not be a temporary's part
    for (const json& record : page["items"]) ids.insert(record["value"]["id"].get<std::int64_t>());
    return ids;
  }

  // Creates an order in the simulator (which sends orders/create); its id.
  std::int64_t CreateOrder(int n) {
    auto r = Control("POST", std::string("/shops/") + kShop + "/orders",
                     {{"email", "buyer" + std::to_string(n) + "@example.test"},
                      {"total_price", "10.00"},
                      {"currency", "EUR"},
                      {"financial_status", "paid"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["order"]["id"].get<std::int64_t>();
  }

  // Waits until reconciliation `id` has ended; its detail (null when it did not).
  json WaitForReport(std::int64_t id) {
    while (!OverBudget()) {
      HttpReply r = Admin("GET", "/api/v1/reconciliations/" + std::to_string(id));
      if (r.status == 200) {
        const json body = r.json();
        if (body["status"] != "running" && body["status"] != "queued") return body;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return nullptr;
  }

  // GET requests the simulator received for the orders listing (not counts).
  int ListingCalls() {
    auto received = Control("GET", std::string("/shops/") + kShop + "/received").json();
    int n = 0;
    for (const json& r : received["received"]) {
      const std::string path = r.value("path", "");
      if (r.value("method", "") == "GET" && path.size() > 11 &&
          path.compare(path.size() - 11, 11, "orders.json") == 0 &&
          path.find("/count") == std::string::npos) {
        ++n;
      }
    }
    return n;
  }

  sim::WebhookReceiver alerts_;
  std::uint16_t port_ = 0;
};

TEST_P(ReconcileTest, FindsAndRepairsAGapOf37OrdersAcrossAKillThenReportsOk) {
  std::set<std::int64_t> synced, dropped;
  for (int i = 0; i < kSynced; ++i) synced.insert(CreateOrder(i));
  while (LocalOrders().size() < synced.size() && !OverBudget()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(LocalOrders(), synced);
  // The gap: these orders' webhooks never arrive.
  ASSERT_EQ(Control("POST", "/webhooks/faults", {{"mode", "drop"}, {"count", kGap}}).status, 201);
  for (int i = 0; i < kGap; ++i) dropped.insert(CreateOrder(kSynced + i));
  ASSERT_EQ(LocalOrders(), synced);
  ASSERT_LT(Control("DELETE", std::string("/shops/") + kShop + "/received").status, 300);

  HttpReply started = Admin("POST", "/api/v1/reconciliations", "{}");
  ASSERT_EQ(started.status, 202) << started.body;
  const std::int64_t id = started.json()["id"].get<std::int64_t>();

  // Kill -9 in the middle of the walk: once the checkpoint says 2 of its pages are done.
  int pages_at_kill = 0;
  const std::string checkpoint =
      "/api/v1/records/reconcile_checkpoints/" + std::to_string(id) + "/orders";
  while (!OverBudget()) {
    HttpReply r = Admin("GET", checkpoint);
    if (r.status == 200) {
      const json value = r.json()["value"];
      if (value.value("done", false)) break;
      if (value.value("pages", 0) >= 2) {
        server_.Stop(SIGKILL);
        pages_at_kill = value["pages"].get<int>();
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(pages_at_kill, 2) << "the walk ended before the kill; make it slower";
  ASSERT_LT(pages_at_kill, kPages);
  StartServer();
  ASSERT_FALSE(HasFatalFailure());

  const json report = WaitForReport(id);
  ASSERT_FALSE(report.is_null()) << "no report within the budget\n" << server_.log();
  ASSERT_TRUE(report.contains("report")) << report.dump(2);
  const json& orders = report["report"]["resources"]["orders"];
  EXPECT_EQ(report["found"], "critical") << report.dump(2);
  EXPECT_EQ(report["status"], "ok") << report.dump(2);
  EXPECT_EQ(orders["before"]["gap"], kGap) << orders.dump(2);
  EXPECT_EQ(orders["before"]["shopify"], kSynced + kGap);
  EXPECT_EQ(orders["after"]["gap"], 0) << orders.dump(2);
  EXPECT_EQ(orders["missing"], kGap);
  EXPECT_EQ(orders["stale"], 0);
  EXPECT_EQ(orders["pages"], kPages);  // each page counted once, across the kill
  std::set<std::int64_t> missing;
  for (const json& m : orders["missing_ids"]) missing.insert(std::stoll(m.get<std::string>()));
  EXPECT_EQ(missing, dropped);
  // Resumed, not restarted: at most the page in flight at the kill was fetched twice.
  const int listing = ListingCalls();
  EXPECT_GE(listing, kPages);
  EXPECT_LE(listing, kPages + 1);

  std::set<std::int64_t> all = synced;
  all.insert(dropped.begin(), dropped.end());
  EXPECT_EQ(LocalOrders(), all);
  ASSERT_EQ(alerts_.WaitFor(1, std::chrono::seconds(20)), 1u);
  const json alert = json::parse(alerts_.received()[0].body, nullptr, false);
  EXPECT_NE(alert.value("text", "").find("critical"), std::string::npos) << alert.dump(2);

  // A second reconciliation, from the CLI: nothing missing now.
  const std::string command =
      std::string("cd ") + STOREFLOW_SOURCE_DIR + " && STOREFLOW_ADMIN_TOKEN=" + kAdminApiToken +
      " " + STOREFLOW_BINARY +
      " reconcile --wait --timeout 2m --api http://127.0.0.1:" + std::to_string(port_) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int exit_code = WEXITSTATUS(pclose(pipe));
  EXPECT_EQ(exit_code, 0) << output;
  const json second = json::parse(output, nullptr, false);
  ASSERT_FALSE(second.is_discarded()) << output;
  EXPECT_EQ(second["found"], "ok") << output;
  EXPECT_EQ(second["status"], "ok");
  EXPECT_EQ(second["report"]["resources"]["orders"]["before"]["gap"], 0);

  HttpReply list = Admin("GET", "/api/v1/reconciliations");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json()["items"].size(), 2u) << list.body;
  EXPECT_EQ(list.json()["items"][0]["id"], second["id"]);  // newest first
  EXPECT_EQ(list.json()["items"][1]["id"], id);
  EXPECT_EQ(alerts_.received().size(), 1u);  // ok: no second alert

  std::printf(
      "reconcile: %d synced, %d dropped, killed after page %d of %d, %d listing calls, "
      "%lld s\n",
      kSynced, kGap, pages_at_kill, kPages, listing, ElapsedSeconds());
}

STOREFLOW_INSTANTIATE_STORE_TESTS(ReconcileTest);

}  // namespace
}  // namespace storeflow::e2e
