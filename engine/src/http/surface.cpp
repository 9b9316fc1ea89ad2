#include "http/surface.h"

namespace storeflow::http {
namespace {

HealthOptions WithLog(HealthOptions options, const ErrorLog& log) {
  if (!options.log) options.log = log;
  return options;
}

}  // namespace

Surface::Surface(runtime::Engine& engine, WebhookSources sources, SurfaceOptions options)
    : sources_(std::move(sources)),
      options_(std::move(options)),
      committer_(engine, options_.group_commit),
      ingress_(sources_, committer_, options_.ingress, options_.log),
      rest_(engine, committer_, options_.rest, options_.log),
      health_(engine.store(), WithLog(options_.health, options_.log)) {}

Surface::~Surface() {
  Stop();
}

Status Surface::Start() {
  STOREFLOW_RETURN_IF_ERROR(health_.Register(router_));
  STOREFLOW_RETURN_IF_ERROR(ingress_.Register(router_));
  STOREFLOW_RETURN_IF_ERROR(rest_.Register(router_));
  auto statics = OpenStaticMounts(options_.statics);
  if (!statics.ok()) return statics.status();
  statics_ = std::move(statics).value();
  for (const StaticFiles& files : statics_) STOREFLOW_RETURN_IF_ERROR(files.Register(router_));
  server_ = std::make_unique<Server>(router_, options_.server);
  return server_->Start();
}

void Surface::Stop() {
  if (server_) server_->Stop();
  committer_.Stop();
}

}  // namespace storeflow::http
