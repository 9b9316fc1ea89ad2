// `rule:` — a pure Lua function: the rendered `with:` in, its value out.

#include "runtime/steps/step_handler.h"
#include "workflow/value_template.h"

namespace storeflow::runtime {
namespace {

class RuleHandler final : public StepHandler {
 public:
  StepOutcome Execute(StepContext& c) const override {
    const auto& rule = std::get<workflow::RuleStep>(c.step.kind);
    auto input = workflow::Render(rule.with, c.sandbox, c.scope, c.Call());
    if (!input.ok()) return StepOutcome::Error(ExpressionError(input.status()));
    auto output = c.sandbox.CallRule(rule.script, rule.function, *input, c.Call());
    if (!output.ok()) {
      ActionError error = ActionError::Permanent("rule", output.status().message());
      error.time_limit = output.status().code() == StatusCode::kDeadlineExceeded;
      return StepOutcome::Error(std::move(error), *input);
    }
    return StepOutcome::Done(*output, *input);
  }
};

}  // namespace

std::unique_ptr<const StepHandler> MakeRuleStepHandler() {
  return std::make_unique<RuleHandler>();
}

}  // namespace storeflow::runtime
