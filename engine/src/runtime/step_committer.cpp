#include "runtime/step_committer.h"

#include <algorithm>

#include "common/metrics.h"

namespace storeflow::runtime {

using store::RunStatus;
using store::StepRow;

void ReportLeaseError(const ExecutorServices& services, std::string_view operation,
                      const std::vector<std::int64_t>& run_ids, const Status& error) {
  metrics::Registry::Default().CounterAdd("storeflow_lease_errors_total",
                                          {{"operation", std::string(operation)}});
  if (!services.options.log) return;
  std::string runs;
  for (std::int64_t id : run_ids) runs += (runs.empty() ? "" : ", ") + std::to_string(id);
  services.options.log("error", "could not " + std::string(operation) + " the leases of run" +
                                    (run_ids.size() == 1 ? " " : "s ") + runs + ": " +
                                    error.ToString());
}

Status SharedCommit::EnsureTx(store::Store& store) {
  if (tx_) return Status::Ok();
  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  tx_ = std::move(tx).value();
  return Status::Ok();
}

Status SharedCommit::Lock(store::Store& store, const std::string& owner,
                          const std::vector<StepCommitter*>& runs) {
  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  tx_ = std::move(tx).value();
  std::vector<std::int64_t> ids;
  ids.reserve(runs.size());
  for (const StepCommitter* run : runs) ids.push_back(run->run().id);
  auto held = tx_->LockLeasedRuns(owner, ids);
  if (!held.ok()) return held.status();
  for (StepCommitter* run : runs) {
    if (std::find(held->begin(), held->end(), run->run().id) == held->end()) run->LoseLease();
  }
  return Status::Ok();
}

Status SharedCommit::Flush(const ExecutorServices& services, store::Transaction::LeaseCheck check) {
  if (writes_.empty()) return Status::Ok();
  store::Transaction& tx = *tx_;
  std::vector<const store::RunRow*> runs;
  runs.reserve(writes_.size());
  for (const auto& write : writes_) {
    runs.push_back(write.claim != nullptr ? write.claim : &write.run->run());
  }
  auto updated = tx.UpdateLeasedRuns(runs, services.options.owner, check);
  if (!updated.ok()) return updated.status();
  // A run missing from `updated` lost its lease inside this very transaction
  // (a `replace` admission cancelled it): its step result is dropped.
  std::vector<const StepRow*> steps;
  for (auto& write : writes_) {
    const std::int64_t id = write.run->run().id;
    if (std::find(updated->begin(), updated->end(), id) == updated->end()) {
      write.run->LoseLease();
      continue;
    }
    if (write.step) steps.push_back(&*write.step);
  }
  STOREFLOW_RETURN_IF_ERROR(tx.UpsertSteps(steps));
  // Keys last: admissions earlier in this transaction saw these runs active and
  // queued behind them; releasing now promotes those.
  const TimeMs now = services.clock.Now();
  for (const auto& write : writes_) {
    if (!write.finish || write.run->outcome().lost_lease) continue;
    STOREFLOW_RETURN_IF_ERROR(
        services.router.ReleaseKey(tx, write.run->run(), write.run->workflow(), now));
  }
  return Status::Ok();
}

Status SharedCommit::Commit(const ExecutorServices& services,
                            store::Transaction::LeaseCheck check) {
  Status committed = Flush(services, check);
  if (committed.ok() && tx_) committed = tx_->Commit();
  tx_.reset();
  return committed;
}

void SharedCommit::AfterCommit() {
  for (auto& write : writes_) {
    if (write.run->outcome().lost_lease) continue;
    if (write.claim != nullptr) continue;  // the claim alone
    write.run->AfterCommit(write.step ? &*write.step : nullptr, write.finish, write.responded);
  }
}

void SharedCommit::HoldClaim(StepCommitter& run, const store::RunRow& claimed) {
  if (!Wrote(run)) writes_.push_back({.run = &run, .claim = &claimed});
}

bool SharedCommit::Wrote(const StepCommitter& run) const {
  return std::any_of(writes_.begin(), writes_.end(), [&](const Write& w) { return w.run == &run; });
}

Result<store::Transaction*> StepCommitter::StepTransaction() {
  if (shared_ != nullptr) {
    STOREFLOW_RETURN_IF_ERROR(shared_->EnsureTx(services_.store));
    if (in_step_ && !step_savepoint_) {
      STOREFLOW_RETURN_IF_ERROR(shared_->tx()->Savepoint());
      step_savepoint_ = true;
    }
    return shared_->tx();
  }
  if (!tx_) {
    auto tx = services_.store.Begin();
    if (!tx.ok()) return tx.status();
    tx_ = std::move(tx).value();
  }
  return tx_.get();
}

void StepCommitter::Rollback() {
  if (shared_ == nullptr) {
    tx_.reset();
    return;
  }
  // A failed rollback leaves the shared transaction failed: its commit then
  // fails and every run of the round is released (AdvanceBatch).
  if (step_savepoint_ && shared_->tx() != nullptr) (void)shared_->tx()->RollbackToSavepoint();
  step_savepoint_ = false;
}

Status StepCommitter::Commit(const StepRow* row, std::optional<RunStatus> finish, bool responded,
                             const LedgerEntry* effect) {
  if (shared_ != nullptr && effect != nullptr) {
    // Only steps that call out have ledger entries, and they never share a commit.
    return Internal("a ledger entry (" + effect->key + ") in a shared commit");
  }
  auto begun = StepTransaction();
  if (!begun.ok()) return begun.status();
  if (shared_ != nullptr) {
    SharedCommit::Write write;
    write.run = this;
    if (row != nullptr) write.step = *row;
    write.finish = finish;
    write.responded = responded;
    shared_->Queue(std::move(write));
    if (finish) {
      outcome_.notify = true;
      outcome_.ended = true;
    }
    step_savepoint_ = false;
    return Status::Ok();
  }
  store::Transaction& tx = **begun;
  if (row != nullptr) {
    Status s = tx.UpsertStep(*row);
    if (!s.ok()) return Abort(s);
  }
  Status s = tx.UpdateRun(run_, services_.options.owner);
  if (!s.ok()) return Abort(s);
  if (effect != nullptr) {
    s = tx.RecordEffect(effect->key, effect->entry, services_.clock.Now());
    if (!s.ok()) return Abort(s);
  }
  if (finish) {
    s = services_.router.ReleaseKey(tx, run_, *workflow_, services_.clock.Now());
    if (!s.ok()) return Abort(s);
    outcome_.notify = true;
    outcome_.ended = true;
  }
  s = tx_->Commit();
  tx_.reset();
  if (!s.ok()) return Abort(s);
  AfterCommit(row, finish, responded);
  return Status::Ok();
}

Result<bool> StepCommitter::RecordAttempt(const StepRow& row, const LedgerEntry& effect) {
  if (shared_ != nullptr) {
    return Internal("step '" + row.step_path + "' calls out but runs in a shared commit");
  }
  tx_.reset();
  auto begun = services_.store.Begin();
  if (!begun.ok()) return begun.status();
  std::unique_ptr<store::Transaction> tx = std::move(begun).value();
  const TimeMs now = services_.clock.Now();
  run_.lease_until = now + services_.options.lease.count();
  STOREFLOW_RETURN_IF_ERROR(tx->UpsertStep(row));
  Status s = tx->UpdateRun(run_, services_.options.owner);
  if (s.code() == StatusCode::kAborted) return false;  // the lease is gone
  STOREFLOW_RETURN_IF_ERROR(s);
  STOREFLOW_RETURN_IF_ERROR(tx->RecordEffect(effect.key, effect.entry, now));
  STOREFLOW_RETURN_IF_ERROR(tx->Commit());
  on_step_(row);
  return true;
}

Status StepCommitter::Abort(const Status& s) {
  Rollback();
  if (s.code() == StatusCode::kAborted) {
    outcome_.lost_lease = true;
    return Status::Ok();
  }
  return s;
}

void StepCommitter::AfterCommit(const StepRow* row, std::optional<RunStatus> finish,
                                bool responded) {
  if (row != nullptr) {
    on_step_(*row);
    ++outcome_.steps;
  }
  if (finish) {
    const char* counter = *finish == RunStatus::kCompleted ? "storeflow_runs_completed_total"
                          : *finish == RunStatus::kFailed  ? "storeflow_runs_failed_total"
                                                           : nullptr;
    if (counter != nullptr) {
      metrics::Registry::Default().CounterAdd(counter, {{"workflow", run_.workflow}});
    }
  }
  // Only after the commit: a caller answered from this is answered with durable facts.
  ExecutorOptions const& options = services_.options;
  if (finish && *finish == RunStatus::kFailed && options.log) {
    // The step and the error's code, not its message: the message can quote the
    // step's rendered input (addresses, internal URLs); the admin API has it.
    const Json& error = run_.error;
    const std::string step = error.is_object() ? error.value("step", "") : "";
    const std::string code = error.is_object() ? error.value("code", "") : "";
    options.log("warn", "run " + std::to_string(run_.id) + " of workflow '" + run_.workflow +
                            "' failed" + (step.empty() ? "" : " at step '" + step + "'") +
                            (code.empty() ? "" : " (" + code + ")") +
                            "; it is on the dead-letter list (storeflow runs show " +
                            std::to_string(run_.id) + ")");
  }
  if (options.broker != nullptr && (finish || responded)) options.broker->Notify(run_);
}

bool StepCommitter::LeaseExtensionDue() const {
  const TimeMs half = services_.options.lease.count() / 2;
  return run_.lease_until && services_.clock.Now() + half >= *run_.lease_until;
}

bool StepCommitter::ExtendLeaseIfDue() {
  const TimeMs now = services_.clock.Now();
  if (!LeaseExtensionDue()) return true;
  const TimeMs until = now + services_.options.lease.count();
  auto held = services_.store.ExtendLeases(services_.options.owner, {run_.id}, until);
  if (!held.ok()) {
    // The run stops here as if its lease were lost; it is claimed again once the
    // lease expires.
    ReportLeaseError(services_, "extend", {run_.id}, held.status());
    return false;
  }
  if (*held == 0) return false;
  run_.lease_until = until;
  return true;
}

}  // namespace storeflow::runtime
