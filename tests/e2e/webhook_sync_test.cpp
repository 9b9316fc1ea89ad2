// The webhook sync flow (workflows/sync-products.yaml) end to end: a real
// `storeflow serve` subscribed to the Shopify simulator's product webhooks, on
// SQLite and on PostgreSQL. 1,000 updates to 50 products are delivered shuffled
// (the simulator's reorder fault), duplicated (its duplicate fault) and with a
// failing burst (the engine killed with SIGKILL for 200 updates, so those
// deliveries fail and the simulator retries them later); a few products are
// deleted with an older update delivered after the deletion. A poller reads the
// local records throughout and checks that no product ever shows an older version
// after a newer one, nor comes back after its tombstone; at the end the local
// records equal the simulator's products.

#include <gtest/gtest.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim_serve_fixture.h"

namespace storeflow::e2e {

using test_support::Http;
using test_support::HttpReply;
using test_support::ServeProcess;
namespace {

namespace fs = std::filesystem;
namespace sim = storeflow::shopify_sim::testing;
using nlohmann::json;

constexpr char kShop[] = "alpha.myshopify.com";
constexpr char kAdminToken[] = "shpat_alpha_admin_token_0001";
constexpr char kSecret[] = "hush";  // alpha's webhook_secret in the fixtures
constexpr int kProducts = 50;
constexpr int kUpdates = 1000;
constexpr int kChunk = 20;                       // updates per reorder window
constexpr int kBurstFrom = 400, kBurstTo = 600;  // the engine is down for these
constexpr int kDeleted = 5;
constexpr std::int64_t kBaseSeconds = 1767225600;        // 2026-01-01T00:00:00Z
constexpr auto kTestBudget = std::chrono::seconds(270);  // ctest stops it at 300 s

// Shopify's REST time shape in the shop's zone (-05:00), from unix seconds.
std::string ShopTime(std::int64_t unix_seconds) {
  const time_t local = static_cast<time_t>(unix_seconds - 5 * 3600);
  tm parts{};
  gmtime_r(&local, &parts);
  char text[40];
  strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S-05:00", &parts);
  return text;
}

// Unix seconds of ShopTime's output (the test only ever writes that shape).
std::int64_t ParseShopTime(const std::string& text) {
  tm parts{};
  if (strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts) == nullptr) return -1;
  return static_cast<std::int64_t>(timegm(&parts)) + 5 * 3600;
}

class WebhookSyncTest : public SimServeTest {
 protected:
  WebhookSyncTest() : SimServeTest("sync", kTestBudget) {}

  void SetUp() override {
    SimServeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    // The flow under test alone (the folder's other product workflows, such as
    // store-sync, would only add runs).
    CopySchemas();
    CopyWorkflow("sync-products.yaml");
    WriteConfig(std::string("admin:\n  token: ") + kAdminApiToken +
                "\nwebhooks:\n  shopify_secrets: " + kSecret + "\n");
    StartServer("127.0.0.1:0");
    ASSERT_FALSE(HasFatalFailure());
    port_ = server_.port();
    Subscribe(kShop, kAdminToken, {"products/create", "products/update", "products/delete"});
  }

  void TearDown() override {
    stop_polling_ = true;
    if (poller_.joinable()) poller_.join();
    SimServeTest::TearDown();
  }

  void StartServer(const std::string& listen) {
    SimServeTest::StartServer({"--workers", "2", "--lease", "2000"}, listen);
  }

  // Local product records by product id, or nullopt when the server does not answer.
  std::optional<std::map<std::int64_t, json>> LocalProducts() {
    std::map<std::int64_t, json> out;
    try {
      HttpReply r = Admin("GET", "/api/v1/records/shopify_products?limit=500");
      if (r.status != 200) return std::nullopt;
      const json page = r.json();
      for (const json& record : page["items"]) out[record["value"]["id"]] = record["value"];
    } catch (const std::exception&) {
      return std::nullopt;  // down (the failing burst) or restarting
    }
    return out;
  }

  // What a record shows: the version (updated_at in seconds) or, for a
  // tombstone, a number after every version.
  static std::int64_t Seen(const json& value) {
    if (value.value("deleted", false)) return std::numeric_limits<std::int64_t>::max();
    return ParseShopTime(value.value("updated_at", ""));
  }

