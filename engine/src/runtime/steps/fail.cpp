// `fail:` — the run fails at once with the rendered message (a dead letter).

#include "runtime/steps/step_handler.h"
#include "workflow/template.h"

namespace storeflow::runtime {
namespace {

class FailHandler final : public StepHandler {
 public:
  StepOutcome Execute(StepContext& c) const override {
    const auto& fail = std::get<workflow::FailStep>(c.step.kind);
    auto message = workflow::RenderString(fail.message, c.sandbox, c.scope, c.Call());
    StepOutcome o = StepOutcome::Of(StepOutcome::Kind::kFailRun);
    o.error = ActionError::Permanent("fail", message.ok() ? *message : message.status().message());
    return o;
  }
};

}  // namespace

std::unique_ptr<const StepHandler> MakeFailStepHandler() {
  return std::make_unique<FailHandler>();
}

}  // namespace storeflow::runtime
