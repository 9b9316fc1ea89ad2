#pragma once

// Changes to a shop's entities that Shopify would announce with a webhook: each one
// updates the store and emits its topic (orders/create, products/update, ...).
// Callers hold the simulator's mutex.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "sim_state.h"

namespace storeflow::shopify_sim {

// The topic for an action on a resource: ("orders", "create") -> "orders/create",
// ("orders", "update") -> "orders/updated" (Shopify's spelling), ...
std::string TopicFor(Resource r, const std::string& action);

// Creates an entity from REST-shaped fields (an id is assigned unless given).
Result<nlohmann::json> CreateEntity(Simulator& sim, Shop& shop, Resource r, nlohmann::json fields);
// Merges `fields` into the entity (top-level keys); updated_at becomes now.
Result<nlohmann::json> UpdateEntity(Simulator& sim, Shop& shop, Resource r, std::int64_t id,
                                    const nlohmann::json& fields);
Status DeleteEntity(Simulator& sim, Shop& shop, Resource r, std::int64_t id);

// Cart lines: [{"variant_id": N, "quantity": Q}] (price/title/product_id taken from the
// product holding the variant, or from the line itself).
Result<nlohmann::json> CreateCart(Simulator& sim, Shop& shop, const nlohmann::json& body);
Result<nlohmann::json> UpdateCart(Simulator& sim, Shop& shop, const std::string& token,
                                  const nlohmann::json& body);
// Turns the cart into an order (orders/create; checkouts/update for its checkout).
Result<nlohmann::json> ConvertCart(Simulator& sim, Shop& shop, const std::string& token);

// Products: sets metafields ([{namespace,key,type?,value}]) on a product, replacing
// one with the same namespace and key (it keeps its id). Stored as {id, namespace,
// key, type, value, created_at, updated_at}.
void SetMetafields(Shop& shop, Entity& product, const nlohmann::json& metafields,
                   std::int64_t now_ms);
// A stored metafield in Shopify's REST Metafield shape (owner_resource "product").
nlohmann::json RestMetafield(const Entity& product, const nlohmann::json& metafield);

}  // namespace storeflow::shopify_sim
