#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "budget_governor.h"
#include "http_exchange.h"
#include "shopify_client.h"
#include "shopify_config.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify {

// Every shopify.* action over one parsed config; the plugin entry wraps it, tests
// drive it with their own transport. Invoke counts each call by action, shop
// and outcome (metric `calls`).
class ShopifyActions {
 public:
  ShopifyActions(const sdk::Host& host, ShopifyConfig config,
                 std::shared_ptr<HttpTransport> transport);

  sdk::Json Invoke(std::string_view action, const sdk::Json& input, const sdk::Call& call);

 private:
  sdk::Json Dispatch(std::string_view action, const sdk::Json& input, const ShopConfig& shop,
                     const sdk::Call& call);

  // graphql_actions.cpp
  sdk::Json GraphQL(const sdk::Json& input, const ShopConfig& shop, const sdk::Call& call);
  sdk::Json StorefrontCart(const sdk::Json& input, const ShopConfig& shop, const sdk::Call& call);
  // rest_actions.cpp
  sdk::Json Count(const std::string& resource, const sdk::Json& input, const ShopConfig& shop,
                  const sdk::Call& call);
  sdk::Json List(const std::string& resource, const sdk::Json& input, const ShopConfig& shop,
                 const sdk::Call& call);
  sdk::Json Get(const std::string& resource, const std::string& gid_type, const sdk::Json& input,
                const ShopConfig& shop, const sdk::Call& call);
  sdk::Json CustomerByEmail(const sdk::Json& input, const ShopConfig& shop, const sdk::Call& call);
  // product_actions.cpp
  sdk::Json ProductUpsert(const sdk::Json& input, const ShopConfig& shop, const sdk::Call& call);
  sdk::Json ProductDelete(const sdk::Json& input, const ShopConfig& shop, const sdk::Call& call);
  // webhook_sync.cpp
  sdk::Json WebhookSync(const sdk::Json& input, const ShopConfig& shop, const sdk::Call& call);

  const sdk::Host& host_;
  ShopifyConfig config_;
  std::shared_ptr<HttpTransport> transport_;
  BudgetGovernor governor_;
  ShopifyClient client_;
};

}  // namespace storeflow::plugins::shopify
