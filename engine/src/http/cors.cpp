#include "http/cors.h"

#include <algorithm>
#include <cctype>

namespace storeflow::http {
namespace {

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

bool SameOrigin(std::string_view a, std::string_view b) {
  // Scheme and host are case-insensitive; browsers send them lower-case.
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool IsCorsOrigin(std::string_view origin) {
  if (origin == "*") return true;
  std::string_view rest;
  if (origin.rfind("https://", 0) == 0) {
    rest = origin.substr(8);
  } else if (origin.rfind("http://", 0) == 0) {
    rest = origin.substr(7);
  } else {
    return false;
  }
  return !rest.empty() && std::all_of(rest.begin(), rest.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
  });
}

bool OriginAllowed(const CorsPolicy& policy, std::string_view origin) {
  if (origin.empty() || origin == "null") return false;
  return std::any_of(
      policy.allowed_origins.begin(), policy.allowed_origins.end(),
      [&](const std::string& allowed) { return allowed == "*" || SameOrigin(allowed, origin); });
}

void AddCorsHeaders(const CorsPolicy& policy, const Request& request, Response& response) {
  const auto origin = request.Header("origin");
  response.WithHeader("Vary", "Origin");
  if (!origin || !OriginAllowed(policy, *origin)) return;
  response.WithHeader("Access-Control-Allow-Origin", *origin);
  response.WithHeader("Access-Control-Expose-Headers", "X-Run-Id, X-Request-Id, Retry-After");
}

Response PreflightResponse(const CorsPolicy* policy, std::string_view route_method,
                           const Request& request, const std::string& allow) {
  Response response;
  response.status = 204;
  response.WithHeader("Allow", allow);
  response.WithHeader("Vary",
                      "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  const auto origin = request.Header("origin");
  const auto method = request.Header("access-control-request-method");
  if (policy == nullptr || !origin || !method || !OriginAllowed(*policy, *origin)) return response;
  const std::vector<std::string> methods = policy->allowed_methods.empty()
                                               ? std::vector<std::string>{std::string(route_method)}
                                               : policy->allowed_methods;
  if (std::find(methods.begin(), methods.end(), *method) == methods.end()) return response;
  const std::vector<std::string> headers =
      policy->allowed_headers.empty() ? std::vector<std::string>{"Content-Type", "Authorization"}
                                      : policy->allowed_headers;
  response.WithHeader("Access-Control-Allow-Origin", *origin);
  response.WithHeader("Access-Control-Allow-Methods", Joined(methods));
  response.WithHeader("Access-Control-Allow-Headers", Joined(headers));
  response.WithHeader("Access-Control-Max-Age", std::to_string(policy->max_age_s));
  return response;
}

}  // namespace storeflow::http
