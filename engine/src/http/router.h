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
// Routes added with Add are fixed once the server starts. A named group of
// routes (the REST triggers of the workflows) can be replaced while requests are
// served (ReplaceGroup): Dispatch works on a snapshot of the route table, so a
// request sees either the old or the new group, never a mix. Dispatch is
// thread-safe; Add and ReplaceGroup are serialized.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "http/http_message.h"

namespace storeflow::http {

using Handler = std::function<Response(Request&)>;

// One route of a group (Router::ReplaceGroup).
struct GroupRoute {
  std::string method;
  std::string pattern;
  Handler handler;
  // Left out, without an error, when the same method and pattern shape is
  // routed already (another spelling of one path: {id} and {key}).
  bool unless_routed = false;
};

class Router {
 public:
  Router();
  // InvalidArgument for a malformed pattern or method; AlreadyExists when the
  // same method is registered for the same pattern shape.
  Status Add(std::string_view method, std::string_view pattern, Handler handler);

  // Replaces every route of `group` (none at first) with `routes`, checked as
  // Add checks them, against the other routes and each other. On an error the
  // table is left as it was. Requests in flight finish on the handlers they
  // were routed to.
  Status ReplaceGroup(std::string_view group, std::vector<GroupRoute> routes);
  // What ReplaceGroup would say, without changing anything.
  Status CheckGroup(std::string_view group, const std::vector<GroupRoute>& routes) const;

  // Finds the route of request.method + request.path, fills request.path_params
  // and calls its handler. No pattern matches the path: 404 `not_found`.
  // Patterns match but none for this method: 405 `method_not_allowed` with an
  // `Allow` header. `route`, when given, receives the matched pattern (or
  // "unmatched"), a bounded label for metrics and logs.
  Response Dispatch(Request& request, std::string* route = nullptr) const;

 private:
  struct Route {
    std::string group;  // "" for Add's routes
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

  using Table = std::vector<Route>;
  // The route for `method` + `pattern`, or InvalidArgument.
  static Result<Route> MakeRoute(std::string_view method, std::string_view pattern,
                                 Handler handler);
  // AlreadyExists when `table` routes the same method and pattern shape.
  static Status CheckFree(const Route& route, const Table& table);

  // The current table with `group` replaced by `routes`.
  Result<std::shared_ptr<Table>> WithGroup(std::string_view group,
                                           std::vector<GroupRoute> routes) const;

  mutable std::mutex write_mu_;  // Add and ReplaceGroup
  std::atomic<std::shared_ptr<const Table>> routes_;
};

// Splits "/a/b/" into {"a", "b"}; "/" gives {}.
std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace storeflow::http
