#pragma once

// The access-log line of one request:
//   METHOD PATH STATUS BYTES MSms REQUEST-ID
// The path is the decoded one, so it may hold any byte a caller percent-encoded
// (`%0a`, `%1b`...): every byte outside printable ASCII, and `%` and space, are
// written back as %XX, so one request is always one line and cannot forge
// another or send terminal escapes.

#include <cstddef>
#include <string>
#include <string_view>

namespace storeflow::http {

// `text` with bytes outside 0x21..0x7e, and '%', percent-encoded.
std::string EscapeForLog(std::string_view text);

std::string AccessLine(std::string_view method, std::string_view path, int status,
                       std::size_t bytes, double seconds, std::string_view request_id);

}  // namespace storeflow::http
