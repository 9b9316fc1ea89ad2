#include "runtime/dead_letters.h"

#include <algorithm>

#include "common/metrics.h"
#include "runtime/event_router.h"
#include "runtime/workflow_catalog.h"

namespace storeflow::runtime {
namespace {

using Json = nlohmann::json;

// Dead letters looked at per redrive pass at most (newest first, so a pass
// never walks an unbounded list; the oldest of them are retried first).
constexpr int kRedriveScanFactor = 10;

Result<store::RunRow> GetFailed(store::Transaction& tx, std::int64_t run_id) {
  auto run = tx.GetRun(run_id);
  if (!run.ok()) return run.status();
  if (!run->has_value()) return NotFound("no run " + std::to_string(run_id));
  if ((*run)->status != store::RunStatus::kFailed) {
    return FailedPrecondition("run " + std::to_string(run_id) + " is " +
                              std::string(store::RunStatusName((*run)->status)) + ", not failed");
  }
  return **run;
}

// state.dead_letter, created on first use.
Json& DeadLetterState(store::RunRow& run) {
  if (!run.state.is_object()) run.state = Json::object();
  Json& dl = run.state["dead_letter"];
  if (!dl.is_object()) {
    dl = {{"resolution", nullptr},
          {"resolved_at", nullptr},
          {"resolved_by", nullptr},
          {"retries", 0},
          {"redrives", 0}};
  }
  return dl;
}

void Resolve(store::RunRow& run, std::string_view resolution, std::string_view by,
             store::TimeMs now) {
  Json& dl = DeadLetterState(run);
  dl["resolution"] = resolution;
  dl["resolved_at"] = now;
  dl["resolved_by"] = by;
  if (!run.error.is_null()) dl["last_error"] = run.error;
  metrics::Registry::Default().CounterAdd(
      "storeflow_dead_letters_resolved_total",
      {{"workflow", run.workflow}, {"resolution", std::string(resolution)}});
}

bool Redrivable(const store::RunRow& run, int max_redrives) {
  if (!run.error.is_object() || !run.error.value("retryable", false)) return false;
  const Json dl = run.state.is_object() ? run.state.value("dead_letter", Json()) : Json();
  const int redrives = dl.is_object() ? dl.value("redrives", 0) : 0;
  return redrives < max_redrives;
}

}  // namespace

Result<std::vector<store::RunRow>> ListDeadLetters(store::Store& store,
                                                   const std::optional<std::string>& workflow,
                                                   int limit) {
  store::RunFilter filter;
  filter.workflow = workflow;
  filter.limit = limit;
  return ListDeadLetters(store, std::move(filter));
}

Result<std::vector<store::RunRow>> ListDeadLetters(store::Store& store, store::RunFilter filter) {
  auto tx = store.BeginRead();
  if (!tx.ok()) return tx.status();
  filter.status = store::RunStatus::kFailed;
  auto runs = (*tx)->ListRuns(filter);
  if (!runs.ok()) return runs.status();
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  return runs;
}

Status RetryDeadLetter(store::Store& store, std::int64_t run_id, store::TimeMs now,
                       std::string_view by) {
  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  auto run = GetFailed(**tx, run_id);
  if (!run.ok()) return run.status();
  Resolve(*run, "retried", by, now);
  Json& dl = DeadLetterState(*run);
  dl["retries"] = dl.value("retries", 0) + 1;
  if (by == kByAutoRedrive) dl["redrives"] = dl.value("redrives", 0) + 1;
  run->state.erase("superseded");  // set again by this attempt's fenced writes
  run->status = store::RunStatus::kReady;
  run->due_at = now;
  run->error = nlohmann::json();
  run->finished_at.reset();
  run->updated_at = now;
  run->state["attempt"] = run->state.value("attempt", 1) + 1;
  STOREFLOW_RETURN_IF_ERROR((*tx)->UpdateRun(*run, std::nullopt));
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  store.Notify();
  return Status::Ok();
}

Result<int> RetryAllDeadLetters(store::Store& store, const std::string& workflow,
                                store::TimeMs now) {
  int count = 0;
  for (;;) {
    auto runs = ListDeadLetters(store, workflow, 100);
    if (!runs.ok()) return runs.status();
    if (runs->empty()) return count;
    for (const auto& run : *runs) {
      STOREFLOW_RETURN_IF_ERROR(RetryDeadLetter(store, run.id, now));
      ++count;
    }
  }
}

Status DiscardDeadLetter(store::Store& store, std::int64_t run_id, store::TimeMs now,
                         WorkflowCatalog* catalog) {
  WorkflowCatalog own;
  WorkflowCatalog& versions = catalog != nullptr ? *catalog : own;
  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  auto run = GetFailed(**tx, run_id);
  if (!run.ok()) return run.status();
  Resolve(*run, "discarded", kByOperator, now);
  run->status = store::RunStatus::kCancelled;
  run->updated_at = now;
  if (run->error.is_object()) run->error["discarded"] = true;
  STOREFLOW_RETURN_IF_ERROR((*tx)->UpdateRun(*run, std::nullopt));
  if (run->key) {
    // A held key is free again: the next queued run of the key starts.
    auto loaded = versions.ByHash(run->version_hash, **tx);
    if (!loaded.ok()) return loaded.status();
    STOREFLOW_RETURN_IF_ERROR(
        EventRouter(versions).ReleaseKey(**tx, *run, *(*loaded)->workflow, now));
  }
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  store.Notify();
  return Status::Ok();
}

Result<int> RedriveDeadLetters(store::Store& store, store::TimeMs now,
                               const RedriveOptions& options) {
  if (options.max_per_pass <= 0) return 0;
  std::vector<store::RunRow> candidates;
  store::RunFilter filter;
  filter.limit = 200;
  const std::size_t scan_cap = static_cast<std::size_t>(options.max_per_pass) * kRedriveScanFactor;
  std::size_t scanned = 0;
  for (;;) {
    auto runs = ListDeadLetters(store, filter);
    if (!runs.ok()) return runs.status();
    for (auto& run : *runs) {
      if (Redrivable(run, options.max_redrives)) candidates.push_back(std::move(run));
    }
    scanned += runs->size();
    if (runs->size() < static_cast<std::size_t>(filter.limit) || scanned >= scan_cap) break;
    filter.before_id = runs->back().id;
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const store::RunRow& a, const store::RunRow& b) { return a.id < b.id; });
  int retried = 0;
  for (const auto& run : candidates) {
    if (retried >= options.max_per_pass) break;
    Status s = RetryDeadLetter(store, run.id, now, kByAutoRedrive);
    if (s.code() == StatusCode::kFailedPrecondition) continue;  // resolved meanwhile
    STOREFLOW_RETURN_IF_ERROR(s);
    ++retried;
  }
  if (retried > 0) {
    metrics::Registry::Default().CounterAdd("storeflow_dead_letters_redriven_total", {},
                                            static_cast<double>(retried));
  }
  return retried;
}

void RecordDeadLetterOutcome(store::RunRow& run, store::RunStatus status, store::TimeMs now) {
  if (!run.state.is_object() || !run.state.contains("dead_letter")) return;
  Json& dl = run.state["dead_letter"];
  if (!dl.is_object()) return;
  if (status == store::RunStatus::kFailed) {
    // A dead letter again: unresolved until the next retry or discard.
    dl["resolution"] = nullptr;
    dl["resolved_at"] = nullptr;
    dl["resolved_by"] = nullptr;
    return;
  }
  if (status == store::RunStatus::kCompleted && dl.value("resolution", Json()) == "retried") {
    if (run.state.value("superseded", false)) {
      dl["resolution"] = "superseded";
      metrics::Registry::Default().CounterAdd(
          "storeflow_dead_letters_resolved_total",
          {{"workflow", run.workflow}, {"resolution", "superseded"}});
    }
    dl["resolved_at"] = now;
  }
}

}  // namespace storeflow::runtime
