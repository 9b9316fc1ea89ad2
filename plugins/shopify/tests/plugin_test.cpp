// The plugin through its C entry point: the manifest's schemas compile with the
// engine's validator, examples are valid, config errors come back from init,
// and a 64-bit id crosses the ABI exactly.
#include <gtest/gtest.h>

#include <set>

#include "common/json_schema.h"
#include "plugin_test_host.h"
#include "scripted_http_server.h"

namespace storeflow::plugins::shopify {
namespace {

using plugins::testing::Json;

const plugins::testing::LoadedPlugin& Plugin() {
  static plugins::testing::LoadedPlugin plugin(STOREFLOW_SHOPIFY_PLUGIN);
  return plugin;
}

std::shared_ptr<const JsonSchema> Compile(const Json& schema) {
  auto compiled = JsonSchema::Parse(schema);
  EXPECT_TRUE(compiled.ok()) << compiled.status().message() << " in " << schema.dump();
  return compiled.ok() ? compiled.value() : nullptr;
}

TEST(ShopifyPlugin, EveryActionHasSchemasAndValidExamples) {
  Json manifest = Plugin().Manifest();
  // It uses ABI 1.2's services (source_topics, public_url): built against 1.2 or later.
  EXPECT_GE(Plugin().table().abi_minor, 2u);
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
  plugins::testing::TestHost host;
  plugins::testing::Reply reply;
  auto instance = plugins::testing::PluginInstance::Create(
      Plugin(), host, Json{{"shops", {{{"domain", "a.myshopify.com"}}}}}, &reply);
  EXPECT_EQ(instance, nullptr);
  EXPECT_EQ(reply.code, "invalid_config") << reply.Describe();
  EXPECT_NE(reply.message.find("shops[0].admin_token_secret"), std::string::npos);
}

TEST(ShopifyPlugin, SixtyFourBitIdCrossesTheAbiExactly) {
  testing::ScriptedHttpServer server;
  server.Push({200, {}, R"({"order":{"id":820982911946154508,"name":"#1001"}})"});
  plugins::testing::TestHost host;
  host.SetSecret("ADMIN", "shpat_x");
  plugins::testing::Reply init;
  auto instance = plugins::testing::PluginInstance::Create(Plugin(), host,
                                                           Json{{"shops",
                                                                 {{{"domain", "a.myshopify.com"},
                                                                   {"admin_token_secret", "ADMIN"},
                                                                   {"endpoint", server.url()}}}}},
                                                           &init);
  ASSERT_NE(instance, nullptr) << init.Describe();
  auto reply =
      instance->Invoke("shopify.order_get", Json{{"id", "gid://shopify/Order/820982911946154508"}});
  ASSERT_TRUE(reply.ok) << reply.Describe();
  EXPECT_EQ(reply.replies, 1);
  EXPECT_EQ(reply.output["id"].dump(), "820982911946154508");
  EXPECT_EQ(host.Counter("calls", Json{{"action", "shopify.order_get"},
                                       {"shop", "a.myshopify.com"},
                                       {"status", "ok"}}),
            1);
  auto unknown = instance->Invoke("shopify.nope", Json::object());
  EXPECT_EQ(unknown.code, "unknown_action");
}

// The shared TestHost's rate_acquire is a real token bucket: through the C entry,
// a REST bucket of 2 calls (leaking 1 per 100 s) lets two calls through and
// refuses the third, retryable with the wait, without calling the shop. (With the
// old always-yes rate_acquire the third call went out.)
TEST(ShopifyPlugin, TheGovernorHoldsBackCallsOnTheSharedTestHost) {
  testing::ScriptedHttpServer server;
  for (int i = 0; i < 3; ++i) {
    server.Push({200, {{"X-Shopify-Shop-Api-Call-Limit", "1/2"}}, R"({"order":{"id":1}})"});
  }
  plugins::testing::TestHost host;
  host.SetSecret("ADMIN", "shpat_x");
  plugins::testing::Reply init;
  auto instance = plugins::testing::PluginInstance::Create(
      Plugin(), host,
      Json{{"shops",
            {{{"domain", "a.myshopify.com"},
              {"admin_token_secret", "ADMIN"},
              {"endpoint", server.url()},
              {"limits", {{"rest_bucket", 2}, {"rest_leak_per_second", 0.01}}}}}},
           {"max_wait_ms", 0}},
      &init);
  ASSERT_NE(instance, nullptr) << init.Describe();
  EXPECT_TRUE(instance->Invoke("shopify.order_get", Json{{"id", 1}}).ok);
  EXPECT_TRUE(instance->Invoke("shopify.order_get", Json{{"id", 1}}).ok);
  auto third = instance->Invoke("shopify.order_get", Json{{"id", 1}});
  EXPECT_TRUE(third.retryable()) << third.Describe();
  EXPECT_GT(third.retry_after_ms, 1000) << third.Describe();
  EXPECT_EQ(server.Received().size(), 2u);
  ASSERT_EQ(host.RateAcquires().size(), 3u);
  EXPECT_EQ(host.RateAcquires()[0].bucket, "rest:a.myshopify.com");
  EXPECT_LT(host.RateLevel("rest:a.myshopify.com").value_or(99), 1);
}

}  // namespace
}  // namespace storeflow::plugins::shopify
