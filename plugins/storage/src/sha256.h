#pragma once

#include <string>
#include <string_view>

namespace storeflow::plugins::storage {

// Lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

}  // namespace storeflow::plugins::storage
