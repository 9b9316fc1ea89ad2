#pragma once

// Routes requests to handlers by method and path pattern. The only interface
// the HTTP surface's parts (webhooks, REST triggers, health, the admin API)
// register through:
//
//   router.Add("GET", "/api/v1/runs/{id}", handler);   // {id} -> path_params["id"]
//   Response r = router.Dispatch(request, &route);      // 404 / 405 + Allow built in
//
// A pattern is "/" followed by segments, each literal or `{name}` (one whole
// segment); the last may be `{name...}`, which matches the rest of the path (zero
// or more segments, joined with "/": "/shop/{file...}" matches "/shop" and
// "/shop/css/site.css" with file = "css/site.css"). Where two patterns match a
// path, the one with a literal segment further left wins ("/api/v1/runs/stats"
// over "/api/v1/runs/{id}"), and a pattern without `{name...}` over one with it.
// Add all routes before the server starts; Dispatch is then thread-safe
// (read-only).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/http_message.h"

namespace storeflow::http {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  // InvalidArgument for a malformed pattern or method; AlreadyExists when the
  // same method is registered for the same pattern shape.
  Status Add(std::string_view method, std::string_view pattern, Handler handler);

  // Finds the route of request.method + request.path, fills request.path_params
  // and calls its handler. No pattern matches the path: 404 `not_found`.
  // Patterns match but none for this method: 405 `method_not_allowed` with an
  // `Allow` header. `route`, when given, receives the matched pattern (or
  // "unmatched"), a bounded label for metrics and logs.
  Response Dispatch(Request& request, std::string* route = nullptr) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" for a parameter
    bool rest = false;                  // the last segment is "{name...}"
    Handler handler;
  };
  // True when `route` matches the path's segments (params are not filled).
  static bool Matches(const Route& route, const std::vector<std::string_view>& path);
  // True when `a` is more specific than `b` for a path of `length` segments
  // that both match: a literal segment further left, else no `{name...}`.
  static bool MoreSpecific(const Route& a, const Route& b, std::size_t length);

  std::vector<Route> routes_;
};

// Splits "/a/b/" into {"a", "b"}; "/" gives {}.
std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace storeflow::http
