#pragma once

// A seedable generator of orders (and the customers they belong to) in Shopify's REST
// shape: ids 820982911946154508 + i (above 2^53; ids already held are skipped),
// updated_at strictly increasing, all open. The same seed gives the same orders.

#include <cstdint>

#include "sim_state.h"

namespace storeflow::shopify_sim {

struct GeneratedRange {
  int count = 0;
  std::int64_t first_id = 0;
  std::int64_t last_id = 0;
};

GeneratedRange GenerateOrders(Shop& shop, int count, std::uint64_t seed);

}  // namespace storeflow::shopify_sim
