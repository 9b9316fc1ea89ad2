#pragma once

// X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(key = the shop's webhook secret, raw body)).

#include <string>
#include <string_view>

namespace storeflow::shopify_sim {

std::string HmacSha256Base64(std::string_view secret, std::string_view body);

}  // namespace storeflow::shopify_sim
