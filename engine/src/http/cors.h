#pragma once

// CORS for REST triggers: a route's `cors:` (or the engine's http.cors_* keys)
// says which browser origins may call it. A real response to an allowed origin
// gets Access-Control-Allow-Origin (the origin itself) and Vary: Origin; a
// preflight (OPTIONS with Access-Control-Request-Method) to an allowed origin
// and method gets 204 with the Access-Control-Allow-* headers. A disallowed
// origin gets no CORS headers at all (the browser then refuses).

#include <string>
#include <string_view>

#include "http/http_message.h"
#include "workflow/model.h"

namespace storeflow::http {

using CorsPolicy = workflow::HttpCors;

// "https://host[:port]" / "http://host[:port]" without path, or "*".
bool IsCorsOrigin(std::string_view origin);

bool OriginAllowed(const CorsPolicy& policy, std::string_view origin);

// Adds Access-Control-Allow-Origin, Access-Control-Expose-Headers and Vary to
// `response` when `request` has an allowed Origin.
void AddCorsHeaders(const CorsPolicy& policy, const Request& request, Response& response);

// The answer to a preflight for a route of `route_method`: 204 with the
// Access-Control-* headers when the origin and requested method are allowed,
// else 204 without them (only `Allow`).
Response PreflightResponse(const CorsPolicy* policy, std::string_view route_method,
                           const Request& request, const std::string& allow);

}  // namespace storeflow::http
