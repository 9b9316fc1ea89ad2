#include "app/plugin_setup.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <system_error>

#include "app/install_layout.h"
#include "common/did_you_mean.h"
#include "runtime/http_action.h"
#include "workflow/value_template.h"

extern char** environ;

namespace storeflow::app {

namespace fs = std::filesystem;

std::vector<fs::path> PluginDirs(const EngineConfig& config) {
  std::vector<fs::path> dirs;
  for (const std::string& dir : config.plugins.dirs) dirs.emplace_back(dir);
  if (!dirs.empty()) return dirs;
  if (const auto exe = ThisExecutable()) return DefaultPluginDirs(*exe);
  return dirs;
}

std::vector<fs::path> DefaultPluginDirs(const fs::path& exe) {
  std::error_code ec;
  const fs::path installed = LayoutOf(exe).plugin_dir;
  if (fs::is_directory(installed, ec)) return {installed};
  return {(exe.parent_path().parent_path() / "plugins").lexically_normal()};
}

namespace {

// The `with:` keys of a uses step against the action's input schema: required
// inputs that are missing, and keys the schema does not allow. Only the top
// level, and only when `with:` is written as a map (not one `${{ }}` value).
void CheckWith(const std::string& action, const nlohmann::json& schema,
               const workflow::ValueTemplate& with, std::vector<workflow::ActionProblem>& out) {
  if (!schema.is_object() || schema.value("type", nlohmann::json()) != "object") return;
  const auto* entries = std::get_if<workflow::ValueTemplate::Object>(&with.value());
  if (entries == nullptr && !with.is_null()) return;  // a whole-value template
  std::vector<std::string> written;
  if (entries != nullptr) {
    for (const auto& [key, value] : *entries) written.push_back(key);
  }
  if (schema.contains("required") && schema["required"].is_array()) {
    std::vector<std::string> required;
    for (const auto& name : schema["required"]) {
      if (name.is_string()) required.push_back(name.get<std::string>());
    }
    std::string list;
    for (const std::string& name : required) list += (list.empty() ? "" : ", ") + name;
    for (const std::string& name : required) {
      if (std::find(written.begin(), written.end(), name) != written.end()) continue;
      out.push_back({"action '" + action + "' needs the input '" + name +
                         "' in with: (required: " + list + ")",
                     false,
                     {}});
    }
  }
  const nlohmann::json additional = schema.value("additionalProperties", nlohmann::json(true));
  if (entries == nullptr || !schema.contains("properties") || !schema["properties"].is_object() ||
      !additional.is_boolean() || additional.get<bool>()) {
    return;
  }
  std::vector<std::string> names;
  for (const auto& [name, sub] : schema["properties"].items()) names.push_back(name);
  for (const auto& [key, value] : *entries) {
    if (schema["properties"].contains(key)) continue;
    out.push_back({"unknown input '" + key + "' of action '" + action + "'" +
                       ValidChoicesHint(key, names, "valid inputs"),
                   false, value.loc()});
  }
}

}  // namespace

std::vector<workflow::ActionProblem> PluginSetup::CheckAction(const workflow::Workflow& workflow,
                                                              const workflow::Step& step,
                                                              const std::string& action) const {
  std::vector<workflow::ActionProblem> problems;
  if (const runtime::Action* known = actions != nullptr ? actions->Find(action) : nullptr) {
    if (const auto* uses = std::get_if<workflow::UsesStep>(&step.kind)) {
      CheckWith(action, known->input_schema(), uses->with, problems);
    }
    return problems;
  }
  if (host) {
    if (const plugin::PluginInfo* failed = host->FailedProviderOf(action)) {
      problems.push_back({"workflow '" + workflow.name + "' step '" + step.id + "' uses '" +
                              action + "' of plugin '" + failed->name +
                              "', which failed to load: " + failed->error.message(),
                          false,
                          {}});
      return problems;
    }
  }
  const std::vector<std::string> names =
      actions != nullptr ? actions->Names() : std::vector<std::string>();
  const std::string unknown =
      "unknown action '" + action + "'" + ValidChoicesHint(action, names, "known actions");
  const auto dot = action.find('.');
  if (dot == std::string::npos || dot == 0 || ClosestMatch(action, names)) {
    problems.push_back({unknown, false, {}});
    return problems;
  }
  const std::string plugin = action.substr(0, dot);
  if (host && host->Find(plugin) != nullptr) {
    problems.push_back(
        {unknown + " (plugin '" + plugin + "' is installed but has no such action)", false, {}});
    return problems;
  }
  std::string folders;
  for (const auto& dir : dirs) folders += (folders.empty() ? "" : ", ") + dir.string();
  const std::string missing =
      "action '" + action + "' of step '" + step.id + "': no plugin '" + plugin +
      "' is installed (plugin folders: " + (folders.empty() ? "none" : folders) + ")";
  if (missing_plugin_is_error) {
    problems.push_back({missing + "; install it or add its folder to plugins.dirs (--allow-missing-"
                                  "plugins: a warning instead, and the step fails when it runs)",
                        false,
                        {}});
  } else {
    problems.push_back({missing + "; the step fails when it runs", true, {}});
  }
  return problems;
}

std::function<std::vector<workflow::ActionProblem>(const workflow::Workflow&, const workflow::Step&,
                                                   const std::string&)>
PluginSetup::action_check() const {
  return [this](const workflow::Workflow& wf, const workflow::Step& step,
                const std::string& action) { return CheckAction(wf, step, action); };
}

std::function<std::string(const std::string&)> PluginSetup::source_check() const {
  return [this](const std::string& source) {
    return host != nullptr ? host->SourceProblem(source)
                           : "no plugins are loaded, so no source named '" + source + "'";
  };
}

Result<std::unique_ptr<PluginSetup>> SetUpPlugins(const EngineConfig& config,
                                                  runtime::ActionRegistry& actions,
                                                  const PluginSetupOptions& options) {
  auto setup = std::make_unique<PluginSetup>();
  auto secrets = runtime::SecretStore::Load(config.secrets_file, environ);
  if (!secrets.ok()) return secrets.status();
  setup->secrets = *secrets;
  runtime::HttpClientOptions http;
  auto egress = runtime::EgressPolicy::FromAllowList(config.http_client.allow_hosts);
  if (!egress.ok()) return egress.status().WithContext("http_client.allow_hosts");
  http.egress = std::move(*egress);
  http.max_response_bytes = config.http_client.max_response_bytes;
  http.total_timeout = config.http_client.total_timeout;
  STOREFLOW_RETURN_IF_ERROR(runtime::RegisterBuiltinActions(actions, http));

  plugin::PluginHostOptions host_options;
  setup->dirs = PluginDirs(config);
  setup->missing_plugin_is_error = options.missing_plugin_is_error;
  host_options.dirs = setup->dirs;
  host_options.configs = config.plugins.configs;
  host_options.config_locations = config.plugins.config_locations;
  host_options.store = options.store;
  host_options.clock = options.clock;
  host_options.secrets = setup->secrets;
  host_options.log = options.log;
  host_options.template_limits = config.lua;
  host_options.isolate = config.plugins.isolate;
  host_options.isolation.max_processes = config.plugins.isolated_processes;
  host_options.public_url = config.http.public_url;
  setup->host = std::make_unique<plugin::PluginHost>(std::move(host_options));
  setup->host->LoadAll(actions);
  if (options.log_failures) {
    std::vector<std::string> lines;
    for (const std::string& warning : setup->host->warnings()) {
      // A missing default folder is normal (plugins not built); a configured one is not.
      if (config.plugins.dirs.empty() && warning.rfind("plugin folder ", 0) == 0) continue;
      lines.push_back(warning);
    }
    for (const plugin::PluginInfo& info : setup->host->plugins()) {
      if (!info.loaded()) {
        lines.push_back("plugin '" + info.name + "' failed to load: " + info.error.message());
      }
    }
    for (const std::string& line : lines) {
      if (options.log) {
        options.log("warn", line);
      } else {
        std::cerr << "[warn] " << line << "\n";
      }
    }
  }
  setup->actions = &actions;
  return setup;
}

}  // namespace storeflow::app
