// `foreach:` — nested steps over a list. The step enters a cursor frame over the
// items; the executor walks the nested steps once per item and, after the last,
// completes the foreach step with the list of per-item outputs.

#include "runtime/steps/step_handler.h"
#include "workflow/value_template.h"

namespace storeflow::runtime {
namespace {

class ForeachHandler final : public StepHandler {
 public:
  StepOutcome Execute(StepContext& c) const override {
    const auto& foreach = std::get<workflow::ForeachStep>(c.step.kind);
    auto items = workflow::Render(foreach.items, c.sandbox, c.scope, c.Call());
    if (!items.ok()) return StepOutcome::Error(ExpressionError(items.status()));
    if (!items->is_array()) {
      return StepOutcome::Error(
          ActionError::Permanent("invalid_items", "foreach needs a list, got " + items->dump()));
    }
    if (items->empty()) return StepOutcome::Done(Json::array(), {{"count", 0}});
    CursorFrame f;
    f.foreach_id = c.step.id;
    f.foreach_path = c.path;
    f.as = foreach.as;
    f.items = *items;
    f.outputs = Json::array();
    for (std::size_t k = 0; k < items->size(); ++k) f.outputs.push_back(Json::object());
    c.cursor.Enter(std::move(f));
    StepOutcome o = StepOutcome::Of(StepOutcome::Kind::kEntered);
    o.input = {{"count", items->size()}};
    return o;
  }
};

}  // namespace

std::unique_ptr<const StepHandler> MakeForeachStepHandler() {
  return std::make_unique<ForeachHandler>();
}

}  // namespace storeflow::runtime
