#pragma once

namespace storeflow::plugins::shopify {

// The shopify plugin's manifest (plugin.h): config schema and, per action, its
// input schema, output schema and examples.
extern const char* const kShopifyManifest;

}  // namespace storeflow::plugins::shopify
