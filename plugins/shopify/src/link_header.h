#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace storeflow::plugins::shopify {

// The relations of a REST `Link` header (Shopify's cursor pagination):
//   Link: <https://x/admin/api/2025-07/orders.json?limit=50&page_info=abc>; rel="previous",
//         <https://x/admin/api/2025-07/orders.json?limit=50&page_info=def>; rel="next"
// Only the relations that exist are present; rel values may be quoted or not,
// with any whitespace; commas inside <...> (e.g. fields=id,name) do not split.
struct PageLinks {
  std::optional<std::string> next_url;
  std::optional<std::string> previous_url;
  std::optional<std::string> next_page_info;  // the `page_info` parameter of next_url
  std::optional<std::string> previous_page_info;
};

PageLinks ParseLinkHeader(std::string_view header);

// The percent-decoded value of query parameter `name` in `url`; nullopt when absent.
std::optional<std::string> QueryParameter(std::string_view url, std::string_view name);

}  // namespace storeflow::plugins::shopify
