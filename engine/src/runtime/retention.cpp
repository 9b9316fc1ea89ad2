#include "runtime/retention.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/duration.h"
#include "common/metrics.h"
#include "runtime/clock.h"
#include "store/store.h"

namespace storeflow::runtime {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kDeletedCounter = "storeflow_retention_deleted_total";

Status CheckHorizon(milliseconds horizon, milliseconds minimum, std::string_view why) {
  if (horizon.count() == 0 || horizon >= minimum) return Status::Ok();
  return InvalidArgument("must be keep (or 0) or at least " + FormatDuration(minimum) + " (" +
                         std::string(why) + "), got " + FormatDuration(horizon));
}

Status Named(std::string_view key, Status status) {
  if (status.ok()) return status;
  return InvalidArgument("retention." + std::string(key) + ": " + status.message());
}

}  // namespace

Status RetentionPolicy::CheckRunHorizon(milliseconds horizon) {
  return CheckHorizon(horizon, kMinRunHorizon,
                      "a run's effects go with it, and a step in flight may still need them");
}

Status RetentionPolicy::CheckEventHorizon(milliseconds horizon) {
  return CheckHorizon(horizon, kMinEventHorizon,
                      "webhook redeliveries and replays are recognised by the events kept, "
                      "and Shopify retries a delivery for up to 4 hours; 2 days leave a "
                      "margin");
}

Status RetentionPolicy::CheckInterval(milliseconds interval) {
  if (interval >= std::chrono::seconds(1)) return Status::Ok();
  return InvalidArgument("must be at least 1s, got " + FormatDuration(interval));
}

Status RetentionPolicy::CheckBatch(int batch) {
  if (batch >= 1 && batch <= 100'000) return Status::Ok();
  return InvalidArgument("must be from 1 to 100000, got " + std::to_string(batch));
}

Status RetentionPolicy::Check() const {
  STOREFLOW_RETURN_IF_ERROR(Named("runs", CheckRunHorizon(runs)));
  STOREFLOW_RETURN_IF_ERROR(Named("dead_letters", CheckRunHorizon(dead_letters)));
  STOREFLOW_RETURN_IF_ERROR(Named("events", CheckEventHorizon(events)));
  STOREFLOW_RETURN_IF_ERROR(Named("interval", CheckInterval(interval)));
  return Named("batch", CheckBatch(batch));
}

std::string PurgeCounts::Summary() const {
  std::string out;
  auto add = [&out](std::int64_t n, const char* one, const char* many) {
    if (n == 0) return;
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + " " + (n == 1 ? one : many);
  };
  add(runs, "run", "runs");
  add(dead_letters, "dead letter", "dead letters");
  add(events, "event", "events");
  add(effects, "effect", "effects");
  add(dedupe, "dedupe entry", "dedupe entries");
  add(plugin_kv, "plugin key", "plugin keys");
  return out.empty() ? "nothing" : out;
}

RetentionJanitor::RetentionJanitor(store::Store& store, const Clock& clock, RetentionPolicy policy,
                                   Log log)
    : store_(store), clock_(clock), policy_(policy), log_(std::move(log)) {
  metrics::Registry::Default().Describe(
      kDeletedCounter, metrics::Type::kCounter,
      "Rows deleted by retention, by kind (runs, dead_letters, events, effects, dedupe, "
      "plugin_kv).");
}

RetentionJanitor::~RetentionJanitor() {
  Stop();
}

bool RetentionJanitor::stopping() const {
  std::lock_guard lock(mu_);
  return stop_;
}

Result<PurgeCounts> RetentionJanitor::PurgeOnce(std::chrono::steady_clock::duration budget) {
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = budget >= std::chrono::steady_clock::time_point::max() - started
                            ? std::chrono::steady_clock::time_point::max()
                            : started + budget;
  const store::TimeMs now = clock_.Now();
  const int batch = policy_.batch;
  PurgeCounts counts;

  // Deletes one kind, a batch per transaction, until a batch comes back short.
  using PurgeBatch = std::function<Result<std::int64_t>(store::Transaction&)>;
  auto drain = [&](std::string_view kind, std::int64_t& deleted,
                   const PurgeBatch& purge) -> Status {
    while (true) {
      if (stopping() || std::chrono::steady_clock::now() >= deadline) {
        counts.complete = false;
        return Status::Ok();
      }
      auto tx = store_.Begin();
      if (!tx.ok()) return tx.status();
      auto n = purge(**tx);
      if (!n.ok()) return n.status();
      STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
      deleted += *n;
      if (*n > 0) {
        metrics::Registry::Default().CounterAdd(kDeletedCounter, {{"kind", std::string(kind)}},
                                                static_cast<double>(*n));
      }
      if (*n < batch) return Status::Ok();
    }
  };
  auto before = [now](milliseconds horizon) { return now - horizon.count(); };

  using store::RunStatus;
  if (policy_.runs.count() > 0) {
    const std::vector<RunStatus> ended = {RunStatus::kCompleted, RunStatus::kCancelled,
                                          RunStatus::kRejected, RunStatus::kSkipped};
    STOREFLOW_RETURN_IF_ERROR(drain("runs", counts.runs, [&](store::Transaction& tx) {
      return tx.PurgeRuns(ended, before(policy_.runs), batch);
    }));
  }
  if (policy_.dead_letters.count() > 0) {
    STOREFLOW_RETURN_IF_ERROR(
        drain("dead_letters", counts.dead_letters, [&](store::Transaction& tx) {
          return tx.PurgeRuns({RunStatus::kFailed}, before(policy_.dead_letters), batch);
        }));
  }
  if (policy_.events.count() > 0) {
    STOREFLOW_RETURN_IF_ERROR(drain("events", counts.events, [&](store::Transaction& tx) {
      return tx.PurgeEvents(before(policy_.events), batch);
    }));
  }
  // An effect may be read again by its run until the run is gone: effects go
  // only once every run they can belong to may have been purged.
  if (policy_.runs.count() > 0 && policy_.dead_letters.count() > 0) {
    const milliseconds horizon = std::max(policy_.runs, policy_.dead_letters);
    STOREFLOW_RETURN_IF_ERROR(drain("effects", counts.effects, [&](store::Transaction& tx) {
      return tx.PurgeEffects(before(horizon), batch);
    }));
  }
  STOREFLOW_RETURN_IF_ERROR(drain(
      "dedupe", counts.dedupe, [&](store::Transaction& tx) { return tx.PurgeDedupe(now, batch); }));
  STOREFLOW_RETURN_IF_ERROR(drain("plugin_kv", counts.plugin_kv, [&](store::Transaction& tx) {
    return tx.PurgeExpiredKv(now, batch);
  }));
  return counts;
}

void RetentionJanitor::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Loop(); });
}

void RetentionJanitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionJanitor::Loop() {
  while (!stopping()) {
    auto counts = PurgeOnce(policy_.interval);
    if (log_) {
      if (!counts.ok()) {
        log_("warn", "retention: " + counts.status().message() + " (next pass in " +
                         FormatDuration(policy_.interval) + ")");
      } else if (counts->total() > 0) {
        log_("info", "retention: deleted " + counts->Summary() +
                         (counts->complete ? "" : "; more next pass"));
      }
    }
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, policy_.interval, [this] { return stop_; });
  }
}

}  // namespace storeflow::runtime
