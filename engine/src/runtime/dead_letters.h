#pragma once

// The dead-letter list: runs that failed (status failed) until they are resolved.
// A dead letter is resolved by a retry (the run resumes at the failed step;
// completed steps keep their outputs), by discarding it (status cancelled, error
// kept), or it turns out superseded (retried, and a fenced write of the run found
// a newer version of its entity already applied). The resolution is recorded in
// the run's state as `dead_letter: {resolution, resolved_at, resolved_by,
// retries, redrives, last_error}` and shown by the admin API and `dlq show`.
//
// Resolving a dead letter of a workflow with `concurrency.on_failure: hold`
// releases its key: discarding it lets the next queued run of the key start;
// a retried run keeps the key until it ends (completed: released; failed again:
// held again).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace storeflow::runtime {

class WorkflowCatalog;

// Who resolved a dead letter: "operator" (admin API, CLI) or "auto_redrive".
inline constexpr std::string_view kByOperator = "operator";
inline constexpr std::string_view kByAutoRedrive = "auto_redrive";

// Failed runs, newest first.
Result<std::vector<store::RunRow>> ListDeadLetters(store::Store& store,
                                                   const std::optional<std::string>& workflow,
                                                   int limit = 100);
// Failed runs matching `filter` (its status is ignored: always failed), newest first.
Result<std::vector<store::RunRow>> ListDeadLetters(store::Store& store, store::RunFilter filter);
// Makes a failed run due now again (run.attempt + 1) and records the resolution
// `retried` by `by`. FailedPrecondition when the run is not failed, NotFound when
// there is none.
Status RetryDeadLetter(store::Store& store, std::int64_t run_id, store::TimeMs now,
                       std::string_view by = kByOperator);
// Retries every failed run of `workflow`; returns how many.
Result<int> RetryAllDeadLetters(store::Store& store, const std::string& workflow,
                                store::TimeMs now);
// Marks a failed run cancelled with the resolution `discarded` (it leaves the
// list; its error stays) and releases its key. `catalog` reads the run's
// workflow version (nullptr: a catalog of its own, read from the store).
Status DiscardDeadLetter(store::Store& store, std::int64_t run_id, store::TimeMs now,
                         WorkflowCatalog* catalog = nullptr);

// The auto-redrive: retries dead letters whose error was retryable (its attempts
// ran out; not a permanent error, not a `fail` step), oldest first.
struct RedriveOptions {
  int max_per_pass = 100;  // dead letters retried per pass at most
  int max_redrives = 3;    // times one dead letter is redriven at most
};
// One pass; returns how many dead letters it retried.
Result<int> RedriveDeadLetters(store::Store& store, store::TimeMs now,
                               const RedriveOptions& options);

// In the commit that ends `run` with `status` (the run session): a run that
// was a dead letter records the outcome of its retry — completed: `retried`, or
// `superseded` when a fenced write of the retried run was refused (state
// `superseded`); failed again: unresolved.
void RecordDeadLetterOutcome(store::RunRow& run, store::RunStatus status, store::TimeMs now);

}  // namespace storeflow::runtime
