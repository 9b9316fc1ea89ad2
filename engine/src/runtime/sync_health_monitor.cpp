#include "runtime/sync_health_monitor.h"

#include <chrono>
#include <string>

#include "runtime/engine.h"

namespace storeflow::runtime {
namespace {

using Json = nlohmann::json;

constexpr char kCollection[] = "sync_health";
constexpr char kLastKey[] = "last";

std::int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

SyncHealthTransition CheckTransition(std::string_view previous, const Json& health) {
  SyncHealthTransition out;
  const std::string status = health.value("status", "ok");
  if (status != "critical" || previous == "critical") return out;
  out.alert = true;
  std::string failing;
  std::string lines;
  for (const auto& [name, check] : health["checks"].items()) {
    if (check.value("status", "ok") == "ok") continue;
    if (check.value("status", "") == "critical") failing += (failing.empty() ? "" : ", ") + name;
    lines += name + ": " + check.value("status", "") + " (value " + check["value"].dump() +
             ", warning " + check["warning"].dump() + ", critical " + check["critical"].dump() +
             ")\n";
  }
  out.event = {{"kind", "sync_health"},
               {"subject", "[storeflow] sync health critical: " + failing},
               {"text", "The sync health turned critical (it was " +
                            std::string(previous.empty() ? "unknown" : previous) + ").\n" + lines},
               {"details", health}};
  return out;
}

SyncHealthMonitor::SyncHealthMonitor(Engine& engine, SyncHealthOptions options, Log log)
    : engine_(engine), options_(std::move(options)), log_(std::move(log)) {}

SyncHealthMonitor::~SyncHealthMonitor() {
  Stop();
}

Result<Json> SyncHealthMonitor::CheckOnce() {
  store::Store& store = engine_.store();
  const store::TimeMs now = engine_.clock().Now();
  auto health = EvaluateSyncHealth(store, now, AckWindow::Default().Summary(WallNowMs()), options_);
  if (!health.ok()) return health.status();
  ExportSyncHealthGauges(*health);

  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  auto last = (*tx)->GetRecord(kCollection, kLastKey);
  if (!last.ok()) return last.status();
  const std::string previous = last->has_value() && (*last)->value.is_object()
                                   ? (*last)->value.value("status", std::string())
                                   : std::string();
  const std::string status = (*health)["status"].get<std::string>();
  if (status != previous) {
    auto put =
        (*tx)->PutRecord(kCollection, kLastKey, Json{{"status", status}, {"since", now}}, now);
    if (!put.ok()) return put.status();
  }
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());

  SyncHealthTransition transition = CheckTransition(previous, *health);
  if (transition.alert) {
    store::EventRow event;
    event.topic = "sync/alert";
    event.source = "emit";
    event.payload = std::move(transition.event);
    event.meta = {{"from", "sync_health"}};
    event.created_at = now;
    auto published = engine_.Publish(std::move(event));
    if (!published.ok()) return published.status();
    if (log_) log_("warn", "sync health: critical; the sync alert was raised");
  }
  return health;
}

void SyncHealthMonitor::Start() {
  std::lock_guard lock(mu_);
  if (options_.check_interval_ms <= 0 || thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Loop(); });
}

void SyncHealthMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SyncHealthMonitor::Loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, std::chrono::milliseconds(options_.check_interval_ms),
                         [this] { return stop_; })) {
        return;
      }
    }
    auto checked = CheckOnce();
    if (!checked.ok() && log_) log_("warn", "sync health: " + checked.status().message());
  }
}

}  // namespace storeflow::runtime
