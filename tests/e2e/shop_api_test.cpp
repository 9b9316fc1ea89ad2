// The shop API flows (workflows/shop-*.yaml) end to end: a real `storeflow serve`
// with the email and storage plugins, driven over HTTP on loopback, on SQLite and
// on PostgreSQL. Checks the answers, the order's statuses, the confirmation email
// (outbox), the invoice file and the recommendation.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "http_client.h"
#include "outbox.h"
#include "serve_process.h"
#include "store_fixture.h"

namespace storeflow::e2e {

using test_support::Http;
using test_support::HttpReply;
using test_support::ReadFile;
using test_support::ServeProcess;
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kToken[] = "e2e-admin-token-0123456789abcdef0123";  // 32+ bytes
constexpr char kLongHistory[] = "u-long-history";

// The order of the shop's seed data (and of the storefront): items, email, shipping.
json SeedOrder(const std::string& user) {
  return {
      {"userId", user},
      {"items",
       {{{"productId", "p-1001"}, {"quantity", 2}}, {{"productId", "p-3001"}, {"quantity", 1}}}},
      {"email", "ada@example.com"},
      {"shipping",
       {{"name", "Ada Lovelace"},
        {"address1", "12 Main St"},
        {"address2", "Apt 4"},
        {"city", "Springfield"},
        {"zip", "12345"},
        {"country", "US"},
        {"phone", "555-0100"}}}};
}

int RunCommand(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class ShopApiTest : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    store_.reset();  // SQLite allows one process per file: the server's
    work_ = fs::temp_directory_path() / ("storeflow-e2e-shop-" + std::to_string(getpid()) + "-" +
                                         std::to_string(std::random_device()()));
    fs::create_directories(work_);
    std::ofstream(work_ / "storeflow.yaml") << "plugins:\n"
                                               "  config:\n"
                                               "    email:\n"
                                               "      transport: outbox\n"
                                               "      from: shop@example.com\n"
                                               "      templates_dir: config/email-templates\n"
                                               "      outbox: { folder: "
                                            << (work_ / "outbox").string()
                                            << " }\n"
                                               "    storage:\n"
                                               "      root: "
                                            << (work_ / "storage").string()
                                            << "\n"
                                               "admin:\n"
                                               "  token: "
                                            << kToken << "\n";
    // It holds the admin token: storeflow refuses a secret in a file others may read.
    std::filesystem::permissions(work_ / "storeflow.yaml", std::filesystem::perms::owner_read |
                                                               std::filesystem::perms::owner_write);
    const std::string import = std::string("cd ") + STOREFLOW_SOURCE_DIR + " && " +
                               STOREFLOW_BINARY + " records import products " +
                               "workflows/data/catalogue.json --key id --db '" + url_ + "' >" +
                               (work_ / "import.log").string() + " 2>&1";
    ASSERT_EQ(RunCommand(import), 0) << ReadFile(work_ / "import.log");
    // 1,000 interactions of kLongHistory from long ago (1970: they weigh nothing), keyed
    // before any the API records: a flow that read the oldest 1,000 would see only them.
    json old = json::array();
    for (int i = 0; i < 1000; ++i) {
      char key[64];
      std::snprintf(key, sizeof(key), "%s/000000000000/%04d", kLongHistory, i);
      old.push_back({{"key", key},
                     {"userId", kLongHistory},
                     {"productId", "p-3001"},
                     {"eventType", "purchase"},
                     {"productType", "Hats"},
                     {"at", 0}});
    }
    std::ofstream(work_ / "history.json") << old.dump();
    const std::string history = std::string("cd ") + STOREFLOW_SOURCE_DIR + " && " +
                                STOREFLOW_BINARY + " records import interactions " +
                                (work_ / "history.json").string() + " --key key --db '" + url_ +
                                "' >" + (work_ / "import.log").string() + " 2>&1";
    ASSERT_EQ(RunCommand(history), 0) << ReadFile(work_ / "import.log");
    ASSERT_TRUE(server_.Start({"--db", url_, "--workflows", "workflows", "--listen", "127.0.0.1:0",
                               "--config", (work_ / "storeflow.yaml").string(), "--workers", "2"},
                              work_ / "serve.log"))
        << server_.log();
  }

  void TearDown() override {
    if (server_.port() != 0) {
      EXPECT_EQ(server_.Stop(SIGTERM), 0) << server_.log();
    }
    std::error_code ignored;
    if (!HasFailure()) fs::remove_all(work_, ignored);
    StoreTest::TearDown();
  }

  HttpReply Get(const std::string& target) { return Http(server_.port(), "GET", target); }
  HttpReply Post(const std::string& target, const json& body,
                 const std::map<std::string, std::string>& headers = {}) {
    return Http(server_.port(), "POST", target, body.dump(), headers);
  }
  HttpReply Admin(const std::string& target) {
    return Http(server_.port(), "GET", target, "",
                {{"Authorization", std::string("Bearer ") + kToken}});
  }

