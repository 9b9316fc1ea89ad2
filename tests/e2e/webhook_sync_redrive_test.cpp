// Webhook sync of orders and customers (workflows/sync-orders.yaml,
// sync-customers.yaml) end to end, and the dead-letter -> auto-redrive path: a real
// `storeflow serve --clock manual` subscribed to the Shopify simulator's order and
// customer webhooks, on SQLite and on PostgreSQL.
//
// The failing burst: the test's copy of sync-orders.yaml has one extra first step, an
// `http.request` to a loopback gate the test opens and closes. While it is closed (503,
// a retryable error) order changes fail, are retried at 1, 2, 4 and 8 minutes on the
// engine's clock and become dead letters that hold their order's queue; the newer
// changes of those orders wait behind them. With the gate open again, the auto-redrive
// (dead_letters.auto_redrive, a pass every 30 minutes of the engine's clock here) retries
// them: they apply, release their queues, and the newer changes follow. A poller checks
// after every read that no order or customer ever shows an older version than one seen
// before; at the end the local records equal the simulator's orders and customers.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim_serve_fixture.h"

namespace storeflow::e2e {

using test_support::Http;
using test_support::HttpReply;
using test_support::ReadFile;
using test_support::ServeProcess;
namespace {

namespace fs = std::filesystem;
namespace sim = storeflow::shopify_sim::testing;
using nlohmann::json;

constexpr char kShop[] = "alpha.myshopify.com";
constexpr char kAdminToken[] = "shpat_alpha_admin_token_0001";
constexpr char kSecret[] = "hush";  // alpha's webhook_secret in the fixtures
constexpr int kOrders = 8;
constexpr int kCustomers = 8;
constexpr int kBurstOrders = 4;  // orders 0..3 change twice while the gate is closed
constexpr std::int64_t kMinute = 60 * 1000;
constexpr auto kTestBudget = std::chrono::seconds(240);

// Unix seconds of an ISO-8601 time with an offset (Shopify's REST times), -1 if not one.
std::int64_t UnixSeconds(const std::string& text) {
  tm parts{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
  if (rest == nullptr) return -1;
  std::int64_t t = static_cast<std::int64_t>(timegm(&parts));
  if (*rest == '.') {
    while (*++rest >= '0' && *rest <= '9') {
    }
  }
  if (*rest == 'Z') return t;
  int hh = 0, mm = 0;
  if ((*rest == '+' || *rest == '-') && std::sscanf(rest + 1, "%d:%d", &hh, &mm) == 2) {
    const std::int64_t offset = hh * 3600 + mm * 60;
    return *rest == '+' ? t - offset : t + offset;
  }
  return -1;
}

// A loopback endpoint answering 200 while open and 503 while closed: the test's
// stand-in for a dependency that fails for a while.
class Gate {
 public:
  Gate() {
    socket_ = Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0));
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), socket_, params);
    server_->start();
  }
  ~Gate() { server_->stopAll(true); }
  void set_open(bool open) { state_->open = open; }
  int refused() const { return state_->refused; }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/gate";
  }

 private:
  struct State {
    std::atomic<bool> open{true};
    std::atomic<int> refused{0};
  };
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      request.stream().ignore(std::numeric_limits<std::streamsize>::max());
      const bool open = state_->open;
      if (!open) ++state_->refused;
      response.setStatus(open ? Poco::Net::HTTPResponse::HTTP_OK
                              : Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
      response.setContentType("application/json");
      response.send() << (open ? "{\"open\":true}" : "{\"open\":false}");
    }

   private:
    std::shared_ptr<State> state_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(std::shared_ptr<State> state) : state_(std::move(state)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(state_);
    }

   private:
    std::shared_ptr<State> state_;
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

class WebhookSyncRedriveTest : public SimServeTest {
 protected:
  WebhookSyncRedriveTest() : SimServeTest("redrive", kTestBudget) {}

