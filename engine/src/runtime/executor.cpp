#include "runtime/executor.h"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "runtime/run_session.h"
#include "runtime/step_committer.h"

namespace storeflow::runtime {
namespace {

using store::RunRow;
using LeaseCheck = store::Transaction::LeaseCheck;

// One AdvanceBatch call: the claimed runs' sessions, each run's result once it
// has one, and which runs take part in the next round or go on alone.
class BatchAdvance {
 public:
  BatchAdvance(const ExecutorServices& services, std::mt19937_64& random,
               const std::vector<RunRow>& claimed, script::Sandbox& sandbox)
      : services_(services), claimed_(claimed), results_(claimed.size()) {
    for (std::size_t i = 0; i < claimed.size(); ++i) {
      sessions_.push_back(std::make_unique<RunSession>(services, random, claimed[i], sandbox));
      active_.push_back(i);
    }
  }

  std::vector<Result<AdvanceOutcome>> Run(std::unique_ptr<store::Transaction> claim_tx) {
    // The first round of a claim made in `claim_tx` runs in it: the claim locked
    // the runs. Later rounds lock the round's runs while they are still ours: no
    // other engine can take one over until the round commits, however long it takes.
    bool claim_round = claim_tx != nullptr;
    while (!active_.empty()) {
      SharedCommit shared(std::move(claim_tx));
      if (!claim_round) {
        if (Status locked = LockRound(shared); !locked.ok()) {
          for (std::size_t i : active_) results_[i] = locked;
          break;
        }
      }
      const std::vector<std::size_t> pending = TakeRoundSteps(shared);
      if (claim_round) HoldUnwrittenClaims(shared);
      const Status committed =
          shared.Commit(services_, claim_round ? LeaseCheck::kLockedHere : LeaseCheck::kOwner);
      const std::vector<std::size_t> round = std::exchange(active_, {});
      if (committed.ok()) {
        AfterRoundCommit(shared, pending, claim_round);
      } else if (claim_round) {
        FailClaimRound(round, committed);
        break;
      } else {
        ReleaseFailedRound(pending, committed);
      }
      claim_round = false;
    }
    RunSolo();
    std::vector<Result<AdvanceOutcome>> out;
    out.reserve(results_.size());
    for (auto& result : results_) out.push_back(std::move(*result));
    return out;
  }

 private:
  // Begins the round's transaction and locks its runs; a run no longer leased
  // gets its result (lost lease) at once.
  Status LockRound(SharedCommit& shared) {
    std::vector<StepCommitter*> runs;
    runs.reserve(active_.size());
    for (std::size_t i : active_) runs.push_back(&sessions_[i]->committer());
    STOREFLOW_RETURN_IF_ERROR(shared.Lock(services_.store, services_.options.owner, runs));
    for (std::size_t i : active_) {
      if (sessions_[i]->outcome().lost_lease) results_[i] = sessions_[i]->outcome();
    }
    return Status::Ok();
  }

  // Each run of the round takes one step into `shared` (or finishes, or asks to
  // go on alone); returns the runs that wrote into it.
  std::vector<std::size_t> TakeRoundSteps(SharedCommit& shared) {
    std::vector<std::size_t> pending;
    for (std::size_t i : active_) {
      if (results_[i]) continue;  // its lease is gone
      RunSession& session = *sessions_[i];
      session.Share(&shared);
      auto advanced = session.Drive();
      if (!advanced.ok()) {
        results_[i] = advanced.status();
      } else if (session.yielded()) {
        pending.push_back(i);
      } else if (session.wants_solo()) {
        solo_.push_back(i);
      } else {
        results_[i] = *advanced;
      }
    }
    return pending;
  }

  // The claim is stored with the runs: one that wrote no step result is written
  // as claimed, so that its lease keeps other engines off (a run that goes on
  // alone, or whose advance failed and waits for its lease to expire, as after a
  // committed claim).
  void HoldUnwrittenClaims(SharedCommit& shared) {
    for (std::size_t i : active_) {
      if (results_[i] && results_[i]->ok()) continue;  // nothing to hold it for
      shared.HoldClaim(sessions_[i]->committer(), claimed_[i]);
    }
  }