  // Polls the order record until its status is `status` (or 30 s pass).
  json WaitForOrder(const std::string& order_id, const std::string& status) {
    json last;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      HttpReply r = Admin("/api/v1/records/orders/" + order_id);
      if (r.status == 200) {
        last = r.json();
        if (last["value"]["status"] == status) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "order " << order_id << " did not reach " << status
                  << "; last: " << last.dump() << "\n"
                  << server_.log();
    return last;
  }

  fs::path work_;
  ServeProcess server_;
};

TEST_P(ShopApiTest, ProductsAreListedAndFilteredByType) {
  HttpReply all = Get("/products");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json()["count"], 12);
  HttpReply shoes = Get("/products?productType=Shoes");
  ASSERT_EQ(shoes.status, 200) << shoes.body;
  json body = shoes.json();
  ASSERT_EQ(body["products"].size(), 3u) << shoes.body;
  for (const auto& product : body["products"]) EXPECT_EQ(product["productType"], "Shoes");
  EXPECT_EQ(body["products"][0]["id"], "p-1001");
  EXPECT_EQ(Get("/products?productType=Boats").json()["count"], 0);
}

TEST_P(ShopApiTest, RecommendationsFollowTheShoppersInteractions) {
  const std::string user = "u-rec";
  for (const auto& [type, event] : std::vector<std::pair<std::string, std::string>>{
           {"Jackets", "click"}, {"Jackets", "add_to_cart"}, {"Shoes", "view"}, {"Hats", "view"}}) {
    HttpReply r =
        Post("/events",
             {{"userId", user}, {"productId", "p-x"}, {"eventType", event}, {"productType", type}});
    ASSERT_EQ(r.status, 201) << r.body << server_.log();
    EXPECT_EQ(r.json()["recorded"], true);
  }
  HttpReply rec = Get("/recommendations?userId=" + user);
  ASSERT_EQ(rec.status, 200) << rec.body;
  json body = rec.json();
  EXPECT_EQ(body["category"], "Jackets") << rec.body;
  ASSERT_EQ(body["products"].size(), 3u) << rec.body;
  for (const auto& product : body["products"]) EXPECT_EQ(product["productType"], "Jackets");
  EXPECT_EQ(body["categories"][0]["productType"], "Jackets");

  // A shopper with no history gets no category and no products (not an error).
  json none = Get("/recommendations?userId=u-nobody").json();
  EXPECT_TRUE(none["category"].is_null()) << none.dump();
  EXPECT_EQ(none["products"].size(), 0u);

  // Bad input names the place.
  HttpReply missing = Get("/recommendations");
  EXPECT_EQ(missing.status, 422) << missing.body;
  EXPECT_NE(missing.body.find("userId"), std::string::npos) << missing.body;
  HttpReply bad_event = Post(
      "/events",
      {{"userId", user}, {"productId", "p-x"}, {"eventType", "stare"}, {"productType", "Hats"}});
  EXPECT_EQ(bad_event.status, 422) << bad_event.body;
  EXPECT_NE(bad_event.body.find("eventType"), std::string::npos) << bad_event.body;
}

TEST_P(ShopApiTest, AnOrderIsAnsweredAtOnceThenPaidConfirmedAndInvoiced) {
  const std::string user = "u-order";
  HttpReply first = Post("/cart", {{"userId", user}, {"productId", "p-1001"}, {"quantity", 2}});
  ASSERT_EQ(first.status, 200) << first.body << server_.log();
  EXPECT_EQ(first.json()["total_cents"], 17998);
  HttpReply second = Post("/cart", {{"userId", user}, {"productId", "p-3001"}, {"quantity", 1}});
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.json()["total_cents"], 19898);
  EXPECT_EQ(second.json()["items"].size(), 2u);

  HttpReply unknown = Post("/cart", {{"userId", user}, {"productId", "p-404"}, {"quantity", 1}});
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  HttpReply zero = Post("/cart", {{"userId", user}, {"productId", "p-1001"}, {"quantity", 0}});
  EXPECT_EQ(zero.status, 422) << zero.body;
  EXPECT_NE(zero.body.find("quantity"), std::string::npos) << zero.body;

  HttpReply order = Post("/orders", {{"userId", user}, {"email", "ada@example.com"}});
  ASSERT_EQ(order.status, 202) << order.body << server_.log();
  const std::string order_id = order.json()["orderId"];
  EXPECT_EQ(order.json()["status"], "Order Received");

  json processed = WaitForOrder(order_id, "PROCESSED");
  EXPECT_EQ(processed["value"]["payment_id"], "pay-" + order_id);
  EXPECT_EQ(processed["value"]["total_cents"], 19898);

  // The cart is gone; a second order has nothing to buy.
  EXPECT_EQ(Admin("/api/v1/records/carts/" + user).status, 404);
  HttpReply empty = Post("/orders", {{"userId", user}});
  EXPECT_EQ(empty.status, 409) << empty.body;

  // The invoice, through the storage plugin.
  const fs::path invoice = work_ / "storage" / "invoices" / (order_id + ".txt");
  ASSERT_TRUE(fs::exists(invoice)) << server_.log();
  const std::string text = ReadFile(invoice);
  EXPECT_NE(text.find("INVOICE " + order_id), std::string::npos) << text;
  EXPECT_NE(text.find("Total: 198.98 USD"), std::string::npos) << text;

  // The confirmation, through the email plugin's outbox.
  const std::vector<std::string> emails = test_support::OutboxEmails(work_ / "outbox");
  ASSERT_EQ(emails.size(), 1u) << server_.log();
  const std::string& email = emails.front();
  EXPECT_NE(email.find("To: <ada@example.com>"), std::string::npos) << email;
  EXPECT_NE(email.find("Your order " + order_id), std::string::npos) << email;
  EXPECT_NE(email.find("multipart/alternative"), std::string::npos) << email;
}

