// The built plugin through the engine's plugin host (the plugin test kit): the
// manifest's schemas compile with the engine's validator, examples are valid,
// config errors are refused naming the key, a 64-bit id crosses the ABI exactly,
// and the engine's rate governor holds calls back.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/json_schema.h"
#include "scripted_http_server.h"
#include "shopify_config.h"
#include "storeflow/testkit.hpp"

namespace storeflow::plugins::shopify {
namespace {

using storeflow::testkit::HostOptions;
using storeflow::testkit::Json;
using storeflow::testkit::TestHost;

// The built plugin with `config` and `secrets`.
std::unique_ptr<TestHost> LoadShopify(const Json& config,
                                      std::map<std::string, std::string> secrets = {}) {
  HostOptions options;
  options.config = config;
  options.secrets = std::move(secrets);
  return std::make_unique<TestHost>(STOREFLOW_PLUGIN_UNDER_TEST, options);
}

// The plugin answered exactly once: no "plugin_no_reply", and no warning that it
// replied more than once (the engine keeps the first answer and logs one).
void ExpectOneReply(const TestHost& host, const storeflow::testkit::Reply& reply) {
  EXPECT_NE(reply.code, "plugin_no_reply") << reply;
  EXPECT_FALSE(host.Logged("(the first answer counts)")) << "the plugin replied more than once";
}

std::shared_ptr<const JsonSchema> Compile(const Json& schema) {
  auto compiled = JsonSchema::Parse(schema);
  EXPECT_TRUE(compiled.ok()) << compiled.status().message() << " in " << schema.dump();
  return compiled.ok() ? compiled.value() : nullptr;
}

TEST(ShopifyPlugin, EveryActionHasSchemasAndValidExamples) {
  auto plugin = LoadShopify(Json{{"shops", Json::array()}});
  Json manifest = plugin->manifest();
  ASSERT_TRUE(manifest.is_object()) << plugin->error();
  // It uses ABI 1.2's services (source_topics, public_url): built against 1.2 or later.
  const std::string abi = plugin->abi();
  ASSERT_EQ(abi.substr(0, 2), "1.") << abi;
  EXPECT_GE(std::stoi(abi.substr(2)), 2) << abi;
  std::set<std::string> names;
  for (const Json& action : manifest["actions"]) {
    const std::string name = action["name"];
    names.insert(name);
    auto input = Compile(action["input_schema"]);
    ASSERT_TRUE(action.contains("output_schema")) << name;
    Compile(action["output_schema"]);
    ASSERT_TRUE(action.contains("examples") && !action["examples"].empty()) << name;
    for (const Json& example : action["examples"]) {
      ASSERT_NE(input, nullptr);
      EXPECT_TRUE(input->Validate(example).empty()) << name << " " << example;
    }
    EXPECT_FALSE(input->Validate(Json{{"no_such_input", 1}}).empty()) << name;
  }
  for (const char* wanted :
       {"shopify.graphql", "shopify.storefront_cart", "shopify.orders_count",
        "shopify.products_count", "shopify.customers_count", "shopify.orders_list",
        "shopify.products_list", "shopify.customers_list", "shopify.order_get",
        "shopify.product_get", "shopify.product_upsert", "shopify.product_delete",
        "shopify.customer_by_email", "shopify.abandoned_checkouts",
        "shopify.webhook_subscriptions_sync"}) {
    EXPECT_EQ(names.count(wanted), 1u) << wanted;
  }
  auto config = Compile(manifest["config_schema"]);
  ASSERT_NE(config, nullptr);
  EXPECT_TRUE(config
                  ->Validate(Json{
                      {"shops", {{{"domain", "a.myshopify.com"}, {"admin_token_secret", "A"}}}}})
                  .empty());
  EXPECT_FALSE(config->Validate(Json{{"shops", {{{"domain", "a.myshopify.com"}}}}}).empty());
}

TEST(ShopifyPlugin, InitRefusesABadConfigWithTheKey) {
  const Json config{{"shops", {{{"domain", "a.myshopify.com"}}}}};
  // The engine refuses it first (config_schema), naming the key ...
  auto host = LoadShopify(config);
  EXPECT_FALSE(host->loaded());
  EXPECT_NE(host->error().find("invalid configuration of plugin 'shopify'"), std::string::npos)
      << host->error();
  EXPECT_NE(host->error().find("admin_token_secret"), std::string::npos) << host->error();
  // ... and init's own check (ParseShopifyConfig) names it by its path.
  storeflow::testkit::Reply reply;
  try {
    ParseShopifyConfig(config);
  } catch (const sdk::Error& e) {
    reply.code = e.code();
    reply.message = e.what();
  }
  EXPECT_EQ(reply.code, "invalid_config") << reply;
  EXPECT_NE(reply.message.find("shops[0].admin_token_secret"), std::string::npos);
}

TEST(ShopifyPlugin, SixtyFourBitIdCrossesTheAbiExactly) {
  testing::ScriptedHttpServer server;
  server.Push({200, {}, R"({"order":{"id":820982911946154508,"name":"#1001"}})"});
  auto instance = LoadShopify(Json{{"shops",
                                    {{{"domain", "a.myshopify.com"},
                                      {"admin_token_secret", "ADMIN"},
                                      {"endpoint", server.url()}}}}},
                              {{"ADMIN", "shpat_x"}});
  ASSERT_TRUE(instance->loaded()) << instance->error();
  auto reply =
      instance->Invoke("shopify.order_get", Json{{"id", "gid://shopify/Order/820982911946154508"}});
  ASSERT_TRUE(reply.ok) << reply;
  ExpectOneReply(*instance, reply);
  EXPECT_EQ(reply.output["id"].dump(), "820982911946154508");
  EXPECT_EQ(instance->Counter("calls", Json{{"action", "shopify.order_get"},
                                            {"shop", "a.myshopify.com"},
                                            {"status", "ok"}}),
            1);
  auto unknown = instance->Invoke("shopify.nope", Json::object());
  EXPECT_EQ(unknown.code, "unknown_action");
}

// The engine's rate governor behind rate_acquire: a REST bucket of 2 calls
// (leaking 1 per 100 s) lets two calls through and refuses the third, retryable
// with the wait, without calling the shop.
TEST(ShopifyPlugin, TheGovernorHoldsBackCallsOnTheSharedTestHost) {
  testing::ScriptedHttpServer server;
  for (int i = 0; i < 3; ++i) {
    server.Push({200, {{"X-Shopify-Shop-Api-Call-Limit", "1/2"}}, R"({"order":{"id":1}})"});
  }
  auto host =
      LoadShopify(Json{{"shops",
                        {{{"domain", "a.myshopify.com"},
                          {"admin_token_secret", "ADMIN"},
                          {"endpoint", server.url()},
                          {"limits", {{"rest_bucket", 2}, {"rest_leak_per_second", 0.01}}}}}},
                       {"max_wait_ms", 0}},
                  {{"ADMIN", "shpat_x"}});
  ASSERT_TRUE(host->loaded()) << host->error();
  EXPECT_TRUE(host->Invoke("shopify.order_get", Json{{"id", 1}}).ok);
  EXPECT_TRUE(host->Invoke("shopify.order_get", Json{{"id", 1}}).ok);
  auto third = host->Invoke("shopify.order_get", Json{{"id", 1}});
  EXPECT_TRUE(third.retryable) << third;
  EXPECT_GT(third.retry_after_ms.value_or(-1), 1000) << third;
  EXPECT_EQ(server.Received().size(), 2u);
  ASSERT_EQ(host->RateAcquires().size(), 3u);
  EXPECT_EQ(host->RateAcquires()[0].bucket, "rest:a.myshopify.com");
  EXPECT_LT(host->RateLevel("rest:a.myshopify.com").value_or(99), 1);
}

}  // namespace
}  // namespace storeflow::plugins::shopify
