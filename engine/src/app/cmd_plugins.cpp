// `storeflow plugins list [--config FILE] [--json]`: every plugin found (name,
// version, ABI, path, actions; a plugin that failed to load with its error).
// `storeflow plugins describe NAME [--config FILE]`: a plugin's config schema, event
// sources and actions (`builtin` for the compiled-in ones), or one action, with input
// schemas and examples.

#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/engine_config.h"
#include "app/plugin_setup.h"
#include "common/did_you_mean.h"

namespace storeflow::app {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kUsage =
    "usage: storeflow plugins list [--config FILE] [--json]\n"
    "       storeflow plugins describe NAME [--config FILE]   (NAME: a plugin, `builtin` or an "
    "action)\n";

constexpr std::string_view kBuiltin = "builtin";

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string Indent(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  std::string out;
  while (std::getline(in, line)) out += prefix + line + "\n";
  return out;
}

// The built-in actions: those registered that no plugin provides.
std::vector<std::string> BuiltinActions(const PluginSetup& setup) {
  std::set<std::string> from_plugins;
  for (const auto& info : setup.host->plugins()) {
    if (info.loaded()) from_plugins.insert(info.actions.begin(), info.actions.end());
  }
  std::vector<std::string> names;
  for (const std::string& name : setup.actions->Names()) {
    if (from_plugins.count(name) == 0) names.push_back(name);
  }
  return names;
}

std::vector<std::string> SourceNames(const plugin::PluginInfo& info) {
  std::vector<std::string> names;
  for (const Json& source : info.sources) names.push_back(source.value("name", ""));
  return names;
}

void DescribeAction(const runtime::Action& action, std::ostream& out) {
  out << action.name();
  if (!action.description().empty()) out << " \u2014 " << action.description();
  out << "\n";
  const Json schema = action.input_schema();
  out << "  input schema (with:):\n"
      << Indent(schema.is_null() ? std::string("(none declared)") : schema.dump(2), "    ");
  const Json examples = action.examples();
  if (examples.is_array() && !examples.empty()) {
    out << "  examples:\n";
    for (const Json& example : examples) {
      out << "    - uses: " << action.name() << "\n      with: " << example.dump() << "\n";
    }
  }
}

int List(const PluginSetup& setup, bool json, std::ostream& out, std::ostream& err) {
  const auto builtins = BuiltinActions(setup);
  if (json) {
    Json list = Json::array();
    list.push_back({{"name", kBuiltin}, {"loaded", true}, {"actions", builtins}});
    for (const auto& info : setup.host->plugins()) {
      Json item = {{"name", info.name},       {"version", info.version},
                   {"abi", info.abi},         {"path", info.path},
                   {"loaded", info.loaded()}, {"actions", info.actions},
                   {"sources", info.sources}, {"description", info.description}};
      if (!info.loaded()) item["error"] = info.error.message();
      list.push_back(std::move(item));
    }
    out << list.dump(2) << "\n";
  } else {
    out << kBuiltin << " (compiled in)\n  actions: " << Join(builtins) << "\n";
    for (const auto& info : setup.host->plugins()) {
      out << info.name << " " << (info.version.empty() ? "?" : info.version) << " (ABI "
          << (info.abi.empty() ? "?" : info.abi) << ") " << (info.loaded() ? "loaded" : "FAILED")
          << "\n  path: " << info.path << "\n";
      if (!info.actions.empty()) out << "  actions: " << Join(info.actions) << "\n";
      if (!info.sources.empty()) out << "  sources: " << Join(SourceNames(info)) << "\n";
      if (!info.loaded()) out << Indent(info.error.message(), "  error: ");
    }
  }
  for (const std::string& warning : setup.host->warnings()) {
    err << "storeflow plugins: warning: " << warning << "\n";
  }
  return 0;
}

int Describe(const PluginSetup& setup, const std::string& name, std::ostream& out,
             std::ostream& err) {
  if (name == kBuiltin) {
    out << "builtin actions (compiled in)\n\n";
    for (const std::string& action : BuiltinActions(setup)) {
      DescribeAction(*setup.actions->Find(action), out);
      out << "\n";
    }
    return 0;
  }
  if (const plugin::PluginInfo* info = setup.host->Find(name)) {
    out << "plugin " << info->name << " " << info->version << " (ABI " << info->abi << ")";
    if (!info->description.empty()) out << " \u2014 " << info->description;
    out << "\n  path: " << info->path << "\n\n";
    if (!info->loaded()) {
      err << "storeflow plugins: plugin '" << name << "' failed to load: " << info->error.message()
          << "\n";
      return 1;
    }
    out << "config (plugins.config." << info->name << "):\n"
        << Indent(info->config_schema.is_null() ? std::string("(takes none)")
                                                : info->config_schema.dump(2),
                  "    ")
        << "\n";
    for (const Json& source : info->sources) {
      out << "source " << source.value("name", "") << " (`queue: " << source.value("name", "")
          << "/<topic>` triggers)";
      const std::string about = source.value("description", "");
      if (!about.empty()) out << " \u2014 " << about;
      out << "\n\n";
    }
    for (const std::string& action : info->actions) {
      if (const runtime::Action* a = setup.actions->Find(action)) {
        DescribeAction(*a, out);
        out << "\n";
      }
    }
    return 0;
  }
  if (const runtime::Action* action = setup.actions->Find(name)) {
    DescribeAction(*action, out);
    return 0;
  }
  std::vector<std::string> names = {std::string(kBuiltin)};
  for (const auto& info : setup.host->plugins()) names.push_back(info.name);
  for (const std::string& action : setup.actions->Names()) names.push_back(action);
  err << "storeflow plugins: no plugin or action named '" << name << "'"
      << ValidChoicesHint(name, names, "known") << "\n";
  return 1;
}

}  // namespace

int RunPluginsCommand(const Args& input, std::ostream& out, std::ostream& err) {
  Args args = input;
  const auto config_path = TakeOption(args, "--config");
  bool json = false;
  for (auto it = args.begin(); it != args.end();) {
    if (*it == "--json") {
      json = true;
      it = args.erase(it);
    } else {
      ++it;
    }
  }
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string verb = args[0];
  if (verb != "list" && verb != "describe") {
    err << "storeflow plugins: unknown sub-command '" << verb << "'\n" << kUsage;
    return 2;
  }
  if (verb == "list" && args.size() != 1) {
    err << "storeflow plugins list: unexpected argument '" << args[1] << "'\n" << kUsage;
    return 2;
  }
  if (verb == "describe" && args.size() != 2) {
    err << "storeflow plugins describe: name one plugin or action\n" << kUsage;
    return 2;
  }
  if (config_path && config_path->empty()) {
    err << "storeflow plugins: --config needs a file\n" << kUsage;
    return 2;
  }
  ConfigSources sources;
  if (config_path) sources.file = *config_path;
  auto config = LoadEngineConfig(sources);
  if (!config.ok()) {
    err << "storeflow plugins: " << config.status().message() << "\n";
    return 2;
  }
  runtime::ActionRegistry actions;
  PluginSetupOptions options;
  options.log_failures = false;  // the listing shows them
  options.log = [&err](std::string_view level, std::string_view message) {
    if (level == "warn" || level == "error") err << "[" << level << "] " << message << "\n";
  };
  auto setup = SetUpPlugins(*config, actions, options);
  if (!setup.ok()) {
    err << "storeflow plugins: " << setup.status().message() << "\n";
    return 1;
  }
  if (verb == "list") return List(**setup, json, out, err);
  return Describe(**setup, args[1], out, err);
}

}  // namespace storeflow::app
