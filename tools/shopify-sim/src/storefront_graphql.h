#pragma once

// Storefront GraphQL (POST {base}/api/{version}/graphql.json, header
// X-Shopify-Storefront-Access-Token): the `Cart` query, `cart(id:)` answering a fixed
// superset of fields, or null once the cart became an order (or never existed).
// Callers hold the simulator's mutex.

#include "http_types.h"
#include "sim_state.h"

namespace storeflow::shopify_sim {

SimReply HandleStorefrontGraphql(Simulator& sim, Shop& shop, const SimRequest& request,
                                 nlohmann::json& log_entry);

}  // namespace storeflow::shopify_sim