  // Reads the records again and again; any version older than one seen before
  // for the same product is a violation.
  void StartPoller() {
    poller_ = std::thread([this] {
      std::map<std::int64_t, std::int64_t> newest;
      while (!stop_polling_) {
        auto local = LocalProducts();
        if (local) {
          std::lock_guard lock(mu_);
          ++polls_;
          for (const auto& [id, value] : *local) {
            const std::int64_t seen = Seen(value);
            auto [it, first] = newest.emplace(id, seen);
            if (!first && seen < it->second) {
              violations_.push_back("product " + std::to_string(id) + ": saw " +
                                    value.dump().substr(0, 200) + " after version " +
                                    std::to_string(it->second));
            }
            if (seen > it->second) it->second = seen;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }

  // Deliveries not sent yet (pending; with `held`, also those a reorder holds).
  int Undelivered(bool held) {
    auto deliveries = Control("GET", std::string("/shops/") + kShop + "/deliveries").json();
    int n = 0;
    for (const json& d : deliveries["deliveries"]) {
      if (d["state"] == "pending" && d["attempts"].empty()) ++n;  // not tried yet
      if (held && d["state"] == "held") ++n;
    }
    return n;
  }

  // Waits until the simulator has tried every delivery triggered so far.
  void WaitForFirstAttempts() {
    while (Undelivered(false) > 0 && !OverBudget()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // Sends the simulator's due delivery retries until none is pending. The
  // simulator sends the retries an advance makes due before it answers: allow it time.
  void DeliverRetries() {
    WaitForFirstAttempts();
    for (int round = 0; round < 12 && !OverBudget(); ++round) {
      auto deliveries = Control("GET", std::string("/shops/") + kShop + "/deliveries").json();
      int pending = 0;
      for (const json& d : deliveries["deliveries"]) {
        if (d["state"] == "pending" || d["state"] == "held") ++pending;
      }
      if (pending == 0) return;
      // Retry k is due 56.25 s x 2^k after the previous attempt.
      const json advance = {{"ms", 60'000 << std::min(round, 6)}};
      ASSERT_EQ(Http(sim_.port(), "POST", "/_sim/clock/advance", advance.dump(), {}, 180).status,
                200);
      WaitForFirstAttempts();
    }
  }

  std::uint16_t port_ = 0;
  std::thread poller_;
  std::atomic<bool> stop_polling_{false};
  std::mutex mu_;
  std::vector<std::string> violations_;
  int polls_ = 0;
};

TEST_P(WebhookSyncTest, ShuffledDuplicatedAndFailingDeliveriesLeaveTheSimulatorsProducts) {
  std::mt19937 random(20261206);
  std::vector<std::int64_t> ids;
  std::int64_t clock = kBaseSeconds;
  for (int p = 0; p < kProducts; ++p) {
    auto r = Control("POST", std::string("/shops/") + kShop + "/products",
                     {{"title", "product " + std::to_string(p)},
                      {"status", "active"},
                      {"updated_at", ShopTime(++clock)}});
    ASSERT_EQ(r.status, 201) << r.body;
    ids.push_back(r.json()["product"]["id"].get<std::int64_t>());
  }
  StartPoller();

  // The updates, in reorder windows of kChunk (held, then sent newest first);
  // every third window's deliveries are each sent twice.
  std::vector<std::int64_t> to_delete(ids.begin(), ids.begin() + kDeleted);
  for (int i = 0; i < kUpdates && !OverBudget(); ++i) {
    if (i % kChunk == 0) {
      const int window = i / kChunk;
      const json fault = window % 3 == 2 ? json{{"mode", "duplicate"}, {"count", kChunk}}
                                         : json{{"mode", "reorder"}, {"count", kChunk}};
      ASSERT_EQ(Control("POST", "/webhooks/faults", fault).status, 201);
    }
    if (i == kBurstFrom) {
      WaitForFirstAttempts();  // what came before the burst is delivered
      server_.Stop(SIGKILL);   // the failing burst: deliveries are refused
    }
    if (i == kBurstTo) {
      StartServer("127.0.0.1:" + std::to_string(port_));  // same address as subscribed
      ASSERT_FALSE(HasFatalFailure());
    }
    const std::int64_t id = ids[random() % ids.size()];
    auto r = Control("PUT", std::string("/shops/") + kShop + "/products/" + std::to_string(id),
                     {{"title", "update " + std::to_string(i)},
                      {"body_html", "<p>version " + std::to_string(i) + "</p>"},
                      {"updated_at", ShopTime(++clock)}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_FALSE(OverBudget()) << "the updates took longer than the test's budget";

  // Deletions, each after an update of the same product in one reorder window:
  // the deletion arrives first, the older update after it.
  ASSERT_EQ(
      Control("POST", "/webhooks/faults", {{"mode", "reorder"}, {"count", 2 * kDeleted}}).status,
      201);
  for (std::int64_t id : to_delete) {
    ASSERT_EQ(Control("PUT", std::string("/shops/") + kShop + "/products/" + std::to_string(id),
                      {{"title", "last words"}, {"updated_at", ShopTime(++clock)}})
                  .status,
              200);
  }
  for (std::int64_t id : to_delete) {
    ASSERT_EQ(Control("DELETE", std::string("/shops/") + kShop + "/products/" + std::to_string(id))
                  .status,
              200);
  }
  DeliverRetries();
  ASSERT_FALSE(HasFatalFailure());

  // The simulator's final state.
  std::map<std::int64_t, json> expected;
  for (std::int64_t id : ids) {
    auto r = Control("GET", std::string("/shops/") + kShop + "/products/" + std::to_string(id));
    if (r.status == 404) continue;  // deleted
    ASSERT_EQ(r.status, 200) << r.body;
    expected[id] = r.json()["product"];
  }
  ASSERT_EQ(expected.size(), static_cast<std::size_t>(kProducts - kDeleted));

  // Wait until the engine has caught up: every product as the simulator has it.
  std::map<std::int64_t, json> local;
  auto matches = [&] {
    auto got = LocalProducts();
    if (!got) return false;
    local = std::move(*got);
    if (local.size() != ids.size()) return false;
    for (std::int64_t id : ids) {
      const json& value = local[id];
      if (expected.count(id) == 0) {
        if (!value.value("deleted", false)) return false;
      } else if (value != expected[id]) {
        return false;
      }
    }
    return true;
  };
  while (!matches() && !OverBudget()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop_polling_ = true;
  poller_.join();

  for (std::int64_t id : ids) {
    if (expected.count(id) == 0) {
      EXPECT_EQ(local[id].value("deleted", false), true)
          << "product " << id << ": " << local[id].dump();
    } else {
      EXPECT_EQ(local[id], expected[id]) << "product " << id;
    }
  }
  // Ids beyond 2^53 kept exactly (the simulator assigns large ids).
  EXPECT_GT(ids.front(), std::int64_t{1} << 53);

  // The burst really failed deliveries, and duplicates really came twice.
  auto deliveries = Control("GET", std::string("/shops/") + kShop + "/deliveries").json();
  int retried = 0, duplicated = 0, delivered = 0;
  for (const json& d : deliveries["deliveries"]) {
    if (d["attempts"].size() > 1 && d["attempts"][0]["status"] == 0) ++retried;
    if (d.value("fault", json()) == "duplicate") ++duplicated;
    if (d["state"] == "delivered") ++delivered;
  }
  EXPECT_GE(retried, (kBurstTo - kBurstFrom) / 2) << "the failing burst did not fail deliveries";
  EXPECT_GT(duplicated, 0);
  EXPECT_EQ(delivered, static_cast<int>(deliveries["deliveries"].size()));

  // Nothing is left over: no dead letters, and the older updates were refused.
  HttpReply dead = Admin("GET", "/api/v1/dead-letters?workflow=sync-products");
  ASSERT_EQ(dead.status, 200) << dead.body;
  EXPECT_TRUE(dead.json()["items"].empty()) << dead.body;

  std::lock_guard lock(mu_);
  EXPECT_GT(polls_, 10);
  EXPECT_TRUE(violations_.empty())
      << violations_.size() << " violations, first: " << violations_.front();
  std::printf(
      "webhook sync: %d products, %d updates, %d deletions, %d deliveries (%d retried "
      "after the burst, %d duplicated), %d polls, %lld s\n",
      kProducts, kUpdates, kDeleted, static_cast<int>(deliveries["deliveries"].size()), retried,
      duplicated, polls_, ElapsedSeconds());
}

STOREFLOW_INSTANTIATE_STORE_TESTS(WebhookSyncTest);

}  // namespace
}  // namespace storeflow::e2e
