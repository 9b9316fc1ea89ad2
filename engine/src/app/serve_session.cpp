#include "app/serve_session.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "app/commands.h"
#include "app/plugin_setup.h"
#include "http/admin_api.h"
#include "http/admin_auth.h"
#include "http/hmac_source.h"
#include "http/server.h"
#include "http/shopify_source.h"
#include "http/surface.h"
#include "plugin/source_publisher.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/engine.h"
#include "runtime/retention.h"
#include "runtime/sync_health_monitor.h"
#include "runtime/workflow_config.h"
#include "store/store.h"

namespace storeflow::app {
namespace {

// The webhook sources of the configuration: `shopify` when it has secrets, and
// the generic ones of webhooks.sources.
Result<http::WebhookSources> BuildWebhookSources(const WebhookConfig& config) {
  http::WebhookSources sources;
  if (!config.shopify_secrets.empty()) {
    http::ShopifySourceOptions shopify;
    shopify.max_age = config.shopify_max_age;
    STOREFLOW_RETURN_IF_ERROR(sources.Add(
        std::make_unique<http::ShopifySource>(config.shopify_secrets, std::move(shopify))));
  }
  auto generic =
      http::ParseHmacSources(config.sources, [](const char* name) { return std::getenv(name); });
  if (!generic.ok()) return generic.status();
  for (auto& source : *generic) {
    STOREFLOW_RETURN_IF_ERROR(sources.Add(std::make_unique<http::HmacSource>(std::move(source))));
  }
  return sources;
}

}  // namespace

// Declared in the order they are built; destroyed in reverse (the surface before
// the engine before the plugins before the store).
struct ServeSession::Parts {
  ServeOptions options;
  std::unique_ptr<store::Store> store;
  runtime::SystemClock system_clock;
  std::unique_ptr<runtime::Clock> test_clock;  // --clock virtual | manual
  runtime::ActionRegistry actions;
  std::unique_ptr<PluginSetup> plugins;
  std::unique_ptr<runtime::Engine> engine;
  std::unique_ptr<WorkflowReloader> reloader;
  std::unique_ptr<runtime::RetentionJanitor> janitor;
  std::unique_ptr<runtime::DeadLetterRedriver> redriver;
  std::unique_ptr<runtime::SyncHealthMonitor> health;
  std::unique_ptr<http::AdminApi> admin;
  std::unique_ptr<http::Surface> surface;
  // With admin.listen: the admin API's own router and listener.
  std::unique_ptr<http::Router> admin_router;
  std::unique_ptr<http::Server> admin_server;
  std::string admin_host;
  std::string host;
  std::string summary;
  bool engine_started = false;
  bool stopped = false;
};

ServeSession::ServeSession(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

ServeSession::~ServeSession() {
  Stop();
}

const std::string& ServeSession::host() const {
  return parts_->host;
}
std::uint16_t ServeSession::port() const {
  return parts_->surface ? parts_->surface->port() : 0;
}
std::uint16_t ServeSession::admin_port() const {
  return parts_->admin_server ? parts_->admin_server->port() : 0;
}
store::Store& ServeSession::store() {
  return *parts_->store;
}
const std::string& ServeSession::summary() const {
  return parts_->summary;
}

ReloadReport ServeSession::Reload() {
  return parts_->reloader->Reload();
}

void ServeSession::Stop() {
  if (!parts_ || parts_->stopped) return;
  parts_->stopped = true;
  // A reload in progress finishes first (it may restart the event sources).
  if (parts_->reloader) parts_->reloader->Shutdown();
  // The plugin event sources first (they publish through the surface's
  // committer); then stop accepting and finish the requests in flight (they need
  // the engine's store and committer), then the workers.
  if (parts_->plugins && parts_->plugins->host) parts_->plugins->host->StopSources();
  if (parts_->admin_server) parts_->admin_server->Stop();
  if (parts_->surface) parts_->surface->Stop();
  if (parts_->janitor) parts_->janitor->Stop();
  if (parts_->redriver) parts_->redriver->Stop();
  if (parts_->health) parts_->health->Stop();
  if (parts_->engine && parts_->engine_started) parts_->engine->Stop(parts_->options.drain);
  // The engine goes before the plugins: they must not reach its catalog after.
  if (parts_->plugins && parts_->plugins->host) parts_->plugins->host->SetWorkflowTopics(nullptr);
}

Result<std::unique_ptr<ServeSession>> ServeSession::Start(ServeOptions options) {
  auto parts = std::make_unique<Parts>();
  parts->options = std::move(options);
  Parts& p = *parts;
  const ServeOptions& o = p.options;
  auto log = o.log ? o.log : [](std::string_view) {};

  STOREFLOW_RETURN_IF_ERROR(o.config.retention.Check());
  STOREFLOW_RETURN_IF_ERROR(runtime::CheckSyncHealthOptions(o.config.sync_health));
  auto store = OpenCommandStore(o.db);
  if (!store.ok()) return store.status();
  p.store = std::move(store).value();
  const runtime::TimeMs start = o.clock_start.value_or(p.system_clock.Now());
  if (o.clock == "virtual") p.test_clock = std::make_unique<runtime::VirtualClock>(start);
  if (o.clock == "manual") p.test_clock = std::make_unique<runtime::ManualClock>(start);
  runtime::Clock& clock = p.test_clock ? *p.test_clock : p.system_clock;

  runtime::EngineOptions engine_options;
  engine_options.workers = o.workers;
  engine_options.schedules = true;
  engine_options.executor.lease = o.lease;
  engine_options.script_root = o.script_root;
  engine_options.lua = o.config.lua;
  engine_options.executor.log = [log](std::string_view level, std::string_view message) {
    std::string line = "[";  // appended, not `+`: GCC 12 warns falsely (-Wrestrict) on that
    line.append(level).append("] ").append(message);
    log(line);
  };
  auto plugins =
      SetUpPlugins(o.config, p.actions, {p.store.get(), &clock, engine_options.executor.log});
  if (!plugins.ok()) return plugins.status();
  p.plugins = std::move(plugins).value();
  engine_options.executor.secrets = p.plugins->secrets;
  p.engine = std::make_unique<runtime::Engine>(*p.store, clock, p.actions, engine_options);
  p.engine->catalog().set_action_check(p.plugins->action_check());
  p.engine->catalog().set_config_overrides(o.config.workflows);
  for (const std::string& warning : runtime::WorkflowConfigEnvWarnings(o.config.workflows)) {
    log("[warn] " + warning);
  }
  p.engine->catalog().set_secret_check([secrets = p.plugins->secrets](const std::string& name) {
    return secrets != nullptr && secrets->Find(name) != nullptr;
  });
  p.engine->catalog().set_source_check(p.plugins->source_check());

  // The workflows (and the rule scripts they pin): all of them valid, or none
  // loaded; reloads (SIGHUP, the admin API) go through the same checks.
  ReloadTargets reload_targets;
  reload_targets.engine = p.engine.get();
  reload_targets.workflows_dir = o.workflows_dir;
  reload_targets.plugins = p.plugins->host.get();
  reload_targets.config_file = o.config_file;
  reload_targets.log = log;
  p.reloader = std::make_unique<WorkflowReloader>(std::move(reload_targets));
  STOREFLOW_RETURN_IF_ERROR(p.reloader->LoadInitial());
  // Host service source_topics (ABI 1.2): what the loaded workflows listen to.
  p.plugins->host->SetWorkflowTopics([engine = p.engine.get()](const std::string& source) {
    return engine->catalog().SourceTopics(source);
  });

  http::SurfaceOptions http_options;
  STOREFLOW_RETURN_IF_ERROR(
      http::ParseListen(o.listen.value_or(o.config.http.listen), http_options.server));
  http_options.server.body_limit = o.config.http.body_limit;
  http_options.server.threads = o.config.http.threads;
  http_options.server.header_timeout = o.config.http.header_timeout;
  http_options.server.body_timeout = o.config.http.body_timeout;
  http_options.server.keep_alive_timeout = o.config.http.keep_alive_timeout;
  http_options.server.max_keep_alive_requests = o.config.http.max_keep_alive_requests;
  http_options.server.max_connections = o.config.http.max_connections;
  http_options.server.max_connections_per_client = o.config.http.max_connections_per_client;
  http_options.server.webhook_pool = {o.config.http.webhook_workers, o.config.http.webhook_queue};
  http_options.server.admin_pool = {o.config.http.admin_workers, o.config.http.admin_queue};
  http_options.server.rest_pool = {o.config.http.rest_workers, o.config.http.rest_queue};
  http_options.server.error_log = [log](const std::string& line) { log(line); };
  http_options.server.shutdown_grace = o.config.http.shutdown_grace;
  if (o.config.http.access_log) {
    http_options.server.access_log = [log](const std::string& line) { log("[access] " + line); };
  }
  http_options.statics = o.config.http.statics;
  http_options.rest.response_timeout = o.config.http.response_timeout;
  http_options.rest.secrets = p.plugins->secrets;
  if (!o.config.http.cors_allowed_origins.empty()) {
    workflow::HttpCors cors;
    cors.allowed_origins = o.config.http.cors_allowed_origins;
    cors.allowed_methods = o.config.http.cors_allowed_methods;
    cors.allowed_headers = o.config.http.cors_allowed_headers;
    cors.max_age_s = o.config.http.cors_max_age_s;
    http_options.rest.cors = std::move(cors);
  }
  http_options.group_commit.commit_timeout = o.config.http.commit_timeout;
  http_options.health.metrics_tokens = {o.config.metrics.token, o.config.admin.token};
  http_options.log = engine_options.executor.log;
  http_options.group_commit.max_batch = o.config.webhooks.batch_max;
  http_options.group_commit.committers = o.config.webhooks.committers;
  http_options.ingress.replay = o.config.webhooks.replay_dedupe;
  auto webhook_sources = BuildWebhookSources(o.config.webhooks);
  if (!webhook_sources.ok()) return webhook_sources.status();
  p.host = http_options.server.host;

  // The admin API: with a token, or without one in dev mode on loopback only;
  // on http.listen, or on a listener of its own (admin.listen).
  http::ServerOptions admin_server = http_options.server;
  if (!o.config.admin.listen.empty()) {
    STOREFLOW_RETURN_IF_ERROR(
        http::ParseListen(o.config.admin.listen, admin_server).WithContext("admin.listen"));
  }
  Status exposure = http::CheckAdminExposure(admin_server.host, o.config.admin.token, o.dev);
  p.surface = std::make_unique<http::Surface>(*p.engine, std::move(*webhook_sources),
                                              std::move(http_options));
  p.reloader->set_surface(p.surface.get());
  if (exposure.ok()) {
    http::AdminApiOptions admin_options{o.config.admin.token};
    admin_options.sync_health = o.config.sync_health;
    admin_options.reload = [reloader = p.reloader.get()] {
      ReloadReport report = reloader->Reload();
      return std::make_pair(report.http_status(), report.ToJson());
    };
    p.admin = std::make_unique<http::AdminApi>(*p.store, *p.engine, std::move(admin_options));
    if (o.config.admin.listen.empty()) {
      STOREFLOW_RETURN_IF_ERROR(p.admin->Register(p.surface->router()));
    } else {
      p.admin_router = std::make_unique<http::Router>();
      STOREFLOW_RETURN_IF_ERROR(p.admin->Register(*p.admin_router));
      p.admin_server = std::make_unique<http::Server>(*p.admin_router, admin_server);
      p.admin_host = admin_server.host;
    }
  } else if (o.dev) {
    return exposure;  // --dev asked for it, on an address where it is refused
  } else if (clock.is_manual()) {
    return FailedPrecondition("--clock manual needs the admin API, which moves it: " +
                              exposure.message());
  } else {
    log("[warn] admin API off: " + exposure.message());
  }

  p.engine->Start();
  p.engine_started = true;
  p.janitor = std::make_unique<runtime::RetentionJanitor>(*p.store, clock, o.config.retention,
                                                          engine_options.executor.log);
  p.janitor->Start();
  p.redriver = std::make_unique<runtime::DeadLetterRedriver>(*p.store, clock, o.config.redrive,
                                                             engine_options.executor.log);
  p.redriver->Start();
  p.health = std::make_unique<runtime::SyncHealthMonitor>(*p.engine, o.config.sync_health,
                                                          engine_options.executor.log);
  p.health->Start();
  auto session = std::unique_ptr<ServeSession>(new ServeSession(std::move(parts)));
  if (Status s = session->parts_->surface->Start(); !s.ok()) {
    session->Stop();
    return s;
  }
  if (session->parts_->admin_server) {
    if (Status s = session->parts_->admin_server->Start(); !s.ok()) {
      session->Stop();
      return s.WithContext("admin.listen");
    }
  }
  // The plugin event sources the workflows' `queue:` triggers listen to (ABI
  // 1.3), committing through the webhooks' group committer.
  if (auto wanted = session->parts_->engine->catalog().QueueTopics(); !wanted.empty()) {
    Status s = session->parts_->plugins->host->StartSources(
        wanted, plugin::PublishThrough(session->parts_->surface->committer()));
    if (!s.ok()) {
      session->Stop();
      return s;
    }
  }
  session->parts_->summary =
      std::to_string(session->parts_->engine->catalog().Currents().size()) + " workflow(s) from " +
      o.workflows_dir + ", " + std::to_string(o.workers) + " worker(s), " +
      session->parts_->store->display_url() + "; admin API " +
      (!session->parts_->admin         ? std::string("off")
       : session->parts_->admin_server ? "on http://" + session->parts_->admin_host + ":" +
                                             std::to_string(session->parts_->admin_server->port())
                                       : std::string("on"));
  return session;
}

}  // namespace storeflow::app
