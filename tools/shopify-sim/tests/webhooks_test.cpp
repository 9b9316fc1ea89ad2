// Webhooks against the real simulator process and a loopback receiver: subscriptions
// over REST, signed deliveries with Shopify's headers, retries on the simulator's
// clock, and the drop/duplicate/delay/reorder faults.

#include <regex>
#include <thread>

#include "sim_test_support.h"
#include "webhook_receiver.h"

namespace storeflow::shopify_sim::testing {
namespace {

using std::chrono::milliseconds;
const std::string kShop = "/_sim/shops/alpha.myshopify.com";
constexpr milliseconds kWait{15000};

class WebhooksTest : public SimTest {
 protected:
  Reply Subscribe(const std::string& topic, const std::string& address) {
    const nlohmann::json body = {
        {"webhook", {{"topic", topic}, {"address", address}, {"format", "json"}}}};
    return Http(sim_.port(), "POST", AdminPath(kAlpha, "webhooks.json"), body.dump(),
                {{"X-Shopify-Access-Token", kAlphaToken}});
  }
  nlohmann::json Deliveries() { return Control("GET", kShop + "/deliveries").json()["deliveries"]; }
  std::int64_t CreateOrder(const std::string& email) {
    return Control("POST", kShop + "/orders", {{"email", email}}).json()["order"]["id"];
  }
  WebhookReceiver receiver_;
};

TEST(WebhookHmac, TheTestVerifierMatchesShopifysPublishedVectors) {
  // From ../shared/testdata/shopify/hmac-vectors.json (Shopify/shopify_app's
  // webhook_verification_test.rb, and a computed vector for shopify-api-ruby's body).
  EXPECT_EQ(ExpectedHmac("secret", "foo=anything"), "yCGX/RrK4fcuNtr3ztk5tQGsOBjcAzHpGLdMUrbV8yI=");
  EXPECT_EQ(ExpectedHmac("old_secret", "foo=anything"),
            "XqRcjrSv57VACn6apEO9znyu/wkN1VC7QxdSPwK3Hzs=");
  EXPECT_EQ(ExpectedHmac("API_SECRET_KEY", "{}"), "+ihUB5l+D7QrohDEi/6NcBcJRyKssyWqos13LmnsBbs=");
  EXPECT_NE(ExpectedHmac("secret", "foo=anything"), "invalid_hmac");
}

TEST_F(WebhooksTest, SubscriptionsOverRest) {
  StartSim();
  const Reply created = Subscribe("orders/create", receiver_.url());
  ASSERT_EQ(created.status, 201) << created.body;
  const auto hook = created.json()["webhook"];
  EXPECT_EQ(hook["topic"], "orders/create");
  EXPECT_EQ(hook["api_version"], "2025-07");
  EXPECT_TRUE(hook["id"].is_number_integer());
  const Reply taken = Subscribe("orders/create", receiver_.url());
  EXPECT_EQ(taken.status, 422);
  EXPECT_EQ(taken.json()["errors"]["address"][0], "for this topic has already been taken");
  EXPECT_EQ(Subscribe("orders/nonsense", receiver_.url()).status, 422);
  const auto list = Admin("webhooks.json").json()["webhooks"];
  ASSERT_EQ(list.size(), 1u);
  const std::string path = "webhooks/" + std::to_string(hook["id"].get<std::int64_t>()) + ".json";
  const Reply deleted = Http(sim_.port(), "DELETE", AdminPath(kAlpha, path), "",
                             {{"X-Shopify-Access-Token", kAlphaToken}});
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body, "{}");
  EXPECT_TRUE(Admin("webhooks.json").json()["webhooks"].empty());
}

TEST_F(WebhooksTest, SignedDeliveryRetriedAfter500WhenTheClockAdvances) {
  StartSim();
  ASSERT_EQ(Subscribe("orders/create", receiver_.url()).status, 201);
  receiver_.AnswerNext(500);
  const std::int64_t id = CreateOrder("lee@example.com");
  ASSERT_EQ(receiver_.WaitFor(1, kWait), 1u);

  const ReceivedWebhook first = receiver_.received()[0];
  EXPECT_EQ(first.header("X-Shopify-Topic"), "orders/create");
  EXPECT_EQ(first.header("X-Shopify-Shop-Domain"), kAlpha);
  EXPECT_EQ(first.header("X-Shopify-API-Version"), "2025-07");
  EXPECT_EQ(first.header("Content-Type"), "application/json");
  EXPECT_FALSE(first.header("X-Shopify-Webhook-Id").empty());
  EXPECT_FALSE(first.header("X-Shopify-Event-Id").empty());
  EXPECT_TRUE(std::regex_match(first.header("X-Shopify-Triggered-At"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  // alpha's secret is "hush"; the signature is over the exact body bytes.
  EXPECT_EQ(first.header("X-Shopify-Hmac-Sha256"), ExpectedHmac("hush", first.body));
  EXPECT_NE(first.header("X-Shopify-Hmac-Sha256"), ExpectedHmac("beta-secret", first.body));
  EXPECT_NE(first.body.find("\"id\":" + std::to_string(id)), std::string::npos) << first.body;

  auto deliveries = Deliveries();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0]["state"], "pending");
  EXPECT_EQ(deliveries[0]["attempts"][0]["status"], 500);

  // The first retry is due 56.25 s later: 55 s are not enough.
  ASSERT_EQ(Control("POST", "/_sim/clock/advance", {{"ms", 55000}}).status, 200);
  EXPECT_EQ(receiver_.received().size(), 1u);
  ASSERT_EQ(Control("POST", "/_sim/clock/advance", {{"ms", 2000}}).status, 200);
  ASSERT_EQ(receiver_.WaitFor(2, kWait), 2u);
  const ReceivedWebhook retry = receiver_.received()[1];
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(retry.header("X-Shopify-Webhook-Id"), first.header("X-Shopify-Webhook-Id"));
  EXPECT_EQ(retry.header("X-Shopify-Triggered-At"), first.header("X-Shopify-Triggered-At"));
  EXPECT_EQ(retry.header("X-Shopify-Hmac-Sha256"), first.header("X-Shopify-Hmac-Sha256"));
  deliveries = Deliveries();
  EXPECT_EQ(deliveries[0]["state"], "delivered");
  EXPECT_EQ(deliveries[0]["attempts"].size(), 2u);
  EXPECT_EQ(deliveries[0]["attempts"][1]["status"], 200);
}

TEST_F(WebhooksTest, NoAnswerWithinFiveSecondsIsRetried) {
  StartSim();
  ASSERT_EQ(Subscribe("customers/update", receiver_.url()).status, 201);
  receiver_.DelayNext(std::chrono::milliseconds(6500));
  ASSERT_EQ(Control("PUT", kShop + "/customers/115310627314723954", {{"note", "vip"}}).status, 200);
  ASSERT_EQ(receiver_.WaitFor(1, kWait), 1u);
  // The simulator gives up after 5 s and records an attempt without a status.
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  nlohmann::json d;
  do {
    std::this_thread::sleep_for(milliseconds(100));
    d = Deliveries()[0];
  } while (d["attempts"].empty() && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(d["attempts"].size(), 1u) << d.dump();
  EXPECT_EQ(d["attempts"][0]["status"], 0);
  EXPECT_EQ(d["state"], "pending");
  ASSERT_EQ(Control("POST", "/_sim/clock/advance", {{"ms", 57000}}).status, 200);
  ASSERT_EQ(receiver_.WaitFor(2, kWait), 2u);
  EXPECT_EQ(Deliveries()[0]["state"], "delivered");
}

TEST_F(WebhooksTest, EightRetriesThenFailed) {
  StartSim();
  ASSERT_EQ(Subscribe("products/update", receiver_.url()).status, 201);
  for (int i = 0; i < 20; ++i) receiver_.AnswerNext(503);
  ASSERT_EQ(Control("PUT", kShop + "/products/788032119674292922", {{"title", "Shirt"}}).status,
            200);
  ASSERT_EQ(receiver_.WaitFor(1, kWait), 1u);
  std::int64_t total_ms = 0;
  for (int retry = 0; retry < 8; ++retry) {
    const std::int64_t step = (std::int64_t{56250} << retry) + 1000;
    total_ms += step;
    ASSERT_EQ(Control("POST", "/_sim/clock/advance", {{"ms", step}}).status, 200);
    ASSERT_EQ(receiver_.WaitFor(2 + retry, kWait), 2u + retry) << "retry " << retry;
  }
  const auto d = Deliveries()[0];
  EXPECT_EQ(d["state"], "failed");
  EXPECT_EQ(d["attempts"].size(), 9u);
  EXPECT_LE(total_ms, 4 * 3600 * 1000 + 8 * 1000);  // 8 retries over 4 hours
  ASSERT_EQ(Control("POST", "/_sim/clock/advance", {{"ms", 86400000}}).status, 200);
  EXPECT_EQ(receiver_.received().size(), 9u);
}

TEST_F(WebhooksTest, DropDuplicateDelayAndReorderFaults) {
  StartSim();
  ASSERT_EQ(Subscribe("orders/create", receiver_.url()).status, 201);
  ASSERT_EQ(Control("POST", "/_sim/webhooks/faults", {{"mode", "drop"}, {"count", 1}}).status, 201);
  CreateOrder("dropped@example.com");
  ASSERT_EQ(Control("POST", "/_sim/webhooks/faults", {{"mode", "duplicate"}, {"count", 1}}).status,
            201);
  CreateOrder("twice@example.com");
  ASSERT_EQ(receiver_.WaitFor(2, kWait), 2u);
  auto got = receiver_.received();
  EXPECT_EQ(got[0].header("X-Shopify-Webhook-Id"), got[1].header("X-Shopify-Webhook-Id"));
  EXPECT_NE(got[0].body.find("twice@example.com"), std::string::npos);
  EXPECT_EQ(Deliveries()[0]["state"], "dropped");

  ASSERT_EQ(Control("POST", "/_sim/webhooks/faults",
                    {{"mode", "delay"}, {"count", 1}, {"delay_ms", 600000}})
                .status,
            201);
  CreateOrder("late@example.com");
  ASSERT_EQ(Control("POST", "/_sim/webhooks/faults", {{"mode", "reorder"}, {"count", 2}}).status,
            201);
  CreateOrder("first@example.com");
  CreateOrder("second@example.com");
  ASSERT_EQ(receiver_.WaitFor(4, kWait), 4u);
  got = receiver_.received();
  EXPECT_NE(got[2].body.find("second@example.com"), std::string::npos);
  EXPECT_NE(got[3].body.find("first@example.com"), std::string::npos);
  EXPECT_EQ(got.size(), 4u);  // the delayed one waits for the clock
  ASSERT_EQ(Control("POST", "/_sim/clock/advance", {{"ms", 600000}}).status, 200);
  ASSERT_EQ(receiver_.WaitFor(5, kWait), 5u);
  EXPECT_NE(receiver_.received()[4].body.find("late@example.com"), std::string::npos);
  EXPECT_EQ(Control("POST", "/_sim/webhooks/faults", {{"mode", "explode"}, {"count", 1}}).status,
            400);
}

TEST_F(WebhooksTest, CartLifecycleEmitsCartAndOrderTopics) {
  StartSim();
  for (const char* topic : {"carts/create", "carts/update", "orders/create"}) {
    ASSERT_EQ(Subscribe(topic, receiver_.url()).status, 201);
  }
  const Reply cart = Control("POST", kShop + "/carts",
                             {{"lines", {{{"variant_id", 757650484644203962}, {"quantity", 1}}}}});
  ASSERT_EQ(cart.status, 201) << cart.body;
  const std::string token = cart.json()["cart"]["token"];
  ASSERT_EQ(Control("PUT", kShop + "/carts/" + token,
                    {{"lines", {{{"variant_id", 757650484644203962}, {"quantity", 3}}}}})
                .status,
            200);
  ASSERT_EQ(Control("POST", kShop + "/carts/" + token + "/convert").status, 201);
  ASSERT_EQ(receiver_.WaitFor(3, kWait), 3u);
  const auto got = receiver_.received();
  std::vector<std::string> topics;
  for (const auto& g : got) topics.push_back(g.header("X-Shopify-Topic"));
  EXPECT_EQ(topics, (std::vector<std::string>{"carts/create", "carts/update", "orders/create"}));
  const auto order = nlohmann::json::parse(got[2].body);
  EXPECT_EQ(order["cart_token"], token);
  EXPECT_EQ(order["line_items"][0]["quantity"], 3);
}

}  // namespace
}  // namespace storeflow::shopify_sim::testing
