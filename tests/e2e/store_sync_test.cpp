// Store-to-store product sync (workflows/store-sync.yaml, scripts/store_sync.lua) end
// to end: a real `storeflow serve` with the shopify plugin, subscribed to the product
// webhooks of a supplier shop (alpha) of the Shopify simulator, copies its products
// to a retailer shop (beta) through shopify.product_upsert / product_delete, on SQLite
// and on PostgreSQL. 20 supplier products are created, edited twice (prices, titles,
// tags and statuses, so products move in and out of the retailer's range; one round
// delivered twice), and 7 are deleted. At the end the retailer's products equal the
// mapping the test computes from its own script with the retailer's rule (markup,
// price ending, excluded tag, active only), each found by its source-id metafield.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
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

constexpr char kSupplier[] = "alpha.myshopify.com";  // tests/fixtures/shopify/sim
constexpr char kSupplierToken[] = "shpat_alpha_admin_token_0001";
constexpr char kSupplierSecret[] = "hush";
constexpr char kRetailer[] = "beta.myshopify.com";
constexpr char kRetailerToken[] = "shpat_beta_admin_token_0002";
constexpr int kProducts = 20;
constexpr int kMarkupPercent = 25;
constexpr int kPriceEnding = 99;  // cents

// The retailer's rule, as configured below for scripts/store_sync.lua: +25 %, half up
// to the cent, then up to the next price ending in .99.
std::int64_t RetailCents(std::int64_t supplier_cents) {
  std::int64_t c = (supplier_cents * (10000 + kMarkupPercent * 100) + 5000) / 10000;
  std::int64_t ending = (c / 100) * 100 + kPriceEnding;
  return ending < c ? ending + 100 : ending;
}

std::string Money(std::int64_t cents) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return text;
}

// What the test's script makes of supplier product i in each round.
struct ScriptedProduct {
  std::int64_t id = 0;  // the supplier's
  std::string title;
  std::string body_html;
  std::string tags;
  std::string status;
  std::vector<std::int64_t> cents;  // per variant (S, M)
  bool deleted = false;

  bool Carried() const {
    return !deleted && status == "active" && tags.find("exclusive") == std::string::npos;
  }
  json RestFields() const {
    json variants = json::array();
    const char* sizes[] = {"S", "M"};
    for (std::size_t k = 0; k < cents.size(); ++k) {
      json v = {{"option1", sizes[k]},
                {"price", Money(cents[k])},
                {"sku", "SKU-" + std::to_string(id) + "-" + sizes[k]}};
      v["compare_at_price"] = k == 1 ? json(Money(cents[k] + 500)) : json(nullptr);
      variants.push_back(v);
    }
    return {{"title", title},
            {"body_html", body_html},
            {"vendor", "Acme"},
            {"product_type", "Tea"},
            {"tags", tags},
            {"status", status},
            {"options", {{{"name", "Size"}, {"values", {"S", "M"}}}}},
            {"variants", variants}};
  }
};

class StoreSyncTest : public SimServeTest {
 protected:
  StoreSyncTest() : SimServeTest("storesync") {}

  void SetUp() override {
    SimServeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    CopyWorkflow("store-sync.yaml");
    WriteConfig(
        std::string("admin:\n  token: ") + kAdminApiToken + "\n" +
        "webhooks:\n  shopify_secrets: " + kSupplierSecret + "\n" +
        "workflows:\n  store-sync:\n    supplier: " + kSupplier + "\n" +
        "    retailers:\n      - shop: " + kRetailer + "\n" + "        markup_percent: " +
        std::to_string(kMarkupPercent) + "\n" + "        price_ending: \"0." +
        std::to_string(kPriceEnding) + "\"\n" + "        exclude_tags: [exclusive]\n" +
        "plugins:\n  config:\n    shopify:\n      shops:\n" + "        - domain: " + kSupplier +
        "\n          admin_token_secret: SUPPLIER_ADMIN\n" +
        "          endpoint: " + ShopEndpoint(kSupplier) + "\n" + "        - domain: " + kRetailer +
        "\n          admin_token_secret: RETAILER_ADMIN\n" +
        "          endpoint: " + ShopEndpoint(kRetailer) + "\n");
    SetSecret("SUPPLIER_ADMIN", kSupplierToken);
    SetSecret("RETAILER_ADMIN", kRetailerToken);
    StartServer({"--workers", "4"});
    ASSERT_FALSE(HasFatalFailure());
    Subscribe(kSupplier, kSupplierToken, {"products/create", "products/update", "products/delete"},
              "2025-07");
  }

