#pragma once

// A ShopifyActions over a BucketHost (the engine's host services, from the plugin
// test kit), pointed at a ScriptedHttpServer that plays the shop a.myshopify.com.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "bucket_host.h"
#include "common/json_schema.h"
#include "poco_transport.h"
#include "scripted_http_server.h"
#include "shopify_actions.h"
#include "shopify_config.h"
#include "storeflow/testkit.hpp"

namespace storeflow::plugins::shopify::testing {

inline constexpr const char* kAdminToken = "shpat_test_admin_0123456789";
inline constexpr const char* kStorefrontToken = "storefront_test_0123";

// The compiled output schema of `action`, from the built plugin's manifest (what
// the engine enforces on every successful output; read through the plugin test kit).
inline std::shared_ptr<const JsonSchema> OutputSchema(const std::string& action) {
  static const std::map<std::string, std::shared_ptr<const JsonSchema>> schemas = [] {
    std::map<std::string, std::shared_ptr<const JsonSchema>> out;
    storeflow::testkit::HostOptions options;
    options.config = {{"shops", sdk::Json::array()}};
    const sdk::Json manifest =  // a temporary would dangle in the loop
        storeflow::testkit::TestHost(STOREFLOW_PLUGIN_UNDER_TEST, options).manifest();
    for (const sdk::Json& a : manifest["actions"]) {
      auto compiled = JsonSchema::Parse(a["output_schema"]);
      if (compiled.ok()) out[a["name"]] = compiled.value();
    }
    return out;
  }();
  auto it = schemas.find(action);
  return it == schemas.end() ? nullptr : it->second;
}

// Runs `action` on `actions`; a successful output is checked against the
// manifest's output schema; an error comes back as
// {"error": {code, retryable, message, retry_after_ms}}.
inline sdk::Json RunAction(ShopifyActions& actions, BucketHost& host, const std::string& action,
                           const sdk::Json& input, std::optional<std::int64_t> deadline_in_ms) {
  sdk::Call call;
  call.now_ms = host.api().NowMs();
  if (deadline_in_ms) call.deadline_ms = call.now_ms + *deadline_in_ms;
  try {
    sdk::Json out = actions.Invoke(action, input, call);
    auto schema = OutputSchema(action);
    EXPECT_NE(schema, nullptr) << action;
    if (schema) {
      auto violations = schema->Validate(out);
      EXPECT_TRUE(violations.empty()) << action << " output does not match its output_schema: "
                                      << DescribeViolations(violations) << " in " << out.dump();
    }
    return out;
  } catch (const sdk::Error& e) {
    return sdk::Json{{"error",
                      {{"code", e.code()},
                       {"retryable", e.kind() == STOREFLOW_ERROR_RETRYABLE},
                       {"message", e.what()},
                       {"retry_after_ms", e.retry_after_ms()}}}};
  }
}

class ShopifyFixture {
 public:
  explicit ShopifyFixture(sdk::Json extra_config = sdk::Json::object()) {
    sdk::Json config{{"shops",
                      {{{"domain", "a.myshopify.com"},
                        {"admin_token_secret", "SHOP_A_ADMIN"},
                        {"storefront_token_secret", "SHOP_A_STOREFRONT"},
                        {"endpoint", server.url() + "/shops/a.myshopify.com"}}}},
                     {"timeout_ms", 5000},
                     {"max_wait_ms", 5000}};
    for (auto& [key, value] : extra_config.items()) config[key] = value;
    actions = std::make_unique<ShopifyActions>(host.api(), ParseShopifyConfig(config),
                                               std::make_shared<PocoTransport>());
  }

  // Runs `action` (see RunAction).
  sdk::Json Run(const std::string& action, const sdk::Json& input,
                std::optional<std::int64_t> deadline_in_ms = std::nullopt) {
    return RunAction(*actions, host, action, input, deadline_in_ms);
  }

  ScriptedHttpServer server;  // before actions: its URL goes into the config
  BucketHost host{{{"SHOP_A_ADMIN", kAdminToken}, {"SHOP_A_STOREFRONT", kStorefrontToken}}};
  std::unique_ptr<ShopifyActions> actions;
};

}  // namespace storeflow::plugins::shopify::testing
