// `respond:` — the answer to an `http` trigger's caller, kept in the run's state
// (state.response; also the run's output when it completes). The caller is told
// only after the step's commit.

#include "runtime/respond_headers.h"
#include "runtime/steps/step_handler.h"
#include "workflow/value_template.h"

namespace storeflow::runtime {
namespace {

class RespondHandler final : public StepHandler {
 public:
  StepOutcome Execute(StepContext& c) const override {
    const auto& respond = std::get<workflow::RespondStep>(c.step.kind);
    auto status = workflow::Render(respond.status, c.sandbox, c.scope, c.Call());
    if (!status.ok()) return StepOutcome::Error(ExpressionError(status.status()));
    auto headers = workflow::Render(respond.headers, c.sandbox, c.scope, c.Call());
    if (!headers.ok()) return StepOutcome::Error(ExpressionError(headers.status()));
    if (auto bad = CheckRespondHeaders(*headers)) return StepOutcome::Error(*bad);
    auto body = workflow::Render(respond.body, c.sandbox, c.scope, c.Call());
    if (!body.ok()) return StepOutcome::Error(ExpressionError(body.status()));
    Json response = {{"status", status->is_null() ? Json(200) : *status},
                     {"headers", headers->is_null() ? Json::object() : *headers},
                     {"body", *body}};
    c.run.state["response"] = response;
    c.responded = true;
    return StepOutcome::Done(response);
  }
};

}  // namespace

std::unique_ptr<const StepHandler> MakeRespondStepHandler() {
  return std::make_unique<RespondHandler>();
}

}  // namespace storeflow::runtime
