#pragma once

#include <string_view>

namespace storeflow {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF). NUL bytes are well-formed.
bool IsValidUtf8(std::string_view text);

}  // namespace storeflow
