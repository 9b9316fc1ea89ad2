#pragma once

// The plugin host: finds plugins in the configured folders (each plugin in its
// own sub-folder with plugin.yaml beside its library), loads and checks them,
// validates their config, calls init and registers their actions. A plugin that
// fails to load is kept with its error and does not take the engine down:
// `validate`/`run`/`serve` only fail when a workflow uses one of its actions.
// Plugins shut down in reverse load order.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "plugin/host_services.h"
#include "plugin/loaded_plugin.h"
#include "plugin/plugin_config.h"
#include "plugin/rate_governor.h"
#include "plugin/source_runner.h"
#include "plugin/workflow_topics.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/secrets.h"
#include "store/store.h"

namespace storeflow::plugin {

struct PluginHostOptions {
  std::vector<std::filesystem::path> dirs;
  // plugins.config.<name>: each plugin's config and where its keys were written.
  std::map<std::string, nlohmann::json> configs;
  std::map<std::string, ConfigLocations> config_locations;
  store::Store* store = nullptr;    // KV and (PostgreSQL) rate buckets; may be null
  runtime::Clock* clock = nullptr;  // null: the system clock
  std::shared_ptr<const runtime::SecretStore> secrets;
  runtime::ActionLogger log;  // the engine log (null: stderr)
  script::Limits template_limits;
  // plugins.isolate: plugins run in worker processes (plugin/isolated_plugin.h),
  // started from `isolation.executable` (empty: this process's executable).
  std::vector<std::string> isolate;
  IsolationOptions isolation;
  // http.public_url (validated, no trailing slash), offered to plugins by the host
  // service public_url; "" when not configured.
  std::string public_url;
  // Told of every rate_acquire (host_services.h); null: none.
  RateAcquireObserver rate_observer;
};

// What `storeflow plugins list` shows about one plugin found.
struct PluginInfo {
  std::string name;  // from plugin.yaml; the folder name when plugin.yaml is unreadable
  std::string version;
  std::string abi;  // as built ("1.0"); from plugin.yaml when the library did not load
  std::string description;
  std::string path;  // the library (or plugin.yaml when it was not reached)
  std::vector<std::string> actions;
  nlohmann::json sources = nlohmann::json::array();  // the manifest's [{name, description}]
  nlohmann::json config_schema;  // the manifest's (plugins.config.<name>); null: none
  nlohmann::json manifest;       // the whole manifest as the library declared it; null: not read
  bool isolated = false;         // runs in worker processes (plugins.isolate)
  Status error;                  // ok when loaded
  bool loaded() const { return error.ok(); }
};

class PluginHost {
 public:
  explicit PluginHost(PluginHostOptions options);
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Loads every plugin found and registers the actions of those that loaded
  // into `registry` (which should already hold the built-ins). Never fails as a
  // whole: see plugins() and warnings().
  void LoadAll(runtime::ActionRegistry& registry);

  // Loads the plugin whose plugin.yaml is `file` (tests, and LoadAll).
  PluginInfo LoadOne(const std::filesystem::path& file, runtime::ActionRegistry& registry);

  const std::vector<PluginInfo>& plugins() const { return infos_; }
  const PluginInfo* Find(std::string_view name) const;
  // The failed plugin that would provide `action` ("email.send" -> plugin
  // "email"), or nullptr.
  const PluginInfo* FailedProviderOf(std::string_view action) const;
  // Configured folders that do not exist, configs for plugins not found.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // What the host service source_topics answers from, once the workflows are
  // loaded (until then plugins are told no workflows are known).
  void SetWorkflowTopics(WorkflowTopics::Lister lister) { topics_->Set(std::move(lister)); }

  // ABI 1.3 event sources. The source names the loaded plugins declare, and the
  // plugin of each.
  std::map<std::string, std::string> SourceNames() const;
  // Why the source named `source` cannot run, or "" when it can: its plugin failed
  // to load, no loaded plugin declares it (with a did-you-mean), or its plugin
  // cannot run sources (isolated, older than ABI 1.3). What StartSources checks,
  // for `storeflow validate`.
  std::string SourceProblem(const std::string& source) const;
  // Starts every source of `wanted` (source name -> the topics the workflows
  // listen to, from WorkflowCatalog::QueueTopics), each on its own thread,
  // publishing through `publisher`. Checks them all first and starts none when
  // one is unknown or cannot run (its plugin is isolated, older than ABI 1.3 or
  // failed to load): FailedPrecondition naming the workflows' topics.
  Status StartSources(const std::map<std::string, std::vector<std::string>>& wanted,
                      SourcePublisher publisher, SourceRunnerOptions options = {});
  // Asks every running source to stop and waits for them (also done by
  // Shutdown, before any plugin shuts down). Idempotent.
  void StopSources();

  // The host services a plugin named `plugin` would get (the same store, clock,
  // secrets, rate governor and log), without a library: for unit tests of a
  // plugin's classes that take a storeflow_host_v1 (the plugin test kit).
  std::unique_ptr<HostServices> MakeServices(const std::string& plugin) const {
    return std::make_unique<HostServices>(plugin, env_);
  }
  // The rate governor behind rate_acquire / rate_adjust.
  RateGovernor& rate() { return *rate_; }

  // Stops the sources, then shuts every plugin down, newest first (also done by
  // the destructor).
  void Shutdown();

 private:
  Status Load(const std::filesystem::path& file, runtime::ActionRegistry& registry,
              PluginInfo& info);

  PluginHostOptions options_;
  runtime::SystemClock system_clock_;
  std::unique_ptr<RateGovernor> rate_;
  std::shared_ptr<WorkflowTopics> topics_ = std::make_shared<WorkflowTopics>();
  std::shared_ptr<HostEnvironment> env_;
  std::vector<PluginInfo> infos_;
  std::vector<std::shared_ptr<LoadedPlugin>> loaded_;             // load order
  std::map<std::string, std::shared_ptr<LoadedPlugin>> sources_;  // source name -> plugin
  std::map<std::string, std::string> failed_sources_;  // source -> plugin that failed to load
  std::vector<std::unique_ptr<SourceRunner>> runners_;
  std::map<std::string, std::string> seen_;  // plugin name -> plugin.yaml path
  std::vector<std::string> warnings_;
};

}  // namespace storeflow::plugin
