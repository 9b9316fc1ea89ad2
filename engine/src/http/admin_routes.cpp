#include "http/admin_routes.h"

namespace storeflow::http::admin {
namespace {

// The next '/'-separated segment of `text` (which is consumed up to it).
std::string_view NextSegment(std::string_view& text) {
  const auto slash = text.find('/');
  std::string_view segment = text.substr(0, slash);
  text = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
  return segment;
}

}  // namespace

const std::vector<Route>& Routes() {
  static const std::vector<Route> routes = {
      {"GET", "/api/v1/workflows", ListWorkflows},
      {"POST", "/api/v1/workflows/reload", ReloadWorkflows},
      {"GET", "/api/v1/workflows/{name}", ShowWorkflow},
      {"GET", "/api/v1/runs", ListRuns},
      {"GET", "/api/v1/runs/{id}", ShowRun},
      {"POST", "/api/v1/runs/{id}/cancel", CancelRun},
      {"POST", "/api/v1/runs/{id}/retry", RetryRun},
      {"GET", "/api/v1/dead-letters", ListDeadLetters},
      {"POST", "/api/v1/dead-letters/retry", RetryDeadLetters},
      {"POST", "/api/v1/dead-letters/discard", DiscardDeadLetters},
      {"GET", "/api/v1/dead-letters/{id}", ShowDeadLetter},
      {"POST", "/api/v1/dead-letters/{id}/retry", RetryDeadLetter},
      {"POST", "/api/v1/dead-letters/{id}/discard", DiscardDeadLetter},
      {"GET", "/api/v1/events", ListEvents},
      {"GET", "/api/v1/events/{id}", ShowEvent},
      {"POST", "/api/v1/events/{id}/replay", ReplayEvent},
      {"GET", "/api/v1/records/{collection}", ListRecords},
      {"POST", "/api/v1/reconciliations", StartReconciliation},
      {"GET", "/api/v1/reconciliations", ListReconciliations},
      {"GET", "/api/v1/reconciliations/{id}", ShowReconciliation},
      {"GET", "/api/v1/health/sync", ShowSyncHealth},
      {"GET", "/api/v1/clock", ShowClock},
      {"POST", "/api/v1/clock/advance", AdvanceClock},
      {"GET", "/api/v1/records/{collection}/{key*}", ShowRecord},
  };
  return routes;
}

bool MatchPath(std::string_view pattern, std::string_view path,
               std::map<std::string, std::string>* params) {
  if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
  pattern.remove_prefix(1);
  path.remove_prefix(1);
  std::map<std::string, std::string> found;
  bool path_done = false;
  while (!pattern.empty()) {
    const std::string_view want = NextSegment(pattern);
    if (path_done) return false;
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      std::string_view name = want.substr(1, want.size() - 2);
      if (name.back() == '*') {
        if (path.empty()) return false;
        name.remove_suffix(1);
        found[std::string(name)] = std::string(path);
        path = std::string_view();
        path_done = true;
        continue;
      }
      const bool last = path.find('/') == std::string_view::npos;
      const std::string_view got = NextSegment(path);
      if (got.empty()) return false;
      found[std::string(name)] = std::string(got);
      path_done = last;
      continue;
    }
    const bool last = path.find('/') == std::string_view::npos;
    if (NextSegment(path) != want) return false;
    path_done = last;
  }
  if (!path_done) return false;
  if (params != nullptr) *params = std::move(found);
  return true;
}

}  // namespace storeflow::http::admin
