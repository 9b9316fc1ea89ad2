#include "shopify_actions.h"

#include "json_input.h"

namespace storeflow::plugins::shopify {

using sdk::Error;
using sdk::Json;

ShopifyActions::ShopifyActions(const sdk::Host& host, ShopifyConfig config,
                               std::shared_ptr<HttpTransport> transport)
    : host_(host),
      config_(std::move(config)),
      transport_(std::move(transport)),
      governor_(host_),
      client_(host_, config_, governor_, *transport_) {
  if (config_.shops.empty()) {
    // Debug only: the plugin is installed by default, and engines that do not use
    // Shopify should not warn on every start; a step that does fails clearly.
    host_.Log(STOREFLOW_LOG_DEBUG,
              "no shops configured (plugins.config.shopify.shops): every shopify.* step fails "
              "with not_configured");
  }
}

Json ShopifyActions::Invoke(std::string_view action, const Json& input, const sdk::Call& call) {
  const ShopConfig& shop = config_.Find(storage::OptionalString(input, "shop"));
  Json labels{{"action", std::string(action)}, {"shop", shop.domain}};
  try {
    Json out = Dispatch(action, input, shop, call);
    labels["status"] = "ok";
    host_.CounterAdd("calls", labels);
    return out;
  } catch (const Error& e) {
    labels["status"] = e.code();
    host_.CounterAdd("calls", labels);
    throw;
  } catch (const Json::exception& e) {
    labels["status"] = "bad_response";
    host_.CounterAdd("calls", labels);
    throw Error::Permanent(
        "bad_response",
        std::string(action) + ": Shopify's answer has an unexpected shape: " + e.what());
  }
}

Json ShopifyActions::Dispatch(std::string_view action, const Json& input, const ShopConfig& shop,
                              const sdk::Call& call) {
  if (action == "shopify.graphql") return GraphQL(input, shop, call);
  if (action == "shopify.storefront_cart") return StorefrontCart(input, shop, call);
  if (action == "shopify.orders_count") return Count("orders", input, shop, call);
  if (action == "shopify.products_count") return Count("products", input, shop, call);
  if (action == "shopify.customers_count") return Count("customers", input, shop, call);
  if (action == "shopify.orders_list") return List("orders", input, shop, call);
  if (action == "shopify.products_list") return List("products", input, shop, call);
  if (action == "shopify.customers_list") return List("customers", input, shop, call);
  if (action == "shopify.abandoned_checkouts") return List("checkouts", input, shop, call);
  if (action == "shopify.order_get") return Get("orders", "Order", input, shop, call);
  if (action == "shopify.product_get") return Get("products", "Product", input, shop, call);
  if (action == "shopify.customer_by_email") return CustomerByEmail(input, shop, call);
  if (action == "shopify.product_upsert") return ProductUpsert(input, shop, call);
  if (action == "shopify.product_delete") return ProductDelete(input, shop, call);
  if (action == "shopify.webhook_subscriptions_sync") return WebhookSync(input, shop, call);
  throw Error::Permanent("unknown_action",
                         "the shopify plugin has no action \"" + std::string(action) + "\"");
}

}  // namespace storeflow::plugins::shopify
