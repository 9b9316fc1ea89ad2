#pragma once

// The whole HTTP surface of `storeflow serve`, assembled: the router with the
// webhook ingress, the REST triggers of the loaded workflows and the health and
// metrics endpoints; the group committer both publish through; the server.
// Other parts (the admin API) add their routes through router() before Start.
// Shutdown order: Stop() stops the server (requests in flight finish), then the
// committer; the caller stops the engine afterwards.

#include <memory>

#include "http/health.h"
#include "http/rest_trigger.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static_files.h"
#include "http/webhook_ingress.h"
#include "http/webhook_source.h"
#include "runtime/engine.h"
#include "runtime/group_commit.h"

namespace storeflow::http {

struct SurfaceOptions {
  ServerOptions server;
  RestTriggerOptions rest;
  runtime::GroupCommitOptions group_commit;
  WebhookIngressOptions ingress;
  HealthOptions health;  // /metrics tokens
  // http.static: folders served under URL prefixes (GET and HEAD).
  std::vector<StaticMount> statics;
  // Where the details of errors hidden from callers go (http/caller_error.h).
  ErrorLog log;
};

class Surface {
 public:
  Surface(runtime::Engine& engine, WebhookSources sources, SurfaceOptions options);
  ~Surface();
  Surface(const Surface&) = delete;
  Surface& operator=(const Surface&) = delete;

  Router& router() { return router_; }
  // The REST triggers' routes (hot reload replaces them: RestTriggers::Install).
  RestTriggers& rest() { return rest_; }
  // The group committer webhooks publish through (plugin event sources use it
  // too); stopped by Stop.
  runtime::GroupCommitter& committer() { return committer_; }
  // Registers the built-in routes, the REST triggers and the static files, then
  // listens. A static mount whose folder is missing fails it.
  Status Start();
  std::uint16_t port() const { return server_ ? server_->port() : 0; }
  void Stop();

 private:
  WebhookSources sources_;
  SurfaceOptions options_;
  Router router_;
  runtime::GroupCommitter committer_;
  WebhookIngress ingress_;
  RestTriggers rest_;
  HealthEndpoints health_;
  std::vector<StaticFiles> statics_;  // not resized once registered (routes point at them)
  std::unique_ptr<Server> server_;
};

}  // namespace storeflow::http
