#pragma once

// Loads DIR/shops.json (`[{"domain","admin_token","storefront_token","webhook_secret",
// "plan"?,"name"?}]`) and, per shop, DIR/{domain}/{orders,products,customers,checkouts,
// carts}.json (arrays in Shopify's REST shapes) into the simulator.

#include <filesystem>

#include "common/result.h"
#include "common/status.h"
#include "sim_state.h"

namespace storeflow::shopify_sim {

Status LoadFixtures(const std::filesystem::path& dir, Simulator& sim);

// Adds one REST-shaped entity (an id is assigned when it has none); `where` names the
// source in errors ("orders.json[3]").
Status AddEntityFromJson(Shop& shop, Resource r, nlohmann::json rest, const std::string& where);

// Adds a cart in the carts/create webhook shape (needs "token").
Status AddCartFromJson(Shop& shop, nlohmann::json rest, std::int64_t now_ms,
                       const std::string& where);

}  // namespace storeflow::shopify_sim
