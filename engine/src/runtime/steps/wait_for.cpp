// `wait_for:` — the run waits for an event of a topic (and key, and `where`), or
// the timeout (output null). An event published up to wait_lookback before the
// wait was registered still matches.

#include <algorithm>
#include <optional>

#include "runtime/steps/step_handler.h"
#include "workflow/duration_value.h"

namespace storeflow::runtime {
namespace {

bool Truthy(const Json& v) {
  return !(v.is_null() || (v.is_boolean() && !v.get<bool>()));
}

class WaitForHandler final : public StepHandler {
 public:
  StepOutcome Execute(StepContext& c) const override {
    StepOutcome o = WaitFor(c, std::get<workflow::WaitForStep>(c.step.kind));
    o.attempt = 1;
    return o;
  }

 private:
  // The first event of the wait's topic and key since `since` that passes `where`.
  static Result<std::optional<Json>> FindMatch(StepContext& c, const workflow::WaitForStep& wait,
                                               const std::string& expr_id, const std::string& value,
                                               TimeMs since) {
    auto tx = c.Transaction();
    if (!tx.ok()) return tx.status();
    auto ids = (*tx)->FindEventsByKey(wait.event, expr_id, value, since, 0, 100);
    if (!ids.ok()) return ids.status();
    for (std::int64_t id : *ids) {
      auto event = (*tx)->GetEvent(id);
      if (!event.ok()) return event.status();
      if (!event->has_value()) continue;
      if (wait.where) {
        Json candidate = c.scope;
        candidate["event"] = (*event)->payload;
        auto pass = c.sandbox.EvaluateExpression(wait.where->code, candidate,
                                                 wait.where->ChunkName(), c.Call());
        if (!pass.ok()) return pass.status();
        if (!Truthy(*pass)) continue;
      }
      return std::optional<Json>((*event)->payload);
    }
    return std::optional<Json>();
  }

  static StepOutcome WaitFor(StepContext& c, const workflow::WaitForStep& wait) {
    const TimeMs now = c.Now();
    const ExecutorOptions& options = c.services.options;
    const store::StepRow* existing = c.existing;
    const std::string expr_id = ExpressionId(wait.key ? &*wait.key : nullptr);
    const std::string value = wait.key ? c.run.key.value_or("") : "";
    TimeMs since = 0;
    TimeMs expires = 0;
    const bool waiting = existing != nullptr && existing->status == store::StepStatus::kRunning &&
                         existing->input.is_object() && existing->input.contains("expires_at");
    if (waiting) {
      since = existing->input["since"].get<TimeMs>();
      expires = existing->input["expires_at"].get<TimeMs>();
    } else {
      auto timeout = workflow::Resolve(wait.timeout, c.sandbox, c.scope, c.Call());
      if (!timeout.ok()) return StepOutcome::Error(ExpressionError(timeout.status()));
      since = now - options.wait_lookback.count();
      expires = now + timeout->count();
    }
    Json input = {{"topic", wait.event}, {"key", value}, {"since", since}, {"expires_at", expires}};
    auto match = FindMatch(c, wait, expr_id, value, since);
    if (!match.ok()) {
      return StepOutcome::Error(ActionError::Retryable("wait_for", match.status().message()),
                                input);
    }
    store::Transaction& tx = **c.Transaction();  // begun by FindMatch
    if (match->has_value() || now >= expires) {
      Status s = tx.DeleteWait(c.run.id);
      if (!s.ok()) return StepOutcome::Error(ActionError::Retryable("store", s.message()), input);
      return StepOutcome::Done(match->has_value() ? **match : Json(), input);
    }
    store::WaitRow row;
    row.run_id = c.run.id;
    row.step_path = c.path;
    row.topic = wait.event;
    row.expr_id = expr_id;
    row.wait_key = value;
    row.expires_at = expires;
    row.created_at = waiting ? existing->started_at : now;
    Status s = tx.PutWait(row);
    if (!s.ok()) return StepOutcome::Error(ActionError::Retryable("store", s.message()), input);
    // First registration: due again after wait_recheck; afterwards at the timeout.
    const TimeMs due = waiting ? expires : std::min(expires, now + options.wait_recheck.count());
    return StepOutcome::Suspend(store::RunStatus::kWaiting, due, input);
  }
};

}  // namespace

std::unique_ptr<const StepHandler> MakeWaitForStepHandler() {
  return std::make_unique<WaitForHandler>();
}

}  // namespace storeflow::runtime
