#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "budget_governor.h"
#include "http_exchange.h"
#include "link_header.h"
#include "shopify_config.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct RestAnswer {
  int status = 0;
  sdk::Json body;  // {} for an empty body
  PageLinks links;
};

struct GraphQLRequest {
  std::string operation_name;  // sent as operationName when not empty
  std::string query;
  sdk::Json variables = sdk::Json::object();
  std::optional<double> declared_cost;  // reservation before the first answer
  std::string cost_key;                 // what the requestedQueryCost is cached by
};

// Talks to one configured shop for one step: Admin REST and GraphQL under the
// budget governor (waiting and retrying a throttled call inside the step's
// deadline), Storefront GraphQL, and the metrics of each request.
class ShopifyClient {
 public:
  ShopifyClient(const sdk::Host& host, const ShopifyConfig& config, BudgetGovernor& governor,
                HttpTransport& transport)
      : host_(host), config_(config), governor_(governor), transport_(transport) {}

  // `path` is relative to /admin/api/{version}/, e.g. "orders.json".
  RestAnswer Rest(const ShopConfig& shop, const std::string& method, const std::string& path,
                  const QueryParams& query, const sdk::Json* body, const sdk::Call& call) const;

  // The whole answer ({data, extensions}); errors and throttling handled.
  sdk::Json AdminGraphQL(const ShopConfig& shop, const GraphQLRequest& request,
                         const sdk::Call& call) const;

  sdk::Json StorefrontGraphQL(const ShopConfig& shop, const GraphQLRequest& request,
                              const sdk::Call& call) const;

  // scheme://host/admin/api/{version}/{path}?{query}
  static std::string AdminUrl(const ShopConfig& shop, const std::string& path,
                              const QueryParams& query);
  static std::string PercentEncode(const std::string& text);

 private:
  std::string Token(const std::string& secret_name, const char* what) const;
  std::int64_t RequestTimeout(const sdk::Call& call) const;
  HttpResponse Send(const HttpRequest& request, const sdk::Call& call, const ShopConfig& shop,
                    const char* api) const;
  void Sleep(std::int64_t ms) const;

  const sdk::Host& host_;
  const ShopifyConfig& config_;
  BudgetGovernor& governor_;
  HttpTransport& transport_;
};

}  // namespace storeflow::plugins::shopify
