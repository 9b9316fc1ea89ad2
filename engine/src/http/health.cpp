#include "http/health.h"

#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "http/admin_auth.h"

namespace storeflow::http {
namespace {

// The store the scrape-time gauges read. One process-wide collector is
// registered once (the registry cannot forget one) and reads whichever store
// is current; the mutex also keeps a store from going away mid-scrape.
std::mutex g_store_mu;
store::Store* g_store = nullptr;

void CollectStoreGauges(metrics::Registry& registry) {
  std::lock_guard lock(g_store_mu);
  if (g_store == nullptr) return;
  auto tx = g_store->Begin();
  if (!tx.ok()) {
    registry.GaugeSet("storeflow_store_up", {}, 0);
    return;
  }
  // Runs in flight and dead letters only: they stay few, while ended runs pile up
  // until retention deletes them (the *_total counters count those).
  using store::RunStatus;
  const std::vector<RunStatus> counted = {RunStatus::kQueued,  RunStatus::kReady,
                                          RunStatus::kRunning, RunStatus::kSleeping,
                                          RunStatus::kWaiting, RunStatus::kFailed};
  auto counts = (*tx)->CountRunsByStatus(counted);
  if (!counts.ok()) {
    registry.GaugeSet("storeflow_store_up", {}, 0);
    return;
  }
  registry.GaugeSet("storeflow_store_up", {}, 1);
  auto count = [&](RunStatus s) {
    auto it = counts->find(s);
    return it == counts->end() ? 0.0 : static_cast<double>(it->second);
  };
  for (RunStatus s : counted) {
    registry.GaugeSet("storeflow_runs", {{"status", std::string(store::RunStatusName(s))}},
                      count(s));
  }
  registry.GaugeSet("storeflow_queue_depth", {},
                    count(RunStatus::kReady) + count(RunStatus::kQueued));
  registry.GaugeSet("storeflow_dead_letters", {}, count(RunStatus::kFailed));
}

}  // namespace

void DescribeEngineMetrics() {
  using metrics::Type;
  auto& r = metrics::Registry::Default();
  r.Describe("storeflow_webhooks_received_total", Type::kCounter,
             "Webhook deliveries received, by source.");
  r.Describe("storeflow_webhooks_duplicate_total", Type::kCounter,
             "Webhook deliveries answered as duplicates (nothing stored), by source.");
  r.Describe("storeflow_webhooks_rejected_total", Type::kCounter,
             "Webhook deliveries refused, by source and reason.");
  r.Describe("storeflow_http_requests_total", Type::kCounter,
             "HTTP requests by method, route pattern and status.");
  r.Describe("storeflow_http_request_duration_seconds", Type::kHistogram,
             "HTTP request handling time by route pattern.");
  r.Describe("storeflow_http_connections", Type::kGauge, "Open HTTP connections.");
  r.Describe("storeflow_http_connections_refused_total", Type::kCounter,
             "HTTP connections accepted and closed at once, by reason (max_connections, "
             "per_client, fd_limit).");
  r.Describe("storeflow_http_connections_timed_out_total", Type::kCounter,
             "HTTP connections closed by a deadline, by phase (idle, head, body, write).");
  r.Describe("storeflow_http_queue_full_total", Type::kCounter,
             "Requests answered 503 because their route class's queue was full, by class.");
  r.Describe("storeflow_runs_started_total", Type::kCounter,
             "Runs taken up for the first time, by workflow.");
  r.Describe("storeflow_runs_completed_total", Type::kCounter, "Runs completed, by workflow.");
  r.Describe("storeflow_runs_failed_total", Type::kCounter,
             "Runs failed (dead letters), by workflow.");
  r.Describe("storeflow_runs_rejected_total", Type::kCounter,
             "Runs rejected by input.schema, by workflow.");
  r.Describe("storeflow_step_duration_seconds", Type::kHistogram,
             "Step execution time by action (uses) or step kind.");
  r.Describe("storeflow_timer_lateness_seconds", Type::kHistogram,
             "How long after its due time a run was taken up by a worker.");
  r.Describe("storeflow_runs", Type::kGauge,
             "Runs in flight and dead letters in the store, by status (read when scraped).");
  r.Describe("storeflow_queue_depth", Type::kGauge, "Runs ready or queued (read when scraped).");
  r.Describe("storeflow_dead_letters", Type::kGauge, "Failed runs in the dead-letter list.");
  r.Describe("storeflow_store_up", Type::kGauge, "1 when the store answered the last scrape.");
  static std::once_flag once;
  std::call_once(once, [] { metrics::Registry::Default().AddCollector(CollectStoreGauges); });
}

HealthEndpoints::HealthEndpoints(store::Store& store, HealthOptions options)
    : store_(store), options_(std::move(options)) {
  std::erase_if(options_.metrics_tokens, [](const std::string& t) { return t.empty(); });
  DescribeEngineMetrics();
  std::lock_guard lock(g_store_mu);
  g_store = &store_;
}

HealthEndpoints::~HealthEndpoints() {
  std::lock_guard lock(g_store_mu);
  if (g_store == &store_) g_store = nullptr;
}

Status HealthEndpoints::Register(Router& router) {
  STOREFLOW_RETURN_IF_ERROR(router.Add("GET", "/healthz", [](Request&) {
    return Response::JsonBody(200, {{"status", "ok"}});
  }));
  STOREFLOW_RETURN_IF_ERROR(
      router.Add("GET", "/readyz", [this](Request& request) { return Ready(request); }));
  return router.Add("GET", "/metrics", [this](Request& request) { return Metrics(request); });
}

Response HealthEndpoints::Metrics(const Request& request) const {
  if (!options_.metrics_tokens.empty()) {
    // Any of the tokens; the first refusal is the answer (401 + WWW-Authenticate).
    std::optional<Response> denied;
    for (const std::string& token : options_.metrics_tokens) {
      auto refused = CheckBearerToken(request, token);
      if (!refused) {
        denied.reset();
        break;
      }
      if (!denied) denied = std::move(refused);
    }
    if (denied) return *denied;
  }
  Response response;
  response.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  response.body = metrics::Registry::Default().Render();
  return response;
}

Response HealthEndpoints::Ready(const Request& request) {
  auto version = store_.SchemaVersion();
  if (!version.ok()) {
    return OpaqueError(503, "not_ready", "the store is not reachable", request,
                       version.status().ToString(), options_.log);
  }
  const int latest = store::Store::LatestSchemaVersion();
  if (*version != latest) {
    return Response::Error(503, "not_ready",
                           "the store's schema is version " + std::to_string(*version) +
                               "; this build needs " + std::to_string(latest));
  }
  return Response::JsonBody(200, {{"status", "ready"},
                                  {"store", std::string(store_.backend())},
                                  {"schema_version", *version}});
}

}  // namespace storeflow::http
