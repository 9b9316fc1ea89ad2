#pragma once

// Cross-site request forgery guard of the admin API. A web page the operator
// visits can make the browser POST to http://127.0.0.1:8080/api/v1/... (in dev
// mode without a token nothing else stops it). Browsers send an Origin header
// with such a request and can send a body only as a form or text type without
// a preflight; so a state-changing request (POST, PUT, PATCH, DELETE) is
// refused (403) when
//   - its Origin is not the server's own (the Host header), code `cross_origin`;
//   - it carries a body, or a Content-Type, that is not JSON
//     (application/json or application/<x>+json), code `json_required`.
// Clients that are not browsers (curl, the CLI, scripts) send no Origin and
// are not affected when they send JSON.

#include <optional>
#include <string_view>

#include "http/http_message.h"

namespace storeflow::http {

// nullopt when `request` may go on; else the 403 to send.
std::optional<Response> CheckSameOrigin(const Request& request);

// Whether the Origin header value `origin` ("http://host:port") names the
// same host and port as the Host header value `host` (a scheme's default port
// may be left out of either). "null" and malformed origins are not the same.
bool OriginMatchesHost(std::string_view origin, std::string_view host);

// application/json or application/<x>+json, parameters (charset) ignored.
bool IsJsonContentType(std::string_view content_type);

}  // namespace storeflow::http
