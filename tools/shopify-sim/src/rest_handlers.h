#pragma once

// Admin REST: {base}/admin/api/{version}/{orders,products,customers,checkouts}.json,
// their count.json and {id}.json, customers/search.json and webhooks.json, with Link
// pagination (opaque page_info) and the leaky-bucket call limit. Callers hold the
// simulator's mutex and have checked faults and the access token.

#include <string>

#include "http_types.h"
#include "sim_state.h"

namespace storeflow::shopify_sim {

// `rest_path` is what follows "admin/api/{version}/", e.g. "orders/count.json".
SimReply HandleAdminRest(Simulator& sim, Shop& shop, const SimRequest& request,
                         const std::string& api_version, const std::string& rest_path);

// The topics the simulator accepts in webhook subscriptions.
bool IsKnownWebhookTopic(const std::string& topic);

}  // namespace storeflow::shopify_sim
