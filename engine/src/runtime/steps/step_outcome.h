#pragma once

// What came of one attempt of a step: the executor turns it into the step's row,
// the run's status and the cursor's next position.

#include <string>
#include <utility>

#include "runtime/action.h"
#include "store/store.h"

namespace storeflow::runtime {

struct StepOutcome {
  enum class Kind {
    kDone,     // output; the cursor moves past the step (its `then`)
    kSkipped,  // `if:` was false
    kError,    // retried by the step's policy, then `on_error`
    kSuspend,  // the run sleeps or waits until due_at; the step stays running
    kFailRun,  // the run fails at once (a `fail` step)
    kEntered,  // a foreach entered its first item; the step stays running
    // The run's lease was lost while the step was in flight: its result is
    // dropped (whoever holds the run now decides what happens to the step).
    kAbandoned,
  };
  Kind kind = Kind::kDone;
  Json output;
  Json input;  // the step's input (row input)
  ActionError error;
  store::RunStatus suspend_status = store::RunStatus::kSleeping;
  TimeMs due_at = 0;
  int attempt = 0;  // 0: the attempt the executor counted
  // An effectful step's key in the effect ledger: its outcome is recorded there
  // with the step's result ("" when the step has no ledger entry).
  std::string effect_key;

  static StepOutcome Done(Json output, Json input = Json()) {
    StepOutcome o;
    o.output = std::move(output);
    o.input = std::move(input);
    return o;
  }
  static StepOutcome Error(ActionError error, Json input = Json()) {
    StepOutcome o;
    o.kind = Kind::kError;
    o.error = std::move(error);
    o.input = std::move(input);
    return o;
  }
  static StepOutcome Suspend(store::RunStatus status, TimeMs due, Json input) {
    StepOutcome o;
    o.kind = Kind::kSuspend;
    o.suspend_status = status;
    o.due_at = due;
    o.input = std::move(input);
    return o;
  }
  static StepOutcome Of(Kind kind) {
    StepOutcome o;
    o.kind = kind;
    return o;
  }
};

// The permanent error of an expression that failed to evaluate.
inline ActionError ExpressionError(const Status& status) {
  ActionError error = ActionError::Permanent("expression", status.message());
  error.time_limit = status.code() == StatusCode::kDeadlineExceeded;
  return error;
}

}  // namespace storeflow::runtime
