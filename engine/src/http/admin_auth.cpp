#include "http/admin_auth.h"

#include "common/ascii_text.h"

#include <strings.h>

#include <cctype>

namespace storeflow::http {
namespace {

constexpr std::string_view kRealm = "Bearer realm=\"storeflow-admin\"";

Response Unauthorized(std::string_view message, bool invalid_token) {
  std::string challenge(kRealm);
  if (invalid_token) challenge += ", error=\"invalid_token\"";
  Response response = Response::Error(401, "unauthorized", message);
  response.WithHeader("WWW-Authenticate", std::move(challenge));
  return response;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  if (host.size() == 9 && strncasecmp(host.data(), "localhost", 9) == 0) return true;
  // 127.a.b.c with four decimal parts.
  if (host.substr(0, 4) != "127.") return false;
  int parts = 0;
  int digits = 0;
  int value = 0;
  for (char c : host) {
    if (c == '.') {
      if (digits == 0) return false;
      ++parts;
      digits = 0;
      value = 0;
    } else if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  return parts == 3 && digits > 0;
}

Status CheckAdminExposure(std::string_view listen_host, std::string_view token, bool dev_mode) {
  if (!token.empty()) return Status::Ok();
  if (dev_mode && IsLoopbackHost(listen_host)) return Status::Ok();
  std::string message =
      "the admin API (/api/v1) needs a bearer token: set STOREFLOW_ADMIN_TOKEN or the config "
      "key admin.token";
  if (!dev_mode) {
    message += " (without a token it is served only in dev mode on a loopback address)";
  } else {
    message +=
        " (dev mode allows no token only on a loopback address, and the listen address "
        "is '" +
        std::string(listen_host) + "')";
  }
  return FailedPrecondition(std::move(message));
}

bool ConstantTimeEquals(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

std::optional<Response> CheckBearerToken(const Request& request, std::string_view token) {
  if (token.empty()) return std::nullopt;
  auto header = request.Header("authorization");
  if (!header) return Unauthorized("this API needs an Authorization: Bearer <token> header", false);
  std::string_view value = TrimAsciiSpace(*header);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() ||
      strncasecmp(value.data(), kScheme.data(), kScheme.size()) != 0 ||
      !std::isspace(static_cast<unsigned char>(value[kScheme.size()]))) {
    return Unauthorized("the Authorization header must use the Bearer scheme", false);
  }
  if (!ConstantTimeEquals(TrimAsciiSpace(value.substr(kScheme.size())), token)) {
    return Unauthorized("the bearer token is not valid", true);
  }
  return std::nullopt;
}

}  // namespace storeflow::http
