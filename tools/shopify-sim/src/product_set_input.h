#pragma once

// The variant part of GraphQL `productSet`'s ProductSetInput: `productOptions`
// ([{name, position?, values: [{name}]}]) and `variants` ([{optionValues:
// [{optionName, name}], price, compareAtPrice?, sku?, barcode?, taxable?,
// inventoryPolicy?, position?}]) turned into the REST product's `options` and
// `variants`. As with Shopify, the given variants replace the product's list; a
// variant keeps its id when it has the same option values as before (or names it
// with `id`). Errors are the mutation's userErrors.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "sim_state.h"

namespace storeflow::shopify_sim {

struct VariantSetResult {
  nlohmann::json options;      // REST `options`
  nlohmann::json variants;     // REST `variants`
  nlohmann::json user_errors;  // non-empty: nothing may be saved
};

// `input` holds `variants` (and usually `productOptions`); `existing` is the
// product's REST shape before the change (null for a new product).
VariantSetResult BuildVariants(Shop& shop, std::int64_t product_id, const nlohmann::json& input,
                               const nlohmann::json& existing, const std::string& now_rest);

// A Money input ("12.5", 12.5, "12") as Shopify's REST decimal string ("12.50"); empty
// when it is not an amount.
std::string MoneyText(const nlohmann::json& amount);

}  // namespace storeflow::shopify_sim
