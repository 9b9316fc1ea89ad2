#pragma once

// One claimed run, driven step by step: reads its cursor and step history,
// hands each step to the handler of its kind, turns the outcome into the step's
// row and the run's next position (retries, on_error, then), and commits through
// its StepCommitter. Used by RunExecutor (executor.h); not thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/executor_options.h"
#include "runtime/run_cursor.h"
#include "runtime/step_committer.h"
#include "runtime/steps/step_handler.h"
#include "script/sandbox.h"
#include "store/store.h"

namespace storeflow::runtime {

class RunSession {
 public:
  RunSession(const ExecutorServices& services, std::mt19937_64& random, const store::RunRow& run,
             script::Sandbox& sandbox);
  RunSession(const RunSession&) = delete;
  RunSession& operator=(const RunSession&) = delete;

  // Takes steps until the run sleeps, waits, ends, loses its lease or reaches
  // max_steps_per_claim. With a shared commit (Share) it returns after each step
  // written into it (yielded()): the caller commits, runs the after-commit work
  // and calls Drive() again. Before a step that must not run inside a shared
  // transaction it returns without running it (wants_solo()); the caller then
  // calls Share(nullptr) and Drive() to go on alone. Never throws.
  Result<AdvanceOutcome> Drive();

  void Share(SharedCommit* shared) { committer_.Share(shared); }
  bool yielded() const { return yielded_; }
  bool wants_solo() const { return wants_solo_; }
  // Nothing more to do in this claim: ended, suspended, handed back, or lost.
  bool finished() const { return suspended_ || outcome_.ended || outcome_.lost_lease; }
  const AdvanceOutcome& outcome() const { return outcome_; }
  std::int64_t run_id() const { return run_.id; }
  StepCommitter& committer() { return committer_; }

 private:
  Result<AdvanceOutcome> DriveSteps();
  // The next step at the cursor: runs it unless done in an earlier claim. False
  // when the session must return (stopped, yielded, or the step must run alone).
  Result<bool> TakeStep();
  Status Load();
  void RememberRow(const store::StepRow& row);
  const std::vector<workflow::Step>& ListOf(std::size_t depth) const;
  const std::vector<workflow::Step>& CurrentList() const { return ListOf(cursor_.depth()); }
  Json Scope() const;
  const StepHandler* HandlerFor(const workflow::Step& step) const;
  bool Quick(const workflow::Step& step) const;
  bool Stopped() const { return finished() || yielded_; }
  TimeMs Now() const { return services_.clock.Now(); }

  StepOutcome Execute(const workflow::Step& step, const std::string& path,
                      const store::StepRow* existing);
  // StepContext::record_attempt for the step at `path`.
  Result<bool> RecordAttempt(const std::string& path, const store::StepRow* existing, int attempt,
                             const Json& input, LedgerEntry effect);
  // Turns a step's outcome into its row and the run's next position, and commits.
  Status Apply(const workflow::Step& step, const std::string& path, const store::StepRow* existing,
               StepOutcome result);
  Status ApplyError(const workflow::Step& step, const std::string& path, store::StepRow row,
                    const StepOutcome& result);
  Status FinishForeach();
  // Moves the cursor past `step` (its `then`). True when the run ends here.
  bool Next(const workflow::Step& step);
  void Jump(const std::string& target);
  // True when the cursor is past the last top-level step.
  bool AtEnd() const;
  void Suspend(store::RunStatus status, TimeMs due_at);
  // Commits `row` (if any), the cursor and the run; ends the run with `finish`.
  Status Persist(store::StepRow* row, std::optional<store::RunStatus> finish, Json error = Json());

  const ExecutorServices& services_;
  std::mt19937_64& random_;
  store::RunRow run_;
  script::Sandbox& sandbox_;
  AdvanceOutcome outcome_;
  StepCommitter committer_;
  std::shared_ptr<const LoadedWorkflow> wf_;
  std::map<std::string, store::StepRow> rows_;
  Json steps_ctx_ = Json::object();
  std::int64_t max_seq_ = 0;
  RunCursor cursor_;
  bool loaded_ = false;
  bool yielded_ = false;     // wrote into the shared transaction; awaits its commit
  bool wants_solo_ = false;  // the next step must not run in a shared transaction
  bool suspended_ = false;
  bool responded_ = false;                     // a respond step's answer awaits its commit
  std::optional<LedgerEntry> pending_effect_;  // the step's ledger entry, for Persist
  static constexpr int kMaxConflicts = 20;
  int conflicts_ = 0;
  bool retried_time_limit_ = false;  // this step was tried again after a Lua time limit
};

}  // namespace storeflow::runtime