TEST_P(ShopApiTest, TheSeedsOrderWithItemsAndShippingIsProcessedAndInvoiced) {
  const std::string user = "u-seed";
  HttpReply order = Post("/orders", SeedOrder(user), {{"Idempotency-Key", "seed-1"}});
  ASSERT_EQ(order.status, 202) << order.body << server_.log();
  const std::string order_id = order.json()["orderId"];
  json processed = WaitForOrder(order_id, "PROCESSED");
  EXPECT_EQ(processed["value"]["total_cents"], 19898);  // 2 x 89.99 + 19.00, catalogue prices
  EXPECT_EQ(processed["value"]["shipping"]["address2"], "Apt 4");
  EXPECT_EQ(processed["value"]["shipping"]["phone"], "555-0100");

  // The shopper's view of it.
  HttpReply status = Get("/orders/" + order_id + "?userId=" + user);
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.json()["status"], "PROCESSED");
  EXPECT_EQ(status.json()["shipping"]["name"], "Ada Lovelace");
  EXPECT_EQ(Get("/orders/" + order_id + "?userId=u-other").status, 404);
  EXPECT_EQ(Get("/orders/ord-999999?userId=" + user).status, 404);

  const std::string text = ReadFile(work_ / "storage" / "invoices" / (order_id + ".txt"));
  EXPECT_NE(text.find("Ship to:\n  Ada Lovelace\n  12 Main St\n  Apt 4\n  12345 Springfield\n"
                      "  US\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Total: 198.98 USD"), std::string::npos) << text;

  // The same request again (a retry) orders nothing new.
  HttpReply again = Post("/orders", SeedOrder(user), {{"Idempotency-Key", "seed-1"}});
  EXPECT_EQ(again.status, 409) << again.body;

  // Unknown products are named; bad shapes name the field.
  json unknown = SeedOrder(user);
  unknown["items"][1]["productId"] = "p-404";
  HttpReply missing = Post("/orders", unknown);
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_NE(missing.body.find("p-404"), std::string::npos) << missing.body;
  json no_city = SeedOrder(user);
  no_city["shipping"].erase("city");
  HttpReply bad = Post("/orders", no_city);
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_NE(bad.body.find("city"), std::string::npos) << bad.body;
  json zero = SeedOrder(user);
  zero["items"][0]["quantity"] = 0;
  HttpReply bad_quantity = Post("/orders", zero);
  EXPECT_EQ(bad_quantity.status, 422) << bad_quantity.body;
  EXPECT_NE(bad_quantity.body.find("$.body.items[0].quantity"), std::string::npos)
      << bad_quantity.body;
}

TEST_P(ShopApiTest, ProductViewEventsCountAndTheNewestInteractionsDecide) {
  // The storefront's event name is recorded as `view`.
  HttpReply view = Post("/events", {{"userId", kLongHistory},
                                    {"productId", "p-1002"},
                                    {"eventType", "product-view"},
                                    {"productType", "Shoes"}});
  ASSERT_EQ(view.status, 201) << view.body << server_.log();
  const std::string key = view.json()["key"];
  EXPECT_EQ(Admin("/api/v1/records/interactions/" + key).json()["value"]["eventType"], "view");
  // 1,000 older interactions (Hats, long ago) come before it in key order; the
  // recommendation reads the newest, so the view decides.
  HttpReply rec = Get(std::string("/recommendations?userId=") + kLongHistory);
  ASSERT_EQ(rec.status, 200) << rec.body;
  EXPECT_EQ(rec.json()["category"], "Shoes") << rec.body;
}

TEST_P(ShopApiTest, AnOrderOverThePaymentLimitIsDeclinedNotProcessed) {
  const std::string user = "u-big";
  // 21 down parkas: 5,229.00 USD, over the simulated 5,000.00 USD limit.
  ASSERT_EQ(Post("/cart", {{"userId", user}, {"productId", "p-2002"}, {"quantity", 21}}).status,
            200);
  HttpReply order = Post("/orders", {{"userId", user}});
  ASSERT_EQ(order.status, 202) << order.body;
  json declined = WaitForOrder(order.json()["orderId"], "PAYMENT_DECLINED");
  EXPECT_NE(declined["value"]["reason"].get<std::string>().find("over the limit"),
            std::string::npos);
  // The cart is kept for another try.
  EXPECT_EQ(Admin("/api/v1/records/carts/" + user).status, 200);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(ShopApiTest);

}  // namespace
}  // namespace storeflow::e2e
