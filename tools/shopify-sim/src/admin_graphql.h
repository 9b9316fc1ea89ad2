#pragma once

// Admin GraphQL (POST {base}/admin/api/{version}/graphql.json): the operations of the
// wire contract (Shop, Products, Orders, Customers, ProductByIdentifier, ProductSet,
// ProductDelete), each answering a fixed superset of fields, behind the calculated-cost
// bucket (charged the requested cost, refunded to the actual cost; THROTTLED when the
// bucket lacks the points; MAX_COST_EXCEEDED above 1000). Callers hold the mutex.

#include "http_types.h"
#include "sim_state.h"

namespace storeflow::shopify_sim {

inline constexpr int kMaxSingleQueryCost = 1000;

// `forced_throttle`: an injected fault; answer THROTTLED whatever the bucket holds.
// `log_entry` gets the operation name (and the variables of mutations).
SimReply HandleAdminGraphql(Simulator& sim, Shop& shop, const SimRequest& request,
                            bool forced_throttle, nlohmann::json& log_entry);

}  // namespace storeflow::shopify_sim
