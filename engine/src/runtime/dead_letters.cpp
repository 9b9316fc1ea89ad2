#include "runtime/dead_letters.h"

namespace storeflow::runtime {
namespace {

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

Status RetryDeadLetter(store::Store& store, std::int64_t run_id, store::TimeMs now) {
  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  auto run = GetFailed(**tx, run_id);
  if (!run.ok()) return run.status();
  run->status = store::RunStatus::kReady;
  run->due_at = now;
  run->error = nlohmann::json();
  run->finished_at.reset();
  run->updated_at = now;
  if (!run->state.is_object()) run->state = nlohmann::json::object();
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

Status DiscardDeadLetter(store::Store& store, std::int64_t run_id, store::TimeMs now) {
  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  auto run = GetFailed(**tx, run_id);
  if (!run.ok()) return run.status();
  run->status = store::RunStatus::kCancelled;
  run->updated_at = now;
  if (run->error.is_object()) run->error["discarded"] = true;
  STOREFLOW_RETURN_IF_ERROR((*tx)->UpdateRun(*run, std::nullopt));
  return (*tx)->Commit();
}

}  // namespace storeflow::runtime
