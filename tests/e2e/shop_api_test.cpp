// The shop API flows (workflows/shop-*.yaml) end to end: a real `storeflow serve`
// with the email and storage plugins, driven over HTTP on loopback, on SQLite and
// on PostgreSQL. Checks the answers, the order's statuses, the confirmation email
// (outbox), the invoice file and the recommendation.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "http_client.h"
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
  int emails = 0;
  std::string email;
  for (const auto& entry : fs::directory_iterator(work_ / "outbox")) {
    if (entry.path().extension() != ".eml") continue;
    ++emails;
    email = ReadFile(entry.path());
  }
  ASSERT_EQ(emails, 1) << server_.log();
  EXPECT_NE(email.find("To: <ada@example.com>"), std::string::npos) << email;
  EXPECT_NE(email.find("Your order " + order_id), std::string::npos) << email;
  EXPECT_NE(email.find("multipart/alternative"), std::string::npos) << email;
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
