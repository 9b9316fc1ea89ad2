#pragma once

// Checks one HTTP header field before it is written: a name that is an RFC 9110
// token, a value without CR, LF, NUL or other control characters (horizontal
// tab allowed). A line break in either would let the text after it be read as
// another header or another request (header injection, request splitting).

#include <string_view>

#include "common/status.h"

namespace storeflow {

// InvalidArgument naming the header (the name as JSON, so a line break in it
// shows as \r or \n) and what is wrong; the value itself is never quoted, since
// it may be a secret.
Status CheckHeaderField(std::string_view name, std::string_view value);

}  // namespace storeflow
