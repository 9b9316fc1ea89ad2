#pragma once

// How a run's step results reach the store: the one place that decides between
// the run's own transaction (one commit per step), a commit shared with the other
// runs of a round (group commit, see executor.h) and a savepoint inside it;
// that checks the run's lease; and that runs what follows a commit (metrics, the
// waiting HTTP caller).
//
// Own transaction: Commit writes the step row and the run under the condition
// that this engine still holds the lease, and commits at once.
// Shared: Commit queues the write in the round's SharedCommit and the run yields;
// the round's Flush writes every queued result in a few multi-row statements,
// each run on its lease, and after the round's commit each run's after-commit
// work runs (SharedCommit::AfterCommit).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/executor_options.h"
#include "store/store.h"
#include "workflow/model.h"

namespace storeflow::runtime {

class StepCommitter;

// A record for the effect ledger (Transaction::RecordEffect), written with a step.
struct LedgerEntry {
  std::string key;
  Json entry;
};

// A store call on leases failed (`operation`: "extend", "release"): logged as an
// error naming the runs and counted in storeflow_lease_errors_total{operation}.
void ReportLeaseError(const ExecutorServices& services, std::string_view operation,
                      const std::vector<std::int64_t>& run_ids, const Status& error);

// The transaction the runs of one round share, and their queued step results.
class SharedCommit {
 public:
  struct Write {
    StepCommitter* run = nullptr;
    const store::RunRow* claim = nullptr;  // set: write this row (a claim that took no step)
    std::optional<store::StepRow> step;
    std::optional<store::RunStatus> finish;  // the run ended: free its key
    bool responded = false;                  // a respond step's answer awaits the commit
  };

  SharedCommit() = default;
  // A round that runs in the transaction that claimed its runs.
  explicit SharedCommit(std::unique_ptr<store::Transaction> claim_tx) : tx_(std::move(claim_tx)) {}

  // Begins the round's transaction and locks the runs of `runs` still leased to
  // `owner`; a run no longer leased is told (StepCommitter::LoseLease).
  Status Lock(store::Store& store, const std::string& owner,
              const std::vector<StepCommitter*>& runs);
  // Writes the round's step results (multi-row) on each run's lease and frees the
  // keys of ended runs; a run whose lease is gone is told and its result dropped.
  Status Flush(const ExecutorServices& services, store::Transaction::LeaseCheck check);
  // Flush and commit; the transaction is gone afterwards either way.
  Status Commit(const ExecutorServices& services, store::Transaction::LeaseCheck check);
  // After a successful Commit: each written run's after-commit work.
  void AfterCommit();

  // Queues a claimed run that wrote nothing, to be written as claimed (leased).
  void HoldClaim(StepCommitter& run, const store::RunRow& claimed);
  bool Wrote(const StepCommitter& run) const;

  store::Transaction* tx() const { return tx_.get(); }
  Status EnsureTx(store::Store& store);
  void Queue(Write write) { writes_.push_back(std::move(write)); }

 private:
  std::unique_ptr<store::Transaction> tx_;
  std::vector<Write> writes_;
};

// The commit side of one run's session.
class StepCommitter {
 public:
  // `run` and `outcome` are the session's; `on_step` is told each committed step row.
  StepCommitter(const ExecutorServices& services, store::RunRow& run, AdvanceOutcome& outcome,
                std::function<void(const store::StepRow&)> on_step)
      : services_(services), run_(run), outcome_(outcome), on_step_(std::move(on_step)) {}

  // nullptr: one transaction per step (Advance); else the round's commit.
  void Share(SharedCommit* shared) { shared_ = shared; }
  bool shared() const { return shared_ != nullptr; }
  void set_workflow(const workflow::Workflow* workflow) { workflow_ = workflow; }
  const workflow::Workflow& workflow() const { return *workflow_; }
  const store::RunRow& run() const { return run_; }
  const AdvanceOutcome& outcome() const { return outcome_; }

  // A step is executing: its first write in a shared transaction marks a savepoint.
  void BeginStep() { in_step_ = true; }
  void EndStep() { in_step_ = false; }
  // The transaction this run writes into, begun if needed (with the savepoint above).
  Result<store::Transaction*> StepTransaction();
  // Undoes what the current step wrote: its own transaction, or in a shared one
  // back to the step's savepoint (nothing to undo when the step wrote nothing).
  void Rollback();

  // Writes `row` (if any) and the run, and its end (`finish`: frees its key), and
  // records in the outcome what was written (ended, notify) or that the lease is
  // lost. Shared: queues the write for the round (always, when it returns Ok).
  // Other errors are returned, the step's writes undone.
  // `effect`, when set, is written to the effect ledger with the step (own
  // transaction only: steps that call out never share a commit).
  Status Commit(const store::StepRow* row, std::optional<store::RunStatus> finish, bool responded,
                const LedgerEntry* effect = nullptr);
  // Before an effectful call, in a transaction of its own (never shared): writes
  // `row` (the attempt, started), the run (its lease renewed) and `effect`, and
  // commits. False when the run's lease is lost; then nothing was written.
  Result<bool> RecordAttempt(const store::StepRow& row, const LedgerEntry& effect);
  // What follows the commit of a step result: count it, count a run's end, answer
  // a waiting caller.
  void AfterCommit(const store::StepRow* row, std::optional<store::RunStatus> finish,
                   bool responded);

  // The lease is half gone: extending it is due (it takes its own transaction).
  bool LeaseExtensionDue() const;
  // Extends the lease when due; false when it is lost (or the store failed).
  bool ExtendLeaseIfDue();
  // The lease was gone when the shared transaction went to write this run: its
  // step result was not written.
  void LoseLease() {
    outcome_.lost_lease = true;
    outcome_.ended = false;
  }

 private:
  Status Abort(const Status& s);

  const ExecutorServices& services_;
  store::RunRow& run_;
  AdvanceOutcome& outcome_;
  std::function<void(const store::StepRow&)> on_step_;
  const workflow::Workflow* workflow_ = nullptr;
  std::unique_ptr<store::Transaction> tx_;  // without a shared commit
  SharedCommit* shared_ = nullptr;
  bool in_step_ = false;
  bool step_savepoint_ = false;
};

}  // namespace storeflow::runtime
