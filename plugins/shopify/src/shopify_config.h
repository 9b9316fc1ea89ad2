#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify {

// API limits of one shop. Defaults: Shopify's standard plan (GraphQL Admin: a
// 2000-point bucket restoring 100 points/s; REST Admin: a 40-call bucket leaking
// 2 calls/s; a single query may cost at most 1000 points).
struct ShopLimits {
  double graphql_bucket = 2000;
  double graphql_restore_per_second = 100;
  double rest_bucket = 40;
  double rest_leak_per_second = 2;
  double max_query_cost = 1000;
};

struct ShopConfig {
  std::string domain;                   // x.myshopify.com
  std::string admin_token_secret;       // secret NAME (host->secret), never the value
  std::string storefront_token_secret;  // "" when the shop has none
  std::string api_version;              // e.g. 2025-07
  std::string base_url;                 // https://{domain} or the `endpoint` override
  ShopLimits limits;
};

struct ShopifyConfig {
  std::vector<ShopConfig> shops;
  std::int64_t timeout_ms = 30000;                // one HTTP exchange
  std::int64_t max_wait_ms = 30000;               // waiting for budget inside one step
  double default_query_cost = 100;                // GraphQL reservation of an operation never seen
  std::string source_id_namespace = "storeflow";  // product_upsert's metafield
  std::string source_id_key = "source_id";

  // The shop `name` names (its domain, or the part before ".myshopify.com");
  // without a name, the only shop. Throws Error::Permanent("unknown_shop"), or
  // "not_configured" when there are no shops at all.
  const ShopConfig& Find(const std::optional<std::string>& name) const;
};

// Reads and checks the plugin config (see README.md); throws
// Error::Permanent("invalid_config") naming the key, e.g. "`shops[1].domain` ...".
ShopifyConfig ParseShopifyConfig(const sdk::Json& config);

}  // namespace storeflow::plugins::shopify
