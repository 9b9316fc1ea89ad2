#pragma once

// Sync health (docs/operations.md, "Sync health"): how far the local copy of a
// Shopify shop trails, read from the store and the webhook ingress's last hour —
// order lag, webhook error rate, webhook acknowledgement latency p50/p99,
// dead-letter count and the age of the oldest, the last reconciliation's status —
// each rated ok / warning / critical by its thresholds (sync_health.* in the
// engine configuration). Served at GET /api/v1/health/sync and as Prometheus
// gauges; a transition into critical raises the sync alert (SyncHealthMonitor).

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/ack_window.h"
#include "common/result.h"
#include "store/store.h"

namespace storeflow::runtime {

enum class HealthLevel { kOk = 0, kWarning = 1, kCritical = 2 };
std::string_view HealthLevelName(HealthLevel level);

// A value at or above `critical` is critical, else at or above `warning` a
// warning; a threshold of 0 or less is off.
struct HealthThreshold {
  double warning = 0;
  double critical = 0;
};
HealthLevel LevelOf(double value, const HealthThreshold& threshold);

struct SyncHealthOptions {
  // Where the order records are and whose: keys "<shop>/<id>" (empty shop: all).
  std::string orders_collection = "shopify_orders";
  std::string shop;
  // The reconciliation workflow and the collection of its reports.
  std::string reconcile_workflow = "reconcile";
  std::string report_collection = "reconciliations";
  HealthThreshold order_lag{3600, 6 * 3600};         // seconds
  HealthThreshold webhook_error_rate{0.01, 0.05};    // share of answers that were not 2xx
  HealthThreshold webhook_ack_p50{0.5, 2};           // seconds
  HealthThreshold webhook_ack_p99{2, 10};            // seconds
  HealthThreshold dead_letters{1, 100};              // failed runs
  HealthThreshold dead_letter_age{3600, 24 * 3600};  // seconds, the oldest
  std::int64_t check_interval_ms = 60'000;           // the monitor's period (0: off)
};

// InvalidArgument naming the keys when a critical threshold is below its warning
// (both on).
Status CheckSyncHealthOptions(const SyncHealthOptions& options);

// The health now: {"status", "checked_at", "checks": {name: {"status", "value",
// "warning", "critical", ...}}}. Unavailable when the store cannot be read.
Result<nlohmann::json> EvaluateSyncHealth(store::Store& store, store::TimeMs now,
                                          const AckSummary& acks, const SyncHealthOptions& options);

// Sets the storeflow_sync_* gauges from an EvaluateSyncHealth answer.
void ExportSyncHealthGauges(const nlohmann::json& health);

}  // namespace storeflow::runtime
