#include "http/route_class.h"

namespace storeflow::http {
namespace {

// `path` is `prefix` or starts with `prefix` + "/".
bool UnderPrefix(std::string_view path, std::string_view prefix) {
  return path.substr(0, prefix.size()) == prefix &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

}  // namespace

RouteClass ClassifyPath(std::string_view path) {
  if (UnderPrefix(path, "/webhooks")) return RouteClass::kWebhook;
  if (UnderPrefix(path, "/api/v1") || path == "/metrics" || path == "/healthz" ||
      path == "/readyz") {
    return RouteClass::kAdmin;
  }
  return RouteClass::kRest;
}

std::string_view RouteClassName(RouteClass route_class) {
  switch (route_class) {
    case RouteClass::kWebhook: return "webhook";
    case RouteClass::kAdmin: return "admin";
    case RouteClass::kRest: return "rest";
  }
  return "rest";
}

}  // namespace storeflow::http
