// `sleep:` — the run sleeps for a duration or until a time. The wake time is kept
// in the step's input, so a run woken early (or re-claimed) sleeps on.

#include "common/timezone.h"
#include "runtime/steps/step_handler.h"
#include "script/time_text.h"
#include "workflow/duration_value.h"
#include "workflow/template.h"

namespace storeflow::runtime {
namespace {

class SleepHandler final : public StepHandler {
 public:
  StepOutcome Execute(StepContext& c) const override {
    StepOutcome o = Sleep(c, std::get<workflow::SleepStep>(c.step.kind));
    o.attempt = 1;
    return o;
  }

 private:
  static StepOutcome Sleep(StepContext& c, const workflow::SleepStep& sleep) {
    const TimeMs now = c.Now();
    const store::StepRow* existing = c.existing;
    if (existing != nullptr && existing->status == store::StepStatus::kRunning &&
        existing->input.is_object() && existing->input.contains("wake_at")) {
      const TimeMs wake = existing->input["wake_at"].get<TimeMs>();
      if (now >= wake) return StepOutcome::Done(Json(), existing->input);
      return StepOutcome::Suspend(store::RunStatus::kSleeping, wake, existing->input);
    }
    TimeMs wake = now;
    if (sleep.duration) {
      auto d = workflow::Resolve(*sleep.duration, c.sandbox, c.scope, c.Call());
      if (!d.ok()) return StepOutcome::Error(ExpressionError(d.status()));
      wake = now + d->count();
    } else if (sleep.until) {
      auto v = workflow::Evaluate(*sleep.until, c.sandbox, c.scope, c.Call());
      if (!v.ok()) return StepOutcome::Error(ExpressionError(v.status()));
      if (v->is_number()) {
        wake = static_cast<TimeMs>(v->get<double>() * 1000);
      } else if (v->is_string()) {
        std::int64_t ms = 0;
        if (!script::ParseIsoTimestamp(v->get<std::string>(), *TimeZone::Utc(), &ms)) {
          return StepOutcome::Error(ActionError::Permanent(
              "invalid_until", "sleep until: not an ISO-8601 time: " + v->get<std::string>()));
        }
        wake = ms;
      } else {
        return StepOutcome::Error(ActionError::Permanent(
            "invalid_until", "sleep until: expected an ISO-8601 time or unix seconds"));
      }
    }
    Json input = {{"wake_at", wake}};
    if (wake <= now) return StepOutcome::Done(Json(), input);
    return StepOutcome::Suspend(store::RunStatus::kSleeping, wake, input);
  }
};

}  // namespace

std::unique_ptr<const StepHandler> MakeSleepStepHandler() {
  return std::make_unique<SleepHandler>();
}

}  // namespace storeflow::runtime
