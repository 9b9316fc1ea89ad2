#include "runtime/sync_health.h"

#include <algorithm>
#include <mutex>
#include <optional>

#include "common/metrics.h"
#include "runtime/dead_letters.h"
#include "script/rule_test_format.h"

namespace storeflow::runtime {
namespace {

using Json = nlohmann::json;

// The order topics whose payloads carry the order's updated_at.
constexpr const char* kOrderTopics[] = {"shopify/orders/create", "shopify/orders/updated",
                                        "shopify/orders/paid", "shopify/orders/cancelled",
                                        "shopify/orders/fulfilled"};

Json Check(HealthLevel level, const Json& value, const HealthThreshold& threshold) {
  return {{"status", std::string(HealthLevelName(level))},
          {"value", value},
          {"warning", threshold.warning},
          {"critical", threshold.critical}};
}

Json RatedCheck(double value, const HealthThreshold& threshold) {
  return Check(LevelOf(value, threshold), value, threshold);
}

// The newest updated_at (ms) among the stored order webhooks; nullopt without one.
Result<std::optional<std::int64_t>> NewestAnnouncedOrder(store::Transaction& tx,
                                                         const std::string& shop) {
  std::optional<std::int64_t> newest;
  for (const char* topic : kOrderTopics) {
    store::EventFilter filter;
    filter.topic = topic;
    filter.limit = 20;  // the newest few: one of another shop does not hide ours
    auto events = tx.ListEvents(filter);
    if (!events.ok()) return events.status();
    for (const store::EventRow& event : *events) {
      if (!shop.empty() && event.meta.value("shop_domain", Json("")) != Json(shop)) continue;
      const Json* updated = event.payload.is_object() && event.payload.contains("updated_at")
                                ? &event.payload["updated_at"]
                                : nullptr;
      if (updated == nullptr || !updated->is_string()) continue;
      auto ms = script::ParseTimestampMs(updated->get<std::string>());
      if (ms.ok()) newest = std::max(newest.value_or(*ms), *ms);
      break;  // newest first: the first readable one of this topic is its newest
    }
  }
  return newest;
}

}  // namespace

std::string_view HealthLevelName(HealthLevel level) {
  switch (level) {
    case HealthLevel::kOk: return "ok";
    case HealthLevel::kWarning: return "warning";
    case HealthLevel::kCritical: return "critical";
  }
  return "ok";
}

HealthLevel LevelOf(double value, const HealthThreshold& threshold) {
  if (threshold.critical > 0 && value >= threshold.critical) return HealthLevel::kCritical;
  if (threshold.warning > 0 && value >= threshold.warning) return HealthLevel::kWarning;
  return HealthLevel::kOk;
}

Status CheckSyncHealthOptions(const SyncHealthOptions& options) {
  const std::pair<const char*, const HealthThreshold*> checks[] = {
      {"order_lag", &options.order_lag},
      {"webhook_error_rate", &options.webhook_error_rate},
      {"webhook_ack_p50", &options.webhook_ack_p50},
      {"webhook_ack_p99", &options.webhook_ack_p99},
      {"dead_letters", &options.dead_letters},
      {"dead_letter_age", &options.dead_letter_age}};
  for (const auto& [name, t] : checks) {
    if (t->warning > 0 && t->critical > 0 && t->critical < t->warning) {
      return InvalidArgument(std::string("sync_health.") + name + "_critical must not be below " +
                             "sync_health." + name + "_warning");
    }
  }
  return Status::Ok();
}

Result<Json> EvaluateSyncHealth(store::Store& store, store::TimeMs now, const AckSummary& acks,
                                const SyncHealthOptions& options) {
  auto tx = store.BeginRead();
  if (!tx.ok()) return tx.status();
  Json checks = Json::object();

  // Order lag: the newest order Shopify announced by webhook against the newest
  // local order record (both by updated_at).
  const std::string prefix = options.shop.empty() ? "" : options.shop + "/";
  auto local = (*tx)->CountRecords(options.orders_collection, prefix, std::nullopt, std::nullopt);
  if (!local.ok()) return local.status();
  auto announced = NewestAnnouncedOrder(**tx, options.shop);
  if (!announced.ok()) return announced.status();
  {
    std::optional<double> lag;
    if (*announced && local->max_version) {
      lag = std::max<std::int64_t>(0, **announced - *local->max_version) / 1000.0;
    } else if (*announced) {
      lag = std::max<std::int64_t>(0, now - **announced) / 1000.0;  // none stored yet
    }
    Json check = lag ? RatedCheck(*lag, options.order_lag)
                     : Check(HealthLevel::kOk, Json(), options.order_lag);
    check["unit"] = "seconds";
    check["newest_local_ms"] = local->max_version ? Json(*local->max_version) : Json();
    check["newest_shopify_ms"] = *announced ? Json(**announced) : Json();
    checks["order_lag"] = std::move(check);
  }

  // The webhook ingress's last hour.
  {
    Json rate = RatedCheck(acks.error_rate, options.webhook_error_rate);
    rate["requests"] = acks.requests;
    rate["errors"] = acks.errors;
    checks["webhook_error_rate"] = std::move(rate);
    Json p50 = acks.requests > 0 ? RatedCheck(acks.p50_ms / 1000.0, options.webhook_ack_p50)
                                 : Check(HealthLevel::kOk, Json(), options.webhook_ack_p50);
    Json p99 = acks.requests > 0 ? RatedCheck(acks.p99_ms / 1000.0, options.webhook_ack_p99)
                                 : Check(HealthLevel::kOk, Json(), options.webhook_ack_p99);
    p50["unit"] = p99["unit"] = "seconds";
    checks["webhook_ack_p50"] = std::move(p50);
    checks["webhook_ack_p99"] = std::move(p99);
  }

  // Dead letters: how many, and how long the oldest has waited.
  auto counts = (*tx)->CountRunsByStatus({store::RunStatus::kFailed});
  if (!counts.ok()) return counts.status();
  const std::int64_t dead =
      counts->count(store::RunStatus::kFailed) ? counts->at(store::RunStatus::kFailed) : 0;
  checks["dead_letters"] = RatedCheck(static_cast<double>(dead), options.dead_letters);
  std::optional<store::TimeMs> oldest;
  if (dead > 0) {
    store::RunFilter filter;
    filter.status = store::RunStatus::kFailed;
    filter.limit = 500;
    for (int page = 0; page < 20; ++page) {  // newest first: the oldest is on the last page
      auto runs = (*tx)->ListRuns(filter);
      if (!runs.ok()) return runs.status();
      for (const store::RunRow& run : *runs) {
        const store::TimeMs since = run.finished_at.value_or(run.updated_at);
        oldest = std::min(oldest.value_or(since), since);
      }
      if (runs->size() < static_cast<std::size_t>(filter.limit)) break;
      filter.before_id = runs->back().id;
    }
  }
  {
    Json age = oldest ? RatedCheck(std::max<std::int64_t>(0, now - *oldest) / 1000.0,
                                   options.dead_letter_age)
                      : Check(HealthLevel::kOk, Json(), options.dead_letter_age);
    age["unit"] = "seconds";
    checks["dead_letter_age"] = std::move(age);
  }

  // The newest reconciliation that wrote a report.
  {
    store::RunFilter filter;
    filter.workflow = options.reconcile_workflow;
    filter.limit = 10;
    auto runs = (*tx)->ListRuns(filter);
    if (!runs.ok()) return runs.status();
    Json check = {{"status", "ok"}, {"value", Json()}, {"id", Json()}};
    for (const store::RunRow& run : *runs) {
      auto report = (*tx)->GetRecord(options.report_collection, std::to_string(run.id));
      if (!report.ok()) return report.status();
      if (!report->has_value() || !(*report)->value.is_object()) continue;
      const Json status = (*report)->value.value("status", Json("ok"));
      check["value"] = status;
      check["status"] = status == "critical" ? "critical" : status == "warning" ? "warning" : "ok";
      check["id"] = run.id;
      check["finished_at"] = run.finished_at ? Json(*run.finished_at) : Json();
      break;
    }
    checks["reconciliation"] = std::move(check);
  }
  if (Status committed = (*tx)->Commit(); !committed.ok()) return committed;

  HealthLevel overall = HealthLevel::kOk;
  for (const auto& [name, check] : checks.items()) {
    const std::string status = check["status"].get<std::string>();
    if (status == "critical") overall = HealthLevel::kCritical;
    if (status == "warning" && overall == HealthLevel::kOk) overall = HealthLevel::kWarning;
  }
  return Json{
      {"status", std::string(HealthLevelName(overall))}, {"checked_at", now}, {"checks", checks}};
}

void ExportSyncHealthGauges(const Json& health) {
  auto& registry = metrics::Registry::Default();
  static std::once_flag described;
  std::call_once(described, [&registry] {
    registry.Describe("storeflow_sync_health_status", metrics::Type::kGauge,
                      "Sync health overall: 0 ok, 1 warning, 2 critical (last check).");
    registry.Describe("storeflow_sync_check_status", metrics::Type::kGauge,
                      "Sync health per check: 0 ok, 1 warning, 2 critical (last check).");
    registry.Describe("storeflow_sync_check_value", metrics::Type::kGauge,
                      "Sync health per check: the measured value (seconds, a share or a count).");
  });
  auto level = [](const Json& status) {
    return status == "critical" ? 2.0 : status == "warning" ? 1.0 : 0.0;
  };
  registry.GaugeSet("storeflow_sync_health_status", {}, level(health["status"]));
  for (const auto& [name, check] : health["checks"].items()) {
    registry.GaugeSet("storeflow_sync_check_status", {{"check", name}}, level(check["status"]));
    if (check["value"].is_number()) {
      registry.GaugeSet("storeflow_sync_check_value", {{"check", name}},
                        check["value"].get<double>());
    }
  }
}

}  // namespace storeflow::runtime
