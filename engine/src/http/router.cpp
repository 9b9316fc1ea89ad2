#include "http/router.h"

#include <algorithm>
#include <set>

namespace storeflow::http {
namespace {

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

constexpr std::string_view kRestMark = "...";

// "{name...}": the rest of the path.
bool IsRestParam(std::string_view segment) {
  return IsParam(segment) && segment.size() > 2 + kRestMark.size() &&
         segment.substr(segment.size() - 1 - kRestMark.size(), kRestMark.size()) == kRestMark;
}

// The name of "{name}" or "{name...}".
std::string ParamName(std::string_view segment) {
  const std::size_t trim = IsRestParam(segment) ? kRestMark.size() : 0;
  return std::string(segment.substr(1, segment.size() - 2 - trim));
}

bool ValidMethod(std::string_view method) {
  if (method.empty()) return false;
  return std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end;
  }
  return out;
}

Router::Router() : routes_(std::make_shared<const Table>()) {}

Result<Router::Route> Router::MakeRoute(std::string_view method, std::string_view pattern,
                                        Handler handler) {
  if (!ValidMethod(method)) {
    return InvalidArgument("route method must be upper-case letters, got '" + std::string(method) +
                           "'");
  }
  if (pattern.empty() || pattern.front() != '/') {
    return InvalidArgument("route pattern must start with '/', got '" + std::string(pattern) + "'");
  }
  Route route;
  route.method = std::string(method);
  route.pattern = std::string(pattern);
  std::set<std::string, std::less<>> names;
  for (std::string_view segment : SplitPath(pattern)) {
    const bool param = IsParam(segment);
    if (!param && segment.find_first_of("{}") != std::string_view::npos) {
      return InvalidArgument("route pattern '" + route.pattern +
                             "': a parameter is a whole segment like {name}");
    }
    if (route.rest) {
      return InvalidArgument("route pattern '" + route.pattern +
                             "': {name...} must be the last segment");
    }
    if (param && !names.insert(ParamName(segment)).second) {
      return InvalidArgument("route pattern '" + route.pattern + "' repeats " +
                             std::string(segment));
    }
    route.rest = IsRestParam(segment);
    route.segments.emplace_back(segment);
  }
  route.handler = std::move(handler);
  return route;
}

Status Router::CheckFree(const Route& route, const Table& table) {
  for (const Route& other : table) {
    if (other.method != route.method || other.segments.size() != route.segments.size() ||
        other.rest != route.rest) {
      continue;
    }
    bool same = true;
    for (std::size_t i = 0; i < route.segments.size() && same; ++i) {
      const bool a = IsParam(other.segments[i]);
      const bool b = IsParam(route.segments[i]);
      same = a == b && (a || other.segments[i] == route.segments[i]);
    }
    if (same) {
      return {StatusCode::kAlreadyExists,
              route.method + " " + route.pattern + " is already routed (as " + other.pattern + ")"};
    }
  }
  return Status::Ok();
}

Status Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  auto route = MakeRoute(method, pattern, std::move(handler));
  if (!route.ok()) return route.status();
  std::lock_guard lock(write_mu_);
  std::shared_ptr<const Table> current = routes_.load();
  STOREFLOW_RETURN_IF_ERROR(CheckFree(*route, *current));
  auto next = std::make_shared<Table>(*current);
  next->push_back(std::move(route).value());
  routes_.store(std::move(next));
  return Status::Ok();
}

Status Router::ReplaceGroup(std::string_view group, std::vector<GroupRoute> routes) {
  std::lock_guard lock(write_mu_);
  auto next = WithGroup(group, std::move(routes));
  if (!next.ok()) return next.status();
  routes_.store(std::move(next).value());
  return Status::Ok();
}

Status Router::CheckGroup(std::string_view group, const std::vector<GroupRoute>& routes) const {
  std::lock_guard lock(write_mu_);
  return WithGroup(group, routes).status();
}

Result<std::shared_ptr<Router::Table>> Router::WithGroup(std::string_view group,
                                                         std::vector<GroupRoute> routes) const {
  std::shared_ptr<const Table> current = routes_.load();
  auto next = std::make_shared<Table>();
  for (const Route& route : *current) {
    if (route.group != group) next->push_back(route);
  }
  for (GroupRoute& spec : routes) {
    auto route = MakeRoute(spec.method, spec.pattern, std::move(spec.handler));
    if (!route.ok()) return route.status();
    route->group = std::string(group);
    Status free = CheckFree(*route, *next);
    if (!free.ok()) {
      if (spec.unless_routed && free.code() == StatusCode::kAlreadyExists) continue;
      return free;
    }
    next->push_back(std::move(route).value());
  }
  return next;
}

bool Router::Matches(const Route& route, const std::vector<std::string_view>& path) {
  const std::size_t fixed = route.rest ? route.segments.size() - 1 : route.segments.size();
  if (route.rest ? path.size() < fixed : path.size() != fixed) return false;
  for (std::size_t i = 0; i < fixed; ++i) {
    if (IsParam(route.segments[i])) {
      if (path[i].empty()) return false;
    } else if (route.segments[i] != path[i]) {
      return false;
    }
  }
  return true;
}

bool Router::MoreSpecific(const Route& a, const Route& b, std::size_t length) {
  // Literal segments, leftmost first (a `{name...}` covers the rest with
  // parameters): the first position where they differ decides.
  auto literal = [](const Route& r, std::size_t i) {
    return i < r.segments.size() && !IsParam(r.segments[i]);
  };
  for (std::size_t i = 0; i < length; ++i) {
    if (literal(a, i) != literal(b, i)) return literal(a, i);
  }
  return !a.rest && b.rest;
}

Response Router::Dispatch(Request& request, std::string* route_label) const {
  const std::vector<std::string_view> path = SplitPath(request.path);
  const Route* best = nullptr;
  const Route* best_any_method = nullptr;
  std::set<std::string> allowed;
  // The handler runs with this snapshot held: a group replaced meanwhile stays
  // alive until the request is answered.
  const std::shared_ptr<const Table> routes = routes_.load();
  for (const Route& route : *routes) {
    if (!Matches(route, path)) continue;
    allowed.insert(route.method);
    if (best_any_method == nullptr || MoreSpecific(route, *best_any_method, path.size())) {
      best_any_method = &route;
    }
    if (route.method != request.method) continue;
    if (best == nullptr || MoreSpecific(route, *best, path.size())) best = &route;
  }
  if (best == nullptr) {
    if (route_label != nullptr) {
      *route_label = best_any_method != nullptr ? best_any_method->pattern : "unmatched";
    }
    if (allowed.empty()) {
      return Response::Error(404, "not_found", "no route for " + request.path);
    }
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    return Response::Error(
               405, "method_not_allowed",
               request.method + " is not allowed on " + request.path + " (allowed: " + allow + ")")
        .WithHeader("Allow", allow);
  }
  if (route_label != nullptr) *route_label = best->pattern;
  request.path_params.clear();
  const std::size_t fixed = best->rest ? best->segments.size() - 1 : best->segments.size();
  for (std::size_t i = 0; i < fixed; ++i) {
    const std::string& segment = best->segments[i];
    if (IsParam(segment)) request.path_params[ParamName(segment)] = std::string(path[i]);
  }
  if (best->rest) {
    std::string rest;
    for (std::size_t i = fixed; i < path.size(); ++i) {
      if (!rest.empty()) rest += '/';
      rest += path[i];
    }
    request.path_params[ParamName(best->segments.back())] = std::move(rest);
  }
  return best->handler(request);
}

}  // namespace storeflow::http
