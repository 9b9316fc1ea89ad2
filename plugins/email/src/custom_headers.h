#pragma once

#include <string>
#include <utility>
#include <vector>

#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

// The `headers` input ({"X-Campaign": "spring"}) as (name, value) pairs, checked:
// a name must be printable ASCII without ':' or spaces and must not be one the
// plugin writes itself (From, To, Subject, Message-ID, Content-*, ...):
// `invalid_header`; a value with CR or LF is refused as `header_injection`, with
// the header's name in the message.
std::vector<std::pair<std::string, std::string>> ParseCustomHeaders(const sdk::Json& headers);

// Refuses CR, LF and NUL in a value bound for a header (`field` names it).
void CheckHeaderValue(const std::string& value, const std::string& field);

}  // namespace storeflow::plugins::email
