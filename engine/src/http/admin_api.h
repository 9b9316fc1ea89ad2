#pragma once

// The admin API (/api/v1): workflows, runs, dead letters, events and records of
// one engine, as JSON over HTTP with a bearer token. Self-contained: the server
// forwards every request under /api/v1 to Handle, which refuses cross-origin
// state-changing requests (http/admin_origin.h), authenticates, routes
// (404 unknown path, 405 + Allow for a wrong method) and answers. Thread-safe.
// The reference is docs/openapi.yaml (a test keeps it in step with Routes()).

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/http_message.h"
#include "runtime/engine.h"
#include "runtime/sync_health.h"
#include "store/store.h"

namespace storeflow::http {

class Router;

struct AdminApiOptions {
  // The bearer token callers must send. Empty turns authentication off: serve
  // the API that way only when CheckAdminExposure (http/admin_auth.h) allows it.
  std::string token;
  int default_page_size = 50;
  int max_page_size = 500;
  // The thresholds of GET /api/v1/health/sync.
  runtime::SyncHealthOptions sync_health;
  // POST /api/v1/workflows/reload: reloads the workflows and answers with the
  // HTTP status and JSON body it gives (app/workflow_reload.h). Unset: 503.
  std::function<std::pair<int, nlohmann::json>()> reload;
};

class AdminApi {
 public:
  static constexpr std::string_view kPrefix = "/api/v1";

  AdminApi(store::Store& store, runtime::Engine& engine, AdminApiOptions options);

  // Answers any request whose path is under kPrefix.
  Response Handle(const Request& request) const;

  // Whether `path` belongs to this API (kPrefix itself or below it).
  static bool Serves(std::string_view path);
  // Every (method, path pattern) it serves, e.g. ("GET", "/api/v1/runs/{id}").
  static std::vector<std::pair<std::string, std::string>> Routes();

  // For a server that routes by pattern rather than forwarding the prefix:
  // adds every route to `router`, each calling Handle (which authenticates and
  // matches again). A record key may span up to kMaxKeySegments segments there
  // (keys with '/'); forwarding every path under kPrefix to Handle has no such
  // limit and also answers unknown /api/v1 paths with 401 before 404.
  static constexpr int kMaxKeySegments = 8;
  Status Register(Router& router) const;

 private:
  store::Store& store_;
  runtime::Engine& engine_;
  AdminApiOptions options_;
};

}  // namespace storeflow::http
