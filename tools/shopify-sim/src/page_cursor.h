#pragma once

// Opaque pagination cursors: REST page_info and GraphQL after/endCursor. A cursor
// holds the list's filters and where the page ended, as base64url(JSON), so a client
// can save it and resume later with only `limit` and `fields`.

#include <cstdint>
#include <optional>
#include <string>

#include "entity_store.h"

namespace storeflow::shopify_sim {

struct PageCursor {
  Resource resource = Resource::kOrders;
  bool forward = true;       // rel="next" (ids above `edge_id`) or "previous" (below)
  std::int64_t edge_id = 0;  // last id of the page before (next) / first id (previous)
  ListFilter filter;
};

std::string EncodeCursor(const PageCursor& cursor);
std::optional<PageCursor> DecodeCursor(const std::string& text);

}  // namespace storeflow::shopify_sim
