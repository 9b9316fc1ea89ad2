#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace storeflow::plugins::storage {

// Standard base64 (RFC 4648, with padding). With line_length > 0, a CRLF is put
// after every line_length output characters (MIME uses 76).
std::string Base64Encode(std::string_view bytes, std::size_t line_length = 0);

// Decodes standard base64; spaces, tabs, CR and LF are ignored, padding is
// optional. nullopt when any other character is out of the alphabet or the
// length is impossible.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace storeflow::plugins::storage