  void AfterRoundCommit(SharedCommit& shared, const std::vector<std::size_t>& pending,
                        bool claim_round) {
    shared.AfterCommit();
    for (std::size_t i : pending) {
      if (sessions_[i]->finished()) {
        results_[i] = sessions_[i]->outcome();
      } else {
        active_.push_back(i);
      }
    }
    if (!claim_round) return;
    // A run cancelled in the claim's own transaction is not ours to go on with.
    std::erase_if(solo_, [&](std::size_t i) {
      if (!sessions_[i]->outcome().lost_lease) return false;
      results_[i] = sessions_[i]->outcome();
      return true;
    });
  }

  // Nothing of the claim round is stored, the claim included: the runs are due
  // and unleased again, claimable at once. None of them may go on here.
  void FailClaimRound(const std::vector<std::size_t>& round, const Status& committed) {
    for (std::size_t i : round) {
      if (!results_[i] || results_[i]->ok()) results_[i] = committed;
    }
    solo_.clear();
  }

  // Nothing of the round is stored: let the round's runs be claimed again at
  // once (from what was committed before) instead of after their lease.
  void ReleaseFailedRound(const std::vector<std::size_t>& pending, const Status& committed) {
    std::vector<std::int64_t> ids;
    for (std::size_t i : pending) {
      ids.push_back(sessions_[i]->run_id());
      results_[i] = committed;
    }
    auto released =
        services_.store.ExtendLeases(services_.options.owner, ids, services_.clock.Now() - 1);
    // Not released: they are claimed again when their leases expire.
    if (!released.ok()) ReportLeaseError(services_, "release", ids, released.status());
  }

  // The runs whose next step must not run in a shared transaction go on alone.
  void RunSolo() {
    for (std::size_t i : solo_) {
      sessions_[i]->Share(nullptr);
      results_[i] = sessions_[i]->Drive();
    }
  }

  const ExecutorServices& services_;
  const std::vector<RunRow>& claimed_;
  std::vector<std::unique_ptr<RunSession>> sessions_;
  std::vector<std::optional<Result<AdvanceOutcome>>> results_;
  std::vector<std::size_t> active_;  // take part in the next round
  std::vector<std::size_t> solo_;    // go on alone after the rounds
};

}  // namespace

RunExecutor::RunExecutor(store::Store& store, WorkflowCatalog& catalog, EventRouter& router,
                         const ActionRegistry& actions, Clock& clock, ExecutorOptions options)
    : options_(std::move(options)),
      heartbeat_(std::make_unique<LeaseHeartbeat>(store, clock, options_.lease)),
      services_{.store = store,
                .catalog = catalog,
                .router = router,
                .actions = actions,
                .clock = clock,
                .options = options_,
                .heartbeat = heartbeat_.get()},
      random_(options_.random_seed != 0 ? options_.random_seed : std::random_device()()) {
  heartbeat_->set_services(&services_);
  metrics::Registry::Default().Describe(
      "storeflow_lease_errors_total", metrics::Type::kCounter,
      "Store errors extending or releasing run leases, by operation (extend, release).");
}

Result<AdvanceOutcome> RunExecutor::Advance(const store::RunRow& claimed,
                                            script::Sandbox& sandbox) {
  RunSession session(services_, random_, claimed, sandbox);
  return session.Drive();
}

std::vector<Result<AdvanceOutcome>> RunExecutor::AdvanceBatch(
    const std::vector<store::RunRow>& claimed, script::Sandbox& sandbox,
    std::unique_ptr<store::Transaction> claim_tx) {
  if (!options_.group_commit && claim_tx == nullptr) {
    std::vector<Result<AdvanceOutcome>> out;
    out.reserve(claimed.size());
    for (const auto& run : claimed) out.push_back(Advance(run, sandbox));
    return out;
  }
  BatchAdvance batch(services_, random_, claimed, sandbox);
  return batch.Run(std::move(claim_tx));
}

}  // namespace storeflow::runtime
