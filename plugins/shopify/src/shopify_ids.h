#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify {

// Shopify ids are 64-bit integers above 2^53 (a double would round them), so they
// are read as int64 only: from a JSON integer, a decimal string, or a GID
// "gid://shopify/<Type>/<id>" (query such as "?key=..." after it is ignored).
// `type` is the GID type expected ("Order"); a GID of another type is refused.
// Returns the id, or nullopt with `*error` saying what is wrong.
std::optional<std::int64_t> ParseId(const sdk::Json& value, std::string_view type,
                                    std::string* error);

// ParseId on input[field]; throws Error::Permanent("invalid_input") naming the field.
std::int64_t RequiredId(const sdk::Json& input, std::string_view field, std::string_view type);

// "gid://shopify/<type>/<id>".
std::string Gid(std::string_view type, std::int64_t id);

// A GID as given (of `type`), or one built from a bare integer id; refuses others.
std::string RequiredGid(const sdk::Json& input, std::string_view field, std::string_view type);

}  // namespace storeflow::plugins::shopify
