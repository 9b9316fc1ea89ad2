#pragma once

// One plugin that loaded: its library, its host services and the instance its
// init returned. Invoke may be called from many threads; Shutdown waits for
// calls in flight and makes later calls fail cleanly.

#include <memory>
#include <shared_mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "plugin/host_services.h"
#include "plugin/isolated_plugin.h"
#include "plugin/plugin_library.h"
#include "runtime/action.h"

namespace storeflow::plugin {

class LoadedPlugin {
 public:
  LoadedPlugin(std::shared_ptr<PluginLibrary> library, std::unique_ptr<HostServices> services);
  ~LoadedPlugin();
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  // Runs the plugin in worker processes instead of in the engine (call before
  // Init): init, invoke and shutdown then happen there (plugin/isolated_plugin.h).
  void Isolate(const IsolationOptions& options);
  bool isolated() const { return isolated_ != nullptr; }

  // Calls the plugin's init with `config` (already validated). Errors name the
  // plugin and carry its code and message; an exception is caught.
  Status Init(const nlohmann::json& config);

  // Calls invoke and turns the reply into an ActionResult: output JSON, or the
  // classified error (retryable with retry_after, permanent). A plugin that does
  // not reply, replies with invalid JSON or lets an exception escape gets a
  // permanent error naming the plugin and the action. An isolated plugin whose
  // worker dies during the call gets the retryable `plugin_crashed` (saying how it
  // ended); one that overruns the step's deadline is killed: retryable `timeout`.
  runtime::ActionResult Invoke(const std::string& action, const nlohmann::json& input,
                               const runtime::ActionContext& context);

  // ABI 1.3: runs event source `name` on the calling thread until `source` says
  // stop (see storeflow_plugin_table_v1.start_source). FailedPrecondition when the
  // plugin cannot run sources (built for ABI < 1.3, no start_source, isolated,
  // shut down); Internal when the source failed (-1 or an escaped exception).
  // Shutdown waits for running sources: stop them first.
  Status RunSource(const std::string& source, const std::string& config_json,
                   const storeflow_source_host& host);
  // Why RunSource would refuse before calling the plugin; ok when it would not.
  Status CanRunSources() const;

  // Calls shutdown once (no call in flight); later Invokes fail.
  void Shutdown();

  const PluginLibrary& library() const { return *library_; }
  const std::string& name() const { return library_->descriptor().name; }

 private:
  std::shared_ptr<PluginLibrary> library_;
  std::unique_ptr<HostServices> services_;
  std::shared_mutex mu_;  // shared: invoke; exclusive: init, shutdown
  void* instance_ = nullptr;
  std::unique_ptr<IsolatedPlugin> isolated_;
  bool isolated_ready_ = false;
};

// A reply's error as an ActionError.
runtime::ActionError ReplyToError(const storeflow_reply& reply);

}  // namespace storeflow::plugin
