#pragma once

// The step executor: advances claimed runs step by step. Each step's result (the
// step row and the run's cursor) is committed, under the condition that this
// engine still holds the run's lease, before that run's next step runs; a
// completed step is never run again (its output is replayed from the step
// history). One executor per worker thread.
//
// Its parts: RunSession (run_session.h) drives one run, its cursor
// (run_cursor.h) and its commits (step_committer.h); each step goes to the
// handler of its kind (steps/step_handler.h).
//
// Group commit (AdvanceBatch): the runs of one claim advance in rounds. In a
// round each run takes one step, and the results of all of them are committed
// in one transaction; a step that fails rolls back only its own writes (a
// savepoint). A step that calls out of the engine (not Action::quick) never
// runs inside a shared transaction: its run leaves the rounds and goes on alone.

#include <memory>
#include <random>
#include <vector>

#include "common/result.h"
#include "runtime/executor_options.h"
#include "runtime/lease_heartbeat.h"
#include "script/sandbox.h"
#include "store/store.h"

namespace storeflow::runtime {

class RunExecutor {
 public:
  RunExecutor(store::Store& store, WorkflowCatalog& catalog, EventRouter& router,
              const ActionRegistry& actions, Clock& clock, ExecutorOptions options);
  RunExecutor(const RunExecutor&) = delete;
  RunExecutor& operator=(const RunExecutor&) = delete;

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
  ExecutorOptions options_;
  std::unique_ptr<LeaseHeartbeat> heartbeat_;  // before services_, which points at it
  ExecutorServices services_;
  std::mt19937_64 random_;
};

}  // namespace storeflow::runtime
