#pragma once

#include <string>
#include <string_view>

namespace storeflow::plugins::storage {

// True for a MIME type "type/subtype" with optional "; name=value" parameters
// (tokens or quoted strings), printable ASCII only: safe to put in a header.
bool IsValidContentType(std::string_view content_type);

// A content type for a file name by its extension; "application/octet-stream"
// when unknown.
std::string GuessContentType(std::string_view filename);

}  // namespace storeflow::plugins::storage
