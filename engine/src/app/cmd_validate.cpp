// storeflow validate [--root DIR] [PATH...]: checks workflow files.

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "app/commands.h"
#include "app/engine_config.h"
#include "app/plugin_setup.h"
#include "runtime/workflow_config.h"
#include "script/sandbox.h"
#include "workflow/loader.h"

namespace storeflow::app {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    "usage: storeflow validate [--root DIR] [--config FILE] [--allow-missing-plugins] "
    "[PATH...]\n"
    "  PATH     workflow files or folders (folders are searched for *.yaml and *.yml,\n"
    "           skipping folders named 'schemas'); default: workflows/\n"
    "  --root   the project root that rule: paths are relative to (default: .)\n"
    "  --config the engine config (plugins.dirs, plugins.config): `uses:` steps must name\n"
    "           a built-in action or one of a plugin that loads; its `workflows:` overrides\n"
    "           (and STOREFLOW_WORKFLOW_* variables) must fit the workflows' `config:`\n"
    "  --allow-missing-plugins\n"
    "           an action of a plugin that is not installed is a warning, not an error\n"
    "           (for checking workflows on a machine without the plugins they use)\n";

bool IsWorkflowFile(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

// The workflow files under `dir`, sorted, named as `dir` joined with their relative path.
Status CollectFolder(const fs::path& dir, std::vector<std::string>& files) {
  std::error_code ec;
  std::vector<std::string> found;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return InvalidArgument("cannot read folder " + dir.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return InvalidArgument("cannot read folder " + dir.string() + ": " + ec.message());
    const fs::directory_entry& entry = *it;
    if (entry.is_directory(ec) && entry.path().filename() == "schemas") {
      it.disable_recursion_pending();
      continue;
    }
    if (entry.is_regular_file(ec) && IsWorkflowFile(entry.path())) {
      found.push_back((dir / fs::relative(entry.path(), dir, ec)).string());
    }
  }
  std::sort(found.begin(), found.end());
  files.insert(files.end(), found.begin(), found.end());
  return Status::Ok();
}

// Each problem of the `workflows:` overrides ("<origin>: <message>", the origin a
// file:line:col or "environment NAME") in the compiler style of the workflow
// diagnostics: "<origin>: error: <message>".
std::string ConfigProblemLine(const std::string& problem,
                              const runtime::WorkflowConfigOverrides& overrides) {
  std::vector<std::string> origins;
  for (const auto& [name, values] : overrides.file) {
    for (const auto& [key, value] : values) origins.push_back(value.origin);
  }
  for (const auto& [name, origin] : overrides.file_origins) origins.push_back(origin);
  for (const auto& [name, text] : overrides.env) origins.push_back("environment " + name);
  for (const std::string& origin : origins) {
    if (problem.rfind(origin + ": ", 0) == 0) {
      return origin + ": error: " + problem.substr(origin.size() + 2);
    }
  }
  return "error: " + problem;
}

// The problems of the installation's `workflows:` overrides for the workflows that
// validated: unknown keys and values of the wrong kind, and (`whole_folders`: every
// workflow of the project was read) entries and variables that name no workflow.
std::vector<std::string> CheckWorkflowOverrides(
    const runtime::WorkflowConfigOverrides& overrides,
    const std::vector<std::shared_ptr<const workflow::Workflow>>& loaded, bool whole_folders) {
  std::vector<std::string> lines;
  if (overrides.empty()) return lines;
  std::set<std::string> used_env;
  for (const auto& wf : loaded) {
    auto applied = runtime::ApplyWorkflowConfig(*wf, overrides, true, &used_env);
    if (applied.ok()) continue;
    // "invalid configuration of workflow 'x':" then one problem per indented line.
    std::istringstream message(applied.status().message());
    std::string line;
    std::getline(message, line);
    while (std::getline(message, line)) {
      if (line.rfind("  ", 0) == 0) line = line.substr(2);
      lines.push_back(ConfigProblemLine(line, overrides));
    }
  }
  if (whole_folders) {
    for (const std::string& problem : runtime::UnusedWorkflowConfig(overrides, loaded, used_env)) {
      lines.push_back(ConfigProblemLine(problem, overrides));
    }
  }
  return lines;
}

std::string Plural(std::size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

int RunValidateCommand(const Args& args, std::ostream& out, std::ostream& err) {
  std::string root = ".";
  std::optional<std::string> config_path;
  bool allow_missing_plugins = false;
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      out << kUsage;
      return 0;
    }
    if (arg == "--root") {
      if (i + 1 >= args.size()) {
        err << "storeflow validate: --root needs a folder\n" << kUsage;
        return 2;
      }
      root = args[++i];
    } else if (arg == "--config") {
      if (i + 1 >= args.size()) {
        err << "storeflow validate: --config needs a file\n" << kUsage;
        return 2;
      }
      config_path = args[++i];
    } else if (arg == "--allow-missing-plugins") {
      allow_missing_plugins = true;
    } else if (arg.rfind("--root=", 0) == 0) {
      root = arg.substr(7);
    } else if (arg.size() > 1 && arg[0] == '-') {
      err << "storeflow validate: unknown option " << arg << "\n" << kUsage;
      return 2;
    } else {
      paths.push_back(arg);
    }
  }
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    err << "storeflow validate: --root " << root << " is not a folder\n";
    return 2;
  }
  if (paths.empty())
    paths.push_back(root == "." ? "workflows" : (fs::path(root) / "workflows").string());

