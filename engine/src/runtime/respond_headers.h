#pragma once

// The headers a `respond` step renders for an `http` trigger's caller, checked
// before the step commits: a map (or nothing) of header name -> value, each
// name a valid header name and no value with a line break or another control
// character (which would let a templated value add headers or a second
// response). The HTTP writer (http/rest_trigger.cpp) sends what passed.

#include <optional>

#include "runtime/action.h"

namespace storeflow::runtime {

// nullopt when fine; else a permanent "invalid_header" error naming the header.
std::optional<ActionError> CheckRespondHeaders(const Json& headers);

}  // namespace storeflow::runtime
