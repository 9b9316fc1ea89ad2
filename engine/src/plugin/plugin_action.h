#pragma once

// A plugin's action as a runtime::Action: checks the input against the action's
// input_schema (a permanent `invalid_input` error naming the JSON path), invokes
// the plugin, and checks a successful output against the output_schema when the
// action declares one (a permanent `invalid_output` error).

#include <memory>
#include <string>

#include "plugin/loaded_plugin.h"
#include "plugin/plugin_manifest.h"
#include "runtime/action.h"

namespace storeflow::plugin {

class PluginAction final : public runtime::Action {
 public:
  PluginAction(std::shared_ptr<LoadedPlugin> plugin, ActionSpec spec);

  std::string_view name() const override { return spec_.name; }
  std::string description() const override { return spec_.description; }
  runtime::Json input_schema() const override { return spec_.input_schema; }
  runtime::Json examples() const override { return spec_.examples; }
  runtime::ActionResult Invoke(const runtime::Json& input,
                               const runtime::ActionContext& context) override;

 private:
  std::shared_ptr<LoadedPlugin> plugin_;
  ActionSpec spec_;
};

}  // namespace storeflow::plugin
