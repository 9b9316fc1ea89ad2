#include "plugin/plugin_action.h"

#include <exception>

#include "common/json_schema.h"

namespace storeflow::plugin {

PluginAction::PluginAction(std::shared_ptr<LoadedPlugin> plugin, ActionSpec spec)
    : plugin_(std::move(plugin)), spec_(std::move(spec)) {}

runtime::ActionResult PluginAction::Invoke(const runtime::Json& input,
                                           const runtime::ActionContext& context) {
  try {
    if (spec_.input) {
      const auto violations = spec_.input->Validate(input);
      if (!violations.empty()) {
        return runtime::ActionError::Permanent(
            "invalid_input", "input of action '" + spec_.name +
                                 "' does not match its schema: " + DescribeViolations(violations));
      }
    }
    runtime::ActionResult result = plugin_->Invoke(spec_.name, input, context);
    if (result.ok() && spec_.output) {
      // The output schema is a promise to the workflows that read the output.
      const auto violations = spec_.output->Validate(result.output());
      if (!violations.empty()) {
        return runtime::ActionError::Permanent(
            "invalid_output",
            "output of action '" + spec_.name +
                "' does not match its output_schema: " + DescribeViolations(violations));
      }
    }
    return result;
  } catch (const std::exception& e) {
    return runtime::ActionError::Permanent("plugin_host",
                                           "action '" + spec_.name + "': " + e.what());
  } catch (...) {
    return runtime::ActionError::Permanent("plugin_host",
                                           "action '" + spec_.name + "': unknown exception");
  }
}

}  // namespace storeflow::plugin
