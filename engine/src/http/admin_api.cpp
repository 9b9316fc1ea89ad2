#include "http/admin_api.h"

#include <algorithm>
#include <exception>

#include "http/admin_auth.h"
#include "http/admin_input.h"
#include "http/admin_origin.h"
#include "http/admin_routes.h"
#include "http/router.h"

namespace storeflow::http {

AdminApi::AdminApi(store::Store& store, runtime::Engine& engine, AdminApiOptions options)
    : store_(store), engine_(engine), options_(std::move(options)) {
  options_.max_page_size = std::max(1, options_.max_page_size);
  options_.default_page_size = std::clamp(options_.default_page_size, 1, options_.max_page_size);
}

bool AdminApi::Serves(std::string_view path) {
  return path.substr(0, kPrefix.size()) == kPrefix &&
         (path.size() == kPrefix.size() || path[kPrefix.size()] == '/');
}

std::vector<std::pair<std::string, std::string>> AdminApi::Routes() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& route : admin::Routes()) {
    std::string pattern(route.pattern);
    // "{key*}" is documented as "{key}" (a key may hold '/', sent as %2F or as is).
    for (auto star = pattern.find("*}"); star != std::string::npos; star = pattern.find("*}")) {
      pattern.erase(star, 1);
    }
    out.emplace_back(route.method, std::move(pattern));
  }
  return out;
}

Status AdminApi::Register(Router& router) const {
  const auto handler = [this](Request& request) { return Handle(request); };
  const auto routes = Routes();
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& [method, pattern] = routes[i];
    STOREFLOW_RETURN_IF_ERROR(router.Add(method, pattern, handler));
    if (admin::Routes()[i].pattern.find("*}") == std::string_view::npos) continue;
    std::string deeper = pattern;  // the rest parameter spans more segments
    for (int depth = 1; depth < kMaxKeySegments; ++depth) {
      deeper += "/{rest" + std::to_string(depth) + "}";
      STOREFLOW_RETURN_IF_ERROR(router.Add(method, deeper, handler));
    }
  }
  return Status::Ok();
}

Response AdminApi::Handle(const Request& request) const {
  // Cross-site forgery first: it matters most when there is no token to check.
  if (auto forged = CheckSameOrigin(request)) return *forged;
  if (auto denied = CheckBearerToken(request, options_.token)) return *denied;

  std::vector<std::string> allowed;
  for (const auto& route : admin::Routes()) {
    std::map<std::string, std::string> params;
    if (!admin::MatchPath(route.pattern, request.path, &params)) continue;
    if (route.method != request.method) {
      if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
        allowed.emplace_back(route.method);
      }
      continue;
    }
    Request routed = request;
    routed.path_params = std::move(params);
    admin::Context context{store_,
                           engine_,
                           options_.default_page_size,
                           options_.max_page_size,
                           &options_.sync_health,
                           options_.reload ? &options_.reload : nullptr};
    try {
      return route.handler(context, routed);
    } catch (const std::exception& e) {
      return Response::Error(500, "internal", std::string("unexpected error: ") + e.what());
    }
  }
  if (allowed.empty()) {
    return Response::Error(404, "not_found",
                           "no admin API route " + request.path + " (see docs/openapi.yaml)");
  }
  std::string allow;
  for (const auto& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
  return Response::Error(
             405, "method_not_allowed",
             request.method + " is not allowed on " + request.path + " (allowed: " + allow + ")")
      .WithHeader("Allow", allow);
}

}  // namespace storeflow::http
