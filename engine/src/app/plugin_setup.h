#pragma once

// Plugins and secrets for the commands (validate, run, serve, plugins): one
// place that reads the config, loads the secrets, registers the built-in
// actions, loads the plugins and builds the `uses:` check for the validator.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/engine_config.h"
#include "common/result.h"
#include "plugin/plugin_host.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/secrets.h"
#include "store/store.h"
#include "workflow/model.h"
#include "workflow/validator.h"

namespace storeflow::app {

struct PluginSetupOptions {
  store::Store* store = nullptr;    // null: plugins get no key/value store (validate)
  runtime::Clock* clock = nullptr;  // null: the system clock
  runtime::ActionLogger log;        // the engine log (null: stderr)
  bool log_failures = true;         // a warning line per plugin that failed to load
  // An action of a plugin that is not installed at all: an error (`validate`,
  // unless --allow-missing-plugins) instead of a warning (`serve`, `run`).
  bool missing_plugin_is_error = false;
};

struct PluginSetup {
  std::shared_ptr<const runtime::SecretStore> secrets;
  std::unique_ptr<plugin::PluginHost> host;
  const runtime::ActionRegistry* actions = nullptr;

  std::vector<std::filesystem::path> dirs;  // where plugins were looked for
  bool missing_plugin_is_error = false;     // PluginSetupOptions'

  // For ValidateOptions::check_action and WorkflowCatalog::set_action_check. An
  // error for: an action of a plugin that failed to load ("workflow 'W' step 'S'
  // uses 'x' of plugin 'p', which failed to load: <its error>"), an action an
  // installed plugin does not have, a name close to a known action (did you
  // mean), a name without a plugin prefix. A warning for an action of a plugin
  // that is not installed at all (the step fails when it runs), or an error when
  // missing_plugin_is_error. For a known
  // action, `with:` keys are checked against its input schema: a missing
  // required input (at `uses:`), an unknown one where the schema allows no
  // others (at the key, with a did-you-mean).
  std::vector<workflow::ActionProblem> CheckAction(const workflow::Workflow& workflow,
                                                   const workflow::Step& step,
                                                   const std::string& action) const;
  std::function<std::vector<workflow::ActionProblem>(const workflow::Workflow&,
                                                     const workflow::Step&, const std::string&)>
  action_check() const;
  // For ValidateOptions::check_source: PluginHost::SourceProblem.
  std::function<std::string(const std::string&)> source_check() const;
};

// The plugin folders: plugins.dirs, else DefaultPluginDirs(this executable).
std::vector<std::filesystem::path> PluginDirs(const EngineConfig& config);
// An installed storeflow's plugin folder (<prefix>/lib/storeflow/plugins,
// app/install_layout.h) when it exists, else <folder of exe>/../plugins (where a
// build tree has them).
std::vector<std::filesystem::path> DefaultPluginDirs(const std::filesystem::path& exe);

// Loads secrets (refusing an unsafe secrets.file), registers the built-ins and
// every plugin that loads into `actions`. Fails only for secrets or built-ins:
// plugin failures are kept in host->plugins().
Result<std::unique_ptr<PluginSetup>> SetUpPlugins(const EngineConfig& config,
                                                  runtime::ActionRegistry& actions,
                                                  const PluginSetupOptions& options);

}  // namespace storeflow::app
