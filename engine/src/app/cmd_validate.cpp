// storeflow validate [--root DIR] [PATH...]: checks workflow files.

#include <algorithm>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "app/commands.h"
#include "app/engine_config.h"
#include "app/plugin_setup.h"
#include "script/sandbox.h"
#include "workflow/loader.h"

namespace storeflow::app {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    "usage: storeflow validate [--root DIR] [PATH...]\n"
    "  PATH     workflow files or folders (folders are searched for *.yaml and *.yml,\n"
    "           skipping folders named 'schemas'); default: workflows/\n"
    "  --root   the project root that rule: paths are relative to (default: .)\n"
    "  --config the engine config (plugins.dirs, plugins.config): `uses:` steps must name\n"
    "           a built-in action or one of a plugin that loads\n";

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

std::string Plural(std::size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

int RunValidateCommand(const Args& args, std::ostream& out, std::ostream& err) {
  std::string root = ".";
  std::optional<std::string> config_path;
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
  for (const std::string& p : paths) {
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
  auto plugins = SetUpPlugins(*config, actions, plugin_options);
  if (!plugins.ok()) {
    err << "storeflow validate: " << plugins.status().message() << "\n";
    return 2;
  }

  script::Sandbox sandbox;
  workflow::ValidateOptions options;
  options.check_action = (*plugins)->action_check();
  options.root = root;
  options.sandbox = &sandbox;
  std::size_t bad_files = 0;
  std::size_t errors = 0;
  for (const std::string& file : files) {
    workflow::LoadResult result = workflow::LoadWorkflow(file, options);
    for (const workflow::Diagnostic& d : result.diagnostics().items()) out << d.ToString() << "\n";
    if (!result.ok()) {
      ++bad_files;
      errors += result.diagnostics().error_count();
      continue;
    }
    const workflow::Workflow& wf = *result.workflow();
    out << file << ": ok \u2014 workflow " << wf.name << " v" << wf.version << ", "
        << Plural(wf.triggers.size(), "trigger") << ", " << Plural(wf.StepCount(), "step") << "\n";
  }
  if (bad_files > 0) {
    err << "storeflow validate: " << Plural(errors, "error") << " in " << bad_files << " of "
        << Plural(files.size(), "file") << "\n";
    return 1;
  }
  return 0;
}

}  // namespace storeflow::app