  // Every product of a shop over the Admin REST API, with its metafields (from the
  // simulator's control API, which answers them in Shopify's REST Metafield shape).
  std::vector<json> ShopProducts(const std::string& shop, const std::string& token) {
    auto r = sim::Http(sim_.port(), "GET",
                       "/shops/" + shop + "/admin/api/2025-07/products.json?limit=250", "",
                       {{"X-Shopify-Access-Token", token}});
    if (r.status != 200) return {};
    std::vector<json> out;
    const json page = r.json();
    for (json p : page["products"]) {
      auto full = Control("GET", "/shops/" + shop + "/products/" + p["id"].dump());
      if (full.status != 200) return {};
      p["metafields"] = full.json()["product"].value("metafields", json::array());
      out.push_back(std::move(p));
    }
    return out;
  }

  // Moves the simulator's clock on (Shopify's updated_at has whole seconds: each round
  // of edits gets a later one) and waits until every delivery so far was answered.
  void NextRound() {
    for (int i = 0; i < 600 && !OverBudget(); ++i) {
      auto deliveries = Control("GET", std::string("/shops/") + kSupplier + "/deliveries").json();
      bool pending = false;
      for (const json& d : deliveries["deliveries"]) {
        if (d["state"] == "pending" || d["state"] == "held") pending = true;
      }
      if (!pending) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(Control("POST", "/clock/advance", {{"ms", 2000}}).status, 200);
  }
};

TEST_P(StoreSyncTest, SupplierProductsCreatedEditedAndDeletedLeaveTheRetailerEqualToTheMapping) {
  std::vector<ScriptedProduct> script(kProducts);
  // Round 0: create. Every fifth is exclusive to the supplier, every seventh a draft.
  for (int i = 0; i < kProducts; ++i) {
    ScriptedProduct& p = script[i];
    p.title = "Tea " + std::to_string(i);
    p.body_html = "<p>Tea number " + std::to_string(i) + "</p>";
    p.tags = i % 5 == 0 ? "exclusive, green" : "green";
    p.status = i % 7 == 3 ? "draft" : "active";
    p.cents = {1000 + 37 * i, 1800 + 41 * i};
    auto r = Control("POST", std::string("/shops/") + kSupplier + "/products", p.RestFields());
    ASSERT_EQ(r.status, 201) << r.body;
    p.id = r.json()["product"]["id"].get<std::int64_t>();
  }
  NextRound();
  ASSERT_FALSE(HasFatalFailure());

  // Round 1: new prices and titles; every fourth becomes exclusive, the fifths stop
  // being so. Every delivery of this round is sent twice (same webhook id).
  ASSERT_EQ(
      Control("POST", "/webhooks/faults", {{"mode", "duplicate"}, {"count", kProducts}}).status,
      201);
  for (int i = 0; i < kProducts; ++i) {
    ScriptedProduct& p = script[i];
    p.title = "Tea " + std::to_string(i) + " (2027 harvest)";
    p.cents = {p.cents[0] + 150, p.cents[1] + 5 * i};
    if (i % 4 == 1) p.tags = "exclusive, green";
    if (i % 5 == 0) p.tags = "green, organic";
    auto r =
        Control("PUT", std::string("/shops/") + kSupplier + "/products/" + std::to_string(p.id),
                p.RestFields());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  NextRound();
  ASSERT_FALSE(HasFatalFailure());

  // Round 2: the drafts go live, every sixth (from 2) becomes a draft.
  for (int i = 0; i < kProducts; ++i) {
    ScriptedProduct& p = script[i];
    if (i % 7 == 3) p.status = "active";
    if (i % 6 == 2) p.status = "draft";
    p.body_html += "<p>updated</p>";
    auto r =
        Control("PUT", std::string("/shops/") + kSupplier + "/products/" + std::to_string(p.id),
                p.RestFields());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  NextRound();
  ASSERT_FALSE(HasFatalFailure());

  // Round 3: every third is deleted.
  for (int i = 0; i < kProducts; i += 3) {
    script[i].deleted = true;
    ASSERT_EQ(Control("DELETE", std::string("/shops/") + kSupplier + "/products/" +
                                    std::to_string(script[i].id))
                  .status,
              200);
  }
  NextRound();
  ASSERT_FALSE(HasFatalFailure());

  // The mapping: the retailer's copy of every carried product, by supplier id.
  std::map<std::string, json> expected;
  for (const ScriptedProduct& p : script) {
    if (!p.Carried()) continue;
    json want = {{"title", p.title},         {"body_html", p.body_html}, {"vendor", "Acme"},
                 {"product_type", "Tea"},    {"tags", p.tags},           {"status", "active"},
                 {"variants", json::array()}};
    const char* sizes[] = {"S", "M"};
    for (std::size_t k = 0; k < p.cents.size(); ++k) {
      want["variants"].push_back(
          {{"option1", sizes[k]},
           {"price", Money(RetailCents(p.cents[k]))},
           {"compare_at_price", k == 1 ? json(Money(RetailCents(p.cents[k] + 500))) : json()},
           {"sku", "SKU-" + std::to_string(p.id) + "-" + sizes[k]}});
    }
    expected[std::to_string(p.id)] = want;
  }
  ASSERT_GE(expected.size(), 5u);
  ASSERT_LE(expected.size(), static_cast<std::size_t>(kProducts - 7));

  // The retailer as it is: its products by the source id in their metafield.
  std::map<std::string, json> actual;
  std::vector<std::string> problems;
  auto read_retailer = [&] {
    actual.clear();
    problems.clear();
    for (const json& p : ShopProducts(kRetailer, kRetailerToken)) {
      std::string source;
      for (const json& m : p["metafields"]) {
        if (m["namespace"] == "storeflow" && m["key"] == "source_id") source = m["value"];
      }
      if (source.empty()) continue;  // beta's own fixture products
      json got = {{"title", p["title"]},      {"body_html", p["body_html"]},
                  {"vendor", p["vendor"]},    {"product_type", p["product_type"]},
                  {"tags", p["tags"]},        {"status", p["status"]},
                  {"variants", json::array()}};
      for (const json& v : p.value("variants", json::array())) {
        got["variants"].push_back({{"option1", v["option1"]},
                                   {"price", v["price"]},
                                   {"compare_at_price", v["compare_at_price"]},
                                   {"sku", v["sku"]}});
      }
      if (actual.count(source) > 0) problems.push_back("two copies of " + source);
      actual[source] = got;
    }
    return problems.empty() && actual == expected;
  };
  while (!read_retailer() && !OverBudget()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(problems.empty()) << problems.front();
  for (const auto& [source, want] : expected) {
    ASSERT_EQ(actual.count(source), 1u) << "no copy of supplier product " << source;
    EXPECT_EQ(actual[source], want) << "supplier product " << source;
  }
  for (const auto& [source, got] : actual) {
    EXPECT_EQ(expected.count(source), 1u) << "retailer carries " << source << ": " << got.dump();
  }

  // Nothing failed, the duplicates really came twice, and the engine recorded the
  // last version applied of every supplier product.
  auto runs = Admin("GET", "/api/v1/dead-letters?workflow=store-sync");
  ASSERT_EQ(runs.status, 200) << runs.body;
  EXPECT_TRUE(runs.json()["items"].empty()) << runs.body;
  // The run writes its record (`record`) after it changed the retailer, so the
  // retailer can be right a moment before the last records are: wait for them.
  int tombstones = 0;
  json items;
  while (true) {
    auto records = Admin("GET", "/api/v1/records/store_sync?limit=100");
    ASSERT_EQ(records.status, 200) << records.body;
    items = records.json()["items"];
    tombstones = 0;
    for (const json& r : items) tombstones += r["value"]["deleted"] == true;
    if ((items.size() == static_cast<std::size_t>(kProducts) && tombstones == 7) || OverBudget()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(items.size(), static_cast<std::size_t>(kProducts));
  EXPECT_EQ(tombstones, 7);
  auto deliveries = Control("GET", std::string("/shops/") + kSupplier + "/deliveries").json();
  int duplicated = 0;
  for (const json& d : deliveries["deliveries"])
    duplicated += d.value("fault", json()) == "duplicate";
  EXPECT_GT(duplicated, 0);
  std::printf(
      "store sync: %d supplier products, %zu carried by the retailer at the end, %zu deliveries "
      "(%d duplicated), %lld s\n",
      kProducts, expected.size(), deliveries["deliveries"].size(), duplicated, ElapsedSeconds());
}

STOREFLOW_INSTANTIATE_STORE_TESTS(StoreSyncTest);

}  // namespace
}  // namespace storeflow::e2e
