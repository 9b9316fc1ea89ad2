#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage {

// Typed reads of a plugin's input or config object. The host validates input
// against the action's schema first; these still refuse a wrong type with
// Error::Permanent("invalid_input") naming the field, so a plugin never trusts
// its caller.
std::optional<std::string> OptionalString(const sdk::Json& object, std::string_view field);
std::string RequiredString(const sdk::Json& object, std::string_view field);
std::optional<std::int64_t> OptionalInteger(const sdk::Json& object, std::string_view field);
std::optional<bool> OptionalBool(const sdk::Json& object, std::string_view field);

}  // namespace storeflow::plugins::storage
