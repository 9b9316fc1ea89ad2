#pragma once

// A ShopifyActions over a BucketHost, pointed at a ScriptedHttpServer that plays
// the shop a.myshopify.com.

#include <memory>
#include <string>

#include "bucket_host.h"
#include "poco_transport.h"
#include "scripted_http_server.h"
#include "shopify_actions.h"
#include "shopify_config.h"

namespace storeflow::plugins::shopify::testing {

inline constexpr const char* kAdminToken = "shpat_test_admin_0123456789";
inline constexpr const char* kStorefrontToken = "storefront_test_0123";

class ShopifyFixture {
 public:
  explicit ShopifyFixture(sdk::Json extra_config = sdk::Json::object()) {
    host.test_host().SetSecret("SHOP_A_ADMIN", kAdminToken);
    host.test_host().SetSecret("SHOP_A_STOREFRONT", kStorefrontToken);
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

  // Runs `action`; on error returns {"error": {code, kind, message, retry_after_ms}}.
  sdk::Json Run(const std::string& action, const sdk::Json& input,
                std::optional<std::int64_t> deadline_in_ms = std::nullopt) {
    sdk::Call call;
    call.now_ms = host.api().NowMs();
    if (deadline_in_ms) call.deadline_ms = call.now_ms + *deadline_in_ms;
    try {
      return actions->Invoke(action, input, call);
    } catch (const sdk::Error& e) {
      return sdk::Json{{"error",
                        {{"code", e.code()},
                         {"retryable", e.kind() == STOREFLOW_ERROR_RETRYABLE},
                         {"message", e.what()},
                         {"retry_after_ms", e.retry_after_ms()}}}};
    }
  }

  ScriptedHttpServer server;  // before actions: its URL goes into the config
  BucketHost host;
  std::unique_ptr<ShopifyActions> actions;
};

}  // namespace storeflow::plugins::shopify::testing
