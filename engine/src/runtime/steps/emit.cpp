// `emit:` — an internal event, published in the step's own transaction: the runs
// it starts and the waits it wakes commit atomically with the step.

#include "runtime/steps/step_handler.h"
#include "workflow/value_template.h"

namespace storeflow::runtime {
namespace {

class EmitHandler final : public StepHandler {
 public:
  StepOutcome Execute(StepContext& c) const override {
    const auto& emit = std::get<workflow::EmitStep>(c.step.kind);
    auto data = workflow::Render(emit.data, c.sandbox, c.scope, c.Call());
    if (!data.ok()) return StepOutcome::Error(ExpressionError(data.status()));
    Json payload = data->is_null() ? Json::object() : *data;
    auto tx = c.Transaction();
    if (!tx.ok()) {
      return StepOutcome::Error(ActionError::Retryable("store", tx.status().message()), payload);
    }
    store::EventRow event;
    event.topic = emit.event;
    event.source = "emit";
    event.payload = payload;
    event.meta = {{"run_id", c.run.id}};
    auto published = c.services.router.Publish(**tx, event, c.sandbox, c.Now());
    if (!published.ok()) {
      return StepOutcome::Error(ActionError::Retryable("emit", published.status().message()),
                                payload);
    }
    if (!published->runs.empty() || !published->woken.empty()) c.notify = true;
    return StepOutcome::Done(
        {{"event_id", published->event_id ? Json(*published->event_id) : Json()},
         {"runs", published->runs}},
        payload);
  }
};

}  // namespace

std::unique_ptr<const StepHandler> MakeEmitStepHandler() {
  return std::make_unique<EmitHandler>();
}

}  // namespace storeflow::runtime
