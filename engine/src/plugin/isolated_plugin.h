#pragma once

// A plugin run out of the engine's process (`plugins.isolate`): a pool of worker
// processes (plugin/worker_process.h), each running the plugin's init once and
// then one call at a time. A call takes an idle worker or starts one (at most
// `max_processes`; more calls wait). A worker that dies or overruns its call's
// deadline is dropped and the next call starts a fresh one: the run sees a
// retryable error, the engine and its other runs go on.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "plugin/host_services.h"
#include "plugin/worker_process.h"

namespace storeflow::plugin {

struct IsolationOptions {
  std::string executable;  // the storeflow binary that serves `__plugin-worker`
  int max_processes = 4;
};

class IsolatedPlugin {
 public:
  IsolatedPlugin(WorkerProcessOptions process, int max_processes, const HostServices& services);
  ~IsolatedPlugin();
  IsolatedPlugin(const IsolatedPlugin&) = delete;
  IsolatedPlugin& operator=(const IsolatedPlugin&) = delete;

  // Starts the first worker with `config_json` (so a bad config or a plugin that
  // does not load fails now, with its message) and keeps the config for the others.
  Status Init(const std::string& config_json);

  // One invoke in a worker. Non-ok: the worker died or overran `timeout_ms`
  // (the message says which and how); `reply` is then untouched.
  Status Invoke(const std::string& action, const std::string& input_json,
                const storeflow_call_v1& call, std::int64_t timeout_ms, storeflow_reply& reply);

  // Stops every worker (no call in flight). Idempotent.
  void Shutdown();

 private:
  Result<std::unique_ptr<WorkerProcess>> Take();
  void Give(std::unique_ptr<WorkerProcess> worker);

  WorkerProcessOptions process_;
  int max_processes_;
  const HostServices& services_;
  std::string config_json_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<WorkerProcess>> idle_;
  int running_ = 0;  // idle + busy
  bool shut_down_ = false;
};

}  // namespace storeflow::plugin
