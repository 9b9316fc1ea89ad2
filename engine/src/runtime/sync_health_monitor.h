#pragma once

// The sync-health monitor of `storeflow serve` (sync_health.check_interval): a
// thread that every interval evaluates the sync health (runtime/sync_health.h),
// sets the storeflow_sync_* gauges, and on a transition into critical publishes
// the sync alert, the internal event `sync/alert` {kind: "sync_health", subject,
// text, details} that workflows/sync-alert.yaml sends by email and/or webhook.
// The last level is kept in the record sync_health/last, so a restart while
// critical does not alert again; several engines on one database may each
// alert once for the same transition (they do not coordinate).

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "runtime/sync_health.h"

namespace storeflow::runtime {

class Clock;
class Engine;

// What a check found and whether it is a transition into critical.
struct SyncHealthTransition {
  bool alert = false;    // critical now, not critical before
  nlohmann::json event;  // the sync/alert payload when `alert`
};
// Pure: the transition from `previous` ("ok", "warning", "critical" or "" for
// none yet) to `health` (an EvaluateSyncHealth answer).
SyncHealthTransition CheckTransition(std::string_view previous, const nlohmann::json& health);

class SyncHealthMonitor {
 public:
  using Log = std::function<void(std::string_view level, std::string_view message)>;
  SyncHealthMonitor(Engine& engine, SyncHealthOptions options, Log log = {});
  ~SyncHealthMonitor();
  SyncHealthMonitor(const SyncHealthMonitor&) = delete;
  SyncHealthMonitor& operator=(const SyncHealthMonitor&) = delete;

  // One check now: evaluates, exports the gauges, alerts on a transition.
  // Returns the health.
  Result<nlohmann::json> CheckOnce();

  void Start();  // the first check one interval after Start (nothing when off)
  void Stop();   // idempotent

 private:
  void Loop();

  Engine& engine_;
  const SyncHealthOptions options_;
  const Log log_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace storeflow::runtime