  void SetUp() override {
    SimServeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    // The shipped workflows; sync-orders with the gate as its first step.
    CopySchemas();
    CopyWorkflow("sync-customers.yaml");
    std::string orders =
        ReadFile(fs::path(STOREFLOW_SOURCE_DIR) / "workflows" / "sync-orders.yaml");
    const std::string steps = "\nsteps:\n";
    const auto at = orders.find(steps);
    ASSERT_NE(at, std::string::npos);
    orders.insert(at + steps.size(), "  - id: gate\n    uses: http.request\n    with: { url: \"" +
                                         gate_.url() + "\", method: GET }\n\n");
    std::ofstream(work_ / "workflows" / "sync-orders.yaml") << orders;

    WriteConfig(std::string("admin:\n  token: ") + kAdminApiToken +
                "\nwebhooks:\n  shopify_secrets: " + kSecret +
                "\nhttp_client:\n  allow_hosts: [127.0.0.1]\n" +
                "dead_letters:\n  auto_redrive: 30m\n");

    const json clock = Control("GET", "/clock").json();
    start_ms_ = clock["now_ms"].get<std::int64_t>();
    StartServer(
        {"--workers", "4", "--clock", "manual", "--clock-start", clock["now"].get<std::string>()});
    ASSERT_FALSE(HasFatalFailure());
    Subscribe(kShop, kAdminToken,
              {"orders/create", "orders/updated", "orders/delete", "customers/create",
               "customers/update", "customers/delete"},
              "2025-07");
  }

  void TearDown() override {
    stop_polling_ = true;
    if (poller_.joinable()) poller_.join();
    SimServeTest::TearDown();
  }

  // Local records of a collection by entity id, or nullopt when the server does not answer.
  std::optional<std::map<std::int64_t, json>> Local(const std::string& collection) {
    std::map<std::int64_t, json> out;
    try {
      HttpReply r = Admin("GET", "/api/v1/records/" + collection + "?limit=500");
      if (r.status != 200) return std::nullopt;
      const json page = r.json();
      for (const json& record : page["items"]) out[record["value"]["id"]] = record["value"];
    } catch (const std::exception&) {
      return std::nullopt;
    }
    return out;
  }

  static std::int64_t Seen(const json& value) {
    if (value.value("deleted", false)) return std::numeric_limits<std::int64_t>::max();
    return UnixSeconds(value.value("updated_at", ""));
  }

