#include "http/admin_origin.h"

#include "common/ascii_text.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace storeflow::http {
namespace {

// "host:port" with the scheme's default port removed.
std::string WithoutDefaultPort(std::string authority, std::string_view default_port) {
  const std::string suffix = ":" + std::string(default_port);
  if (authority.size() > suffix.size() && authority.ends_with(suffix)) {
    authority.resize(authority.size() - suffix.size());
  }
  return authority;
}

bool StateChanging(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

}  // namespace

bool OriginMatchesHost(std::string_view origin, std::string_view host) {
  const std::string o = AsciiLower(TrimAsciiSpace(origin));
  const std::string h = AsciiLower(TrimAsciiSpace(host));
  std::string_view default_port;
  std::string authority;
  if (o.starts_with("http://")) {
    default_port = "80";
    authority = o.substr(7);
  } else if (o.starts_with("https://")) {
    default_port = "443";
    authority = o.substr(8);
  } else {
    return false;  // "null", another scheme, garbage
  }
  if (authority.empty() || h.empty() || authority.find('/') != std::string::npos) return false;
  return WithoutDefaultPort(authority, default_port) == WithoutDefaultPort(h, default_port);
}

bool IsJsonContentType(std::string_view content_type) {
  std::string type = AsciiLower(TrimAsciiSpace(content_type.substr(0, content_type.find(';'))));
  if (type == "application/json") return true;
  return type.starts_with("application/") && type.ends_with("+json");
}

std::optional<Response> CheckSameOrigin(const Request& request) {
  if (!StateChanging(request.method)) return std::nullopt;
  if (auto origin = request.Header("origin")) {
    const auto host = request.Header("host");
    if (!host || !OriginMatchesHost(*origin, *host)) {
      return Response::Error(403, "cross_origin",
                             "the admin API refuses " + request.method +
                                 " requests from another origin (Origin: " + *origin +
                                 ", Host: " + host.value_or("none") +
                                 "); call it from a client that sends no Origin header, or "
                                 "from a page served by this engine");
    }
  }
  const auto type = request.Header("content-type");
  if (type ? !IsJsonContentType(*type) : !request.body.empty()) {
    return Response::Error(403, "json_required",
                           "the admin API accepts " + request.method +
                               " bodies only as JSON (Content-Type: application/json); got " +
                               (type ? "Content-Type: " + *type : "a body without Content-Type"));
  }
  return std::nullopt;
}

}  // namespace storeflow::http
