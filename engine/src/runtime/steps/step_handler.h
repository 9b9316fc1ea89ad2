#pragma once

// One step kind's behaviour. The executor hands each step to the handler
// registered for its kind (`uses`, `rule`, ...); the handler does the step's work
// and says what came of it (a StepOutcome). What the outcome does to the run —
// the step row, retries, `on_error`, `then`, the commit — is the executor's.
//
// A handler is stateless and shared by every run and worker thread: what it
// needs of the run comes in the StepContext.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "runtime/executor_options.h"
#include "runtime/run_cursor.h"
#include "runtime/steps/step_outcome.h"
#include "script/sandbox.h"
#include "store/store.h"
#include "workflow/model.h"

namespace storeflow::runtime {

class StepCommitter;

// What a handler sees of one attempt of one step.
struct StepContext {
  const workflow::Step& step;
  const std::string& path;         // "send", "emails[2].send", "count#1"
  const store::StepRow* existing;  // the step's row from an earlier attempt, or null
  const Json& scope;               // the expression context: event, run, steps, config, ...
  int attempt;                     // 1-based
  store::RunRow& run;              // the run (a handler may write run.state)
  const workflow::Workflow& workflow;
  RunCursor& cursor;  // a foreach enters a frame
  script::Sandbox& sandbox;
  const ExecutorServices& services;
  StepCommitter& committer;
  // Commits, before an effectful call, that attempt `attempt` of this step has
  // started (the step's row: running, this attempt, and the interruption that
  // stands as its error if nothing replaces it) and the ledger's `entry` under
  // `effect_key`, and renews the run's lease. False: the lease is lost (the step
  // must not run).
  std::function<Result<bool>(const Json& input, const std::string& effect_key, const Json& entry)>
      record_attempt;
  // The rule scripts pinned with the run's workflow version (by path, as `rule:`
  // names them); null: the version pinned none (stored before schema 8), so
  // rules are read from the files.
  const std::map<std::string, script::RuleSource>* rules = nullptr;
  // Told back to the executor:
  bool notify = false;     // new due work (runs started or woken) commits with the step
  bool responded = false;  // a respond step's answer commits with the step

  TimeMs Now() const { return services.clock.Now(); }
  script::CallContext Call() const { return script::CallContext{Now()}; }
  // The transaction the step writes into (begun on first use; in a commit shared
  // with other runs, after a savepoint, so that a failed attempt undoes only its
  // own writes).
  Result<store::Transaction*> Transaction();
};

// The idempotency key of a step: "<installation id>/<run id>/<step path>", the
// same on every attempt and after restarts (ActionContext::idempotency_key, and
// the step's key in the effect ledger).
std::string IdempotencyKey(const ExecutorServices& services, std::int64_t run_id,
                           const std::string& path);

// The key of a `uses` step's effect: IdempotencyKey's, or with the step's own
// `idempotency_key:` rendered in `scope`, "<installation id>/<run id>/key:<text>"
// (one key for every visit of a loop that renders the same text). An error when
// the template fails or renders empty.
Result<std::string> EffectKey(const ExecutorServices& services, std::int64_t run_id,
                              const std::string& path, const workflow::Step& step,
                              script::Sandbox& sandbox, const Json& scope,
                              const script::CallContext& call);

// The error code of an attempt that started and never finished (the engine
// stopped or lost the run's lease while it was in flight).
inline constexpr std::string_view kInterruptedCode = "interrupted";

class StepHandler {
 public:
  virtual ~StepHandler() = default;
  virtual StepOutcome Execute(StepContext& context) const = 0;
  // Whether the step may run inside a transaction shared with other runs (group
  // commit): true unless it may wait on something outside the engine.
  virtual bool Quick(const workflow::Step& /*step*/, const ActionRegistry& /*actions*/) const {
    return true;
  }
};

// The handlers by step kind (the names workflow::KindName gives).
class StepHandlerRegistry {
 public:
  // kAlreadyExists when the kind has a handler.
  Status Register(std::string kind, std::unique_ptr<const StepHandler> handler);
  // nullptr when no handler is registered for `kind`.
  const StepHandler* Find(std::string_view kind) const;

  // The handlers of the built-in step kinds (steps/builtin_steps.cpp).
  static const StepHandlerRegistry& Builtin();

 private:
  std::map<std::string, std::unique_ptr<const StepHandler>, std::less<>> handlers_;
};

}  // namespace storeflow::runtime
