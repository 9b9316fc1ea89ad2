#pragma once

// The step executor: advances claimed runs step by step. Each step's result (the
// step row and the run's cursor) is committed, under the condition that this
// engine still holds the run's lease, before that run's next step runs; a
// completed step is never run again (its output is replayed from the step
// history). One executor per worker thread.
//
// Group commit (AdvanceBatch): the runs of one claim advance in rounds. In a
// round each run takes one step, and the results of all of them are committed
// in one transaction; a step that fails rolls back only its own writes (a
// savepoint). A step that calls out of the engine (not Action::quick) never
// runs inside a shared transaction: its run leaves the rounds and goes on alone.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/duration.h"
#include "common/result.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/event_router.h"
#include "runtime/response_broker.h"
#include "runtime/retry_delay.h"
#include "runtime/secrets.h"
#include "runtime/workflow_catalog.h"
#include "script/sandbox.h"
#include "store/store.h"

namespace storeflow::runtime {

struct ExecutorOptions {
  std::string owner = "engine";  // the lease owner name
  Duration lease{30'000};
  RetrySchedule default_retry;      // attempts 1: no retry unless a workflow asks
  Duration wait_lookback{300'000};  // how far before a wait_for an event still matches
  // A new wait looks once more this long after it was registered: an event that
  // committed while the wait was being registered (so WakeWaits did not see it)
  // is found then rather than at the timeout.
  Duration wait_recheck{2'000};
  int max_steps_per_claim = 1000;  // then the run goes back to the queue (fairness)
  bool group_commit = true;        // AdvanceBatch shares commits (false: one run at a time)
  std::uint64_t random_seed = 0;   // 0: from std::random_device
  ActionLogger log;                // where the `log` action and step logs go
  // What `${{ secrets.NAME }}` in `with:` of a `uses` step reads (null: none).
  // Every secret value is redacted ("***") from what is stored or logged of a
  // uses step: its input, output, error and log lines.
  std::shared_ptr<const SecretStore> secrets;
  // When set and true, a run in hand goes back to the queue at the next step
  // boundary (engine shutdown).
  const std::atomic<bool>* stop = nullptr;
  // When set, told about every committed `respond` step and every run end (the
  // HTTP REST triggers wait on it).
  ResponseBroker* broker = nullptr;
};

// What Advance did, for the engine's bookkeeping.
struct AdvanceOutcome {
  int steps = 0;        // steps committed
  bool notify = false;  // new due work was committed (runs started or woken)
  bool ended = false;   // the run reached a terminal state
  bool lost_lease = false;
};

class RunExecutor {
 public:
  RunExecutor(store::Store& store, WorkflowCatalog& catalog, EventRouter& router,
              const ActionRegistry& actions, Clock& clock, ExecutorOptions options);

  // The lease owner this executor claims and writes runs as.
  const std::string& owner() const { return options_.owner; }

  // Advances `claimed` (leased by options.owner) until it sleeps, waits, ends,
  // loses its lease or reaches max_steps_per_claim. Never throws.
  Result<AdvanceOutcome> Advance(const store::RunRow& claimed, script::Sandbox& sandbox);
  // Advances every run of `claimed` the same way, sharing commits between them
  // (see above). One outcome per run, in order; a run whose advance failed has
  // its error instead (it keeps its lease until it expires, or, when a shared
  // commit failed, is released at once to be claimed again).
  //
  // `claim_tx`: the transaction in which Transaction::LockDueRuns took `claimed`
  // (nullptr: Store::ClaimDueRuns committed the claim). The first round runs in
  // it and its commit writes every claimed run, the claim with the first step:
  // a run that took no step there (its next step must run alone, or it failed)
  // is written as claimed, leased. If that commit fails nothing was claimed.
  std::vector<Result<AdvanceOutcome>> AdvanceBatch(
      const std::vector<store::RunRow>& claimed, script::Sandbox& sandbox,
      std::unique_ptr<store::Transaction> claim_tx = nullptr);

 private:
  class RunSession;
  struct SharedCommit;

  // AdvanceBatch: begins the round's transaction and locks its runs; a run no
  // longer leased gets its result (lost lease) at once.
  Status LockRound(SharedCommit& shared, const std::vector<std::unique_ptr<RunSession>>& sessions,
                   const std::vector<std::size_t>& active,
                   std::vector<std::optional<Result<AdvanceOutcome>>>& results);
  // Writes the round's step results (multi-row) and frees the keys of ended runs.
  Status Flush(SharedCommit& shared, store::Transaction::LeaseCheck check);

  store::Store& store_;
  WorkflowCatalog& catalog_;
  EventRouter& router_;
  const ActionRegistry& actions_;
  Clock& clock_;
  ExecutorOptions options_;
  std::mt19937_64 random_;
};

}  // namespace storeflow::runtime
