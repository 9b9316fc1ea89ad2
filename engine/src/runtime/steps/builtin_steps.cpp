// The registration of the built-in step kinds. A new kind is one file in this
// folder (its handler and its factory) and one line here.

#include "runtime/steps/step_handler.h"

namespace storeflow::runtime {

std::unique_ptr<const StepHandler> MakeUsesStepHandler();
std::unique_ptr<const StepHandler> MakeRuleStepHandler();
std::unique_ptr<const StepHandler> MakeSleepStepHandler();
std::unique_ptr<const StepHandler> MakeWaitForStepHandler();
std::unique_ptr<const StepHandler> MakeEmitStepHandler();
std::unique_ptr<const StepHandler> MakeRespondStepHandler();
std::unique_ptr<const StepHandler> MakeForeachStepHandler();
std::unique_ptr<const StepHandler> MakeFailStepHandler();

const StepHandlerRegistry& StepHandlerRegistry::Builtin() {
  static const StepHandlerRegistry* const kRegistry = [] {
    auto* r = new StepHandlerRegistry;
    Status s = r->Register("uses", MakeUsesStepHandler());
    if (s.ok()) s = r->Register("rule", MakeRuleStepHandler());
    if (s.ok()) s = r->Register("sleep", MakeSleepStepHandler());
    if (s.ok()) s = r->Register("wait_for", MakeWaitForStepHandler());
    if (s.ok()) s = r->Register("emit", MakeEmitStepHandler());
    if (s.ok()) s = r->Register("respond", MakeRespondStepHandler());
    if (s.ok()) s = r->Register("foreach", MakeForeachStepHandler());
    if (s.ok()) s = r->Register("fail", MakeFailStepHandler());
    return r;  // each kind once: Register cannot fail here
  }();
  return *kRegistry;
}

}  // namespace storeflow::runtime
