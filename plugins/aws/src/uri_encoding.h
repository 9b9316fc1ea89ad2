#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace storeflow::plugins::aws {

// SigV4's URI encoding: every byte except the unreserved A-Z a-z 0-9 - . _ ~ becomes
// %XX (upper-case hex). With `keep_slash`, '/' is kept (path segments).
std::string UriEncode(std::string_view bytes, bool keep_slash);

// Undoes %XX escapes; everything else (including '+') is kept as is. `what` names
// the input in the error, e.g. "query parameter 2 name".
Result<std::string> PercentDecode(std::string_view text, std::string_view what);

}  // namespace storeflow::plugins::aws