  void StartPoller() {
    poller_ = std::thread([this] {
      std::map<std::string, std::int64_t> newest;
      while (!stop_polling_) {
        for (const char* collection : {"shopify_orders", "shopify_customers"}) {
          auto local = Local(collection);
          if (!local) continue;
          std::lock_guard lock(mu_);
          ++polls_;
          for (const auto& [id, value] : *local) {
            const std::string key = std::string(collection) + "/" + std::to_string(id);
            const std::int64_t seen = Seen(value);
            auto [it, first] = newest.emplace(key, seen);
            if (!first && seen < it->second) {
              violations_.push_back(key + ": saw " + value.dump().substr(0, 200) +
                                    " after version " + std::to_string(it->second));
            }
            if (seen > it->second) it->second = seen;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }

  // Waits until the simulator delivered every webhook it triggered (the engine
  // stored each event before it answered 200).
  void WaitDelivered() {
    while (!OverBudget()) {
      auto deliveries = Control("GET", std::string("/shops/") + kShop + "/deliveries").json();
      bool pending = false;
      for (const json& d : deliveries["deliveries"]) {
        ASSERT_NE(d["state"], "failed") << d.dump();
        if (d["state"] != "delivered") pending = true;
      }
      if (!pending) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "deliveries still pending at the end of the test's budget";
  }

  // Moves the engine's clock to start + `ms` (through every due time on the way).
  void AdvanceEngineTo(std::int64_t ms) {
    HttpReply r = Admin("POST", "/api/v1/clock/advance", json{{"to", start_ms_ + ms}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // Moves the simulator's clock on by two seconds: the next change of an entity has
  // a later updated_at (Shopify's REST times have whole seconds).
  void NextSecond() { ASSERT_EQ(Control("POST", "/clock/advance", {{"ms", 2000}}).status, 200); }

  template <typename Done>
  bool WaitUntil(Done done) {
    while (!done()) {
      if (OverBudget()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
  }

  json DeadLetters() {
    HttpReply r = Admin("GET", "/api/v1/dead-letters?workflow=sync-orders");
    return r.status == 200 ? r.json()["items"] : json();
  }

  Gate gate_;
  std::int64_t start_ms_ = 0;
  std::thread poller_;
  std::atomic<bool> stop_polling_{false};
  std::mutex mu_;
  std::vector<std::string> violations_;
  int polls_ = 0;
};

json Order(int i, int version) {
  return {{"name", "#" + std::to_string(1001 + i)},
          {"order_number", 1001 + i},
          {"email", "buyer" + std::to_string(i) + "@example.com"},
          {"currency", "USD"},
          {"total_price", std::to_string(10 + i) + "." + std::to_string(10 + version)},
          {"subtotal_price", std::to_string(10 + i) + ".00"},
          {"total_tax", "0.00"},
          {"financial_status", version >= 2 ? "paid" : "pending"},
          {"fulfillment_status", nullptr},
          {"note", "version " + std::to_string(version)},
          {"line_items", {{{"id", 466157049 + i}, {"quantity", 1 + version}, {"title", "Tea"}}}}};
}

json Customer(int i, int version) {
  return {{"email", "customer" + std::to_string(i) + "@example.com"},
          {"first_name", "Customer"},
          {"last_name", std::to_string(i) + " v" + std::to_string(version)},
          {"state", "enabled"},
          {"verified_email", true},
          {"orders_count", version},
          {"total_spent", std::to_string(version * 10) + ".00"},
          {"currency", "USD"}};
}

TEST_P(WebhookSyncRedriveTest, OrdersAndCustomersSyncAndAFailingBurstIsRedrivenInOrder) {
  StartPoller();
  std::vector<std::int64_t> orders, customers;
  for (int i = 0; i < kCustomers; ++i) {
    auto r = Control("POST", std::string("/shops/") + kShop + "/customers", Customer(i, 1));
    ASSERT_EQ(r.status, 201) << r.body;
    customers.push_back(r.json()["customer"]["id"].get<std::int64_t>());
  }
  for (int i = 0; i < kOrders; ++i) {
    auto r = Control("POST", std::string("/shops/") + kShop + "/orders", Order(i, 1));
    ASSERT_EQ(r.status, 201) << r.body;
    orders.push_back(r.json()["order"]["id"].get<std::int64_t>());
  }
  WaitDelivered();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(WaitUntil([&] {
    auto o = Local("shopify_orders");
    auto c = Local("shopify_customers");
    return o && c && o->size() == orders.size() && c->size() == customers.size();
  })) << "the created orders and customers did not arrive";

  // The failing burst: orders 0..3 change twice and order 7 is deleted while the gate
  // is closed; customers change meanwhile (not gated) and one is deleted.
  gate_.set_open(false);
  NextSecond();
  for (int version = 2; version <= 3; ++version) {
    for (int i = 0; i < kBurstOrders; ++i) {
      ASSERT_EQ(
          Control("PUT", std::string("/shops/") + kShop + "/orders/" + std::to_string(orders[i]),
                  Order(i, version))
              .status,
          200);
    }
    for (int i = 0; i < kCustomers; i += 2) {
      ASSERT_EQ(
          Control("PUT",
                  std::string("/shops/") + kShop + "/customers/" + std::to_string(customers[i]),
                  Customer(i, version))
              .status,
          200);
    }
    NextSecond();
  }
  ASSERT_EQ(Control("DELETE", std::string("/shops/") + kShop + "/orders/" +
                                  std::to_string(orders[kOrders - 1]))
                .status,
            200);
  ASSERT_EQ(Control("DELETE", std::string("/shops/") + kShop + "/customers/" +
                                  std::to_string(customers[kCustomers - 1]))
                .status,
            200);
  WaitDelivered();
  ASSERT_FALSE(HasFatalFailure());

  // Retries at 1, 2, 4 and 8 minutes, then dead letters: one per burst order (its
  // first change) and the deletion; their later changes wait behind them.
  for (std::int64_t minute : {1, 3, 7, 15, 16}) {
    AdvanceEngineTo(minute * kMinute + 1000);
    ASSERT_FALSE(HasFatalFailure());
  }
  ASSERT_TRUE(WaitUntil([&] { return DeadLetters().size() == kBurstOrders + 1; }))
      << DeadLetters().dump();
  EXPECT_GE(gate_.refused(), 5 * (kBurstOrders + 1));
  std::vector<std::int64_t> dead_ids;
  for (const json& d : DeadLetters()) {
    dead_ids.push_back(d["id"].get<std::int64_t>());
    EXPECT_EQ(d["error"]["retryable"], true) << d.dump();
  }
  {
    auto local = Local("shopify_orders");
    ASSERT_TRUE(local);
    for (int i = 0; i < kBurstOrders; ++i) {
      EXPECT_EQ((*local)[orders[i]].value("note", ""), "version 1")
          << "order " << i << " moved on past its dead letter";
    }
    EXPECT_FALSE((*local)[orders[kOrders - 1]].value("deleted", false));
  }

  // The gate opens; the auto-redrive's pass at 30 minutes on the engine's clock
  // retries the dead letters, and the held changes follow in order.
  gate_.set_open(true);
  AdvanceEngineTo(31 * kMinute);
  ASSERT_FALSE(HasFatalFailure());

  std::map<std::int64_t, json> expected_orders, expected_customers;
  for (std::int64_t id : orders) {
    auto r = Control("GET", std::string("/shops/") + kShop + "/orders/" + std::to_string(id));
    if (r.status == 200) expected_orders[id] = r.json()["order"];
  }
  for (std::int64_t id : customers) {
    auto r = Control("GET", std::string("/shops/") + kShop + "/customers/" + std::to_string(id));
    if (r.status == 200) expected_customers[id] = r.json()["customer"];
  }
  ASSERT_EQ(expected_orders.size(), static_cast<std::size_t>(kOrders - 1));
  ASSERT_EQ(expected_customers.size(), static_cast<std::size_t>(kCustomers - 1));
  auto equal = [&](const std::string& collection, const std::vector<std::int64_t>& ids,
                   std::map<std::int64_t, json>& expected) {
    auto local = Local(collection);
    if (!local || local->size() != ids.size()) return false;
    for (std::int64_t id : ids) {
      const json& value = (*local)[id];
      if (expected.count(id) == 0) {
        if (!value.value("deleted", false)) return false;
      } else if (value != expected[id]) {
        return false;
      }
    }
    return true;
  };
  const bool converged = WaitUntil([&] {
    return equal("shopify_orders", orders, expected_orders) &&
           equal("shopify_customers", customers, expected_customers);
  });
  stop_polling_ = true;
  poller_.join();
  auto local_orders = Local("shopify_orders");
  ASSERT_TRUE(local_orders);
  for (std::int64_t id : orders) {
    if (expected_orders.count(id) == 0) {
      EXPECT_TRUE((*local_orders)[id].value("deleted", false)) << (*local_orders)[id].dump();
    } else {
      EXPECT_EQ((*local_orders)[id], expected_orders[id]) << "order " << id;
    }
  }
  ASSERT_TRUE(converged) << "the local records did not come to equal the simulator's";
  EXPECT_TRUE(DeadLetters().empty()) << DeadLetters().dump();

  // Every dead letter was retried by the auto-redrive and completed.
  int redriven = 0;
  for (std::int64_t id : dead_ids) {
    HttpReply r = Admin("GET", "/api/v1/runs/" + std::to_string(id));
    ASSERT_EQ(r.status, 200) << r.body;
    const json run = r.json();
    const json dl = run.contains("dead_letter")
                        ? run["dead_letter"]
                        : run.value("state", json::object()).value("dead_letter", json());
    EXPECT_EQ(run["status"], "completed") << r.body.substr(0, 2000);
    EXPECT_EQ(dl.value("resolution", ""), "retried") << r.body.substr(0, 2000);
    EXPECT_EQ(dl.value("resolved_by", ""), "auto_redrive") << r.body.substr(0, 2000);
    redriven += dl.value("resolved_by", "") == "auto_redrive";
  }
  EXPECT_EQ(redriven, kBurstOrders + 1);

  std::lock_guard lock(mu_);
  EXPECT_GT(polls_, 10);
  EXPECT_TRUE(violations_.empty())
      << violations_.size() << " violations, first: " << violations_.front();
  std::printf(
      "webhook sync (orders, customers): %d orders, %d customers, %d dead letters redriven, "
      "%d gate refusals, %d polls, %lld s\n",
      kOrders, kCustomers, redriven, gate_.refused(), polls_, ElapsedSeconds());
}

STOREFLOW_INSTANTIATE_STORE_TESTS(WebhookSyncRedriveTest);

}  // namespace
}  // namespace storeflow::e2e
