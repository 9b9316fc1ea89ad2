#pragma once

// Who may call the admin API: a bearer token (STOREFLOW_ADMIN_TOKEN or the
// config key admin.token), compared in constant time, never logged.

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/http_message.h"

namespace storeflow::http {

// Whether the admin API may be served: with a token always; without one only in
// dev mode on a loopback address (127.0.0.0/8, ::1, localhost). Otherwise
// FailedPrecondition saying how to set a token. The token itself is never put
// in the message.
Status CheckAdminExposure(std::string_view listen_host, std::string_view token, bool dev_mode);

// True for 127.0.0.0/8, ::1 (bracketed or not) and "localhost".
bool IsLoopbackHost(std::string_view host);

// Compares in time that depends only on `expected`'s length.
bool ConstantTimeEquals(std::string_view given, std::string_view expected);

// nullopt when `request` carries "Authorization: Bearer <token>" (or `token` is
// empty: authentication is off, which CheckAdminExposure allows in dev mode
// only); else the 401 to send, with "WWW-Authenticate: Bearer".
std::optional<Response> CheckBearerToken(const Request& request, std::string_view token);

}  // namespace storeflow::http
