#pragma once

// Hot reload of a serving engine's workflows (and the rule scripts they call):
// what `storeflow serve` does on SIGHUP and on POST /api/v1/workflows/reload.
//
// A reload reads the whole workflows folder again and validates it as serve's
// start does (every file, the rule scripts, the plugin actions and event sources,
// the secrets of http triggers' auth, the config overrides, the http routes).
// Only a set without errors is installed, all at once: new and changed
// workflows get a new stored version that new runs start on; a workflow whose
// file is gone stops taking events; runs in flight stay on the version (and the
// rule texts) they started with. A set with errors changes nothing and the
// errors are reported. Then the REST routes, the schedules and the plugin event
// sources (`queue:` triggers) follow the new set. Reloads are serialized.
//
// The engine configuration is read at start only: the listen address, the
// plugins, secrets, webhook sources and `workflows:` overrides need a restart
// (a reload says so when the config file changed since the start).

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "runtime/workflow_catalog.h"

namespace storeflow::runtime {
class Engine;
}  // namespace storeflow::runtime
namespace storeflow::http {
class Surface;
}  // namespace storeflow::http
namespace storeflow::plugin {
class PluginHost;
}  // namespace storeflow::plugin

namespace storeflow::app {

// The *.yaml and *.yml files directly in `folder`, sorted.
Result<std::vector<std::string>> ListWorkflowFiles(const std::string& folder);

struct ReloadReport {
  enum class Outcome {
    kReloaded,   // the new set is installed
    kUnchanged,  // the folder holds the versions already current: nothing done
    kRejected,   // the new set has errors: the old set is still served
    kFailed,     // the store (or the router) failed: the old set is still served
  };
  Outcome outcome = Outcome::kUnchanged;
  // kRejected / kFailed: one problem per line ("file:line:col: error: message").
  std::vector<std::string> errors;
  runtime::CatalogChanges changes;
  // The current workflows after the reload: name, version, hash.
  std::vector<std::shared_ptr<const runtime::LoadedWorkflow>> workflows;
  // kReloaded: what did not follow the new set (schedules, event sources).
  std::vector<std::string> warnings;
  // What a reload cannot do (a changed engine configuration).
  std::vector<std::string> notes;

  std::string_view result() const;  // "reloaded", "unchanged", "rejected", "failed"
  // 200 (reloaded, unchanged), 422 (rejected), 503 (failed).
  int http_status() const;
  nlohmann::json ToJson() const;
  // One line for the log: "reload: reloaded (changed: a; added: b) ...".
  std::string Summary() const;
};

struct ReloadTargets {
  runtime::Engine* engine = nullptr;
  std::string workflows_dir;
  http::Surface* surface = nullptr;        // its REST routes follow (null: none)
  plugin::PluginHost* plugins = nullptr;   // its event sources follow (null: none)
  std::optional<std::string> config_file;  // checked for changes since the start
  std::function<void(std::string_view)> log;
};

class WorkflowReloader {
 public:
  explicit WorkflowReloader(ReloadTargets targets);

  // Loads the folder as the first set (serve's start): the same checks, without
  // routes or sources (started afterwards). InvalidArgument lists the problems.
  Status LoadInitial();
  // Once the HTTP surface exists: its REST routes follow reloads from then on.
  void set_surface(http::Surface* surface);
  // Reloads (serialized with other reloads); logs the summary (and each error)
  // and counts it in storeflow_reloads_total{result}.
  ReloadReport Reload();
  // Waits for a reload in progress; later ones fail ("the engine is stopping").
  void Shutdown();

 private:
  ReloadReport ReloadLocked();

  ReloadTargets targets_;
  std::mutex mu_;
  bool stopped_ = false;
  std::string config_hash_;  // of config_file at construction ("" without one)
};

}  // namespace storeflow::app