  std::vector<std::string> files;
  bool whole_folders = true;  // only folders given: every workflow is read
  for (const std::string& p : paths) {
    if (!fs::is_directory(p, ec)) whole_folders = false;
    if (fs::is_directory(p, ec)) {
      Status s = CollectFolder(p, files);
      if (!s.ok()) {
        err << "storeflow validate: " << s.message() << "\n";
        return 2;
      }
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      err << "storeflow validate: " << p << ": no such file or folder\n";
      return 2;
    }
  }
  if (files.empty()) {
    err << "storeflow validate: no workflow files (*.yaml, *.yml) found\n";
    return 1;
  }

  ConfigSources sources;
  sources.file = config_path;
  auto config = LoadEngineConfig(sources);
  if (!config.ok()) {
    err << "storeflow validate: " << config.status().message() << "\n";
    return 2;
  }
  runtime::ActionRegistry actions;
  // Plugins matter here only through the `uses:` steps that name them: their
  // log lines and load failures are not printed (a used failed plugin is an error).
  PluginSetupOptions plugin_options;
  plugin_options.log = [](std::string_view, std::string_view) {};
  plugin_options.log_failures = false;
  plugin_options.missing_plugin_is_error = !allow_missing_plugins;
  auto plugins = SetUpPlugins(*config, actions, plugin_options);
  if (!plugins.ok()) {
    err << "storeflow validate: " << plugins.status().message() << "\n";
    return 2;
  }

  script::Sandbox sandbox;
  workflow::ValidateOptions options;
  options.check_action = (*plugins)->action_check();
  options.check_source = (*plugins)->source_check();
  options.check_secret = [secrets = (*plugins)->secrets](const std::string& name) {
    return secrets != nullptr && secrets->Find(name) != nullptr;
  };
  options.root = root;
  options.sandbox = &sandbox;
  std::size_t bad_files = 0;
  std::size_t errors = 0;
  std::vector<std::shared_ptr<const workflow::Workflow>> loaded;
  std::map<std::string, std::string> defined_in;  // workflow name -> file (serve refuses two)
  for (const std::string& file : files) {
    workflow::LoadResult result = workflow::LoadWorkflow(file, options);
    for (const workflow::Diagnostic& d : result.diagnostics().items()) out << d.ToString() << "\n";
    if (!result.ok()) {
      ++bad_files;
      errors += result.diagnostics().error_count();
      continue;
    }
    const workflow::Workflow& wf = *result.workflow();
    if (auto [it, fresh] = defined_in.emplace(wf.name, file); !fresh) {
      out << (wf.loc.known() ? wf.loc.ToString() : file) << ": error: workflow '" << wf.name
          << "' is also defined in " << it->second
          << " (one file per workflow: `serve` and a reload refuse the set)\n";
      ++bad_files;
      ++errors;
      continue;
    }
    loaded.push_back(result.workflow());
    out << file << ": ok \u2014 workflow " << wf.name << " v" << wf.version << ", "
        << Plural(wf.triggers.size(), "trigger") << ", " << Plural(wf.StepCount(), "step") << "\n";
  }
  const std::vector<std::string> config_problems =
      CheckWorkflowOverrides(config->workflows, loaded, whole_folders);
  for (const std::string& line : config_problems) out << line << "\n";
  for (const std::string& warning : runtime::WorkflowConfigEnvWarnings(config->workflows)) {
    out << "warning: " << warning << "\n";
  }
  if (bad_files > 0) {
    err << "storeflow validate: " << Plural(errors, "error") << " in " << bad_files << " of "
        << Plural(files.size(), "file") << "\n";
  }
  if (!config_problems.empty()) {
    err << "storeflow validate: " << Plural(config_problems.size(), "error")
        << " in the workflows' config overrides\n";
  }
  return bad_files > 0 || !config_problems.empty() ? 1 : 0;
}

}  // namespace storeflow::app
