#pragma once

// One worker process of an isolated plugin, seen from the engine: starts
// `<worker> __plugin-worker PLUGIN.yaml 3` with a socket on fd 3, runs init in it,
// sends it one call at a time and serves the host services the plugin calls
// (through the plugin's HostServices, as for a plugin in the engine). When the
// process dies (a crash, abort(), a kill) the call in flight gets an error that
// says how it ended, and the engine goes on.

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "plugin/host_services.h"
#include "plugin/worker_frame.h"

namespace storeflow::plugin {

struct WorkerProcessOptions {
  std::string executable;   // a storeflow binary (it serves `__plugin-worker`)
  std::string plugin_yaml;  // the plugin's descriptor
  std::string plugin;       // its name, for messages
};

class WorkerProcess {
 public:
  // Starts the process and runs the plugin's init with `config_json`; waits at
  // most `init_timeout_ms` for it. FailedPrecondition with the plugin's message
  // when loading or init failed in the worker; Unavailable when it did not start.
  static Result<std::unique_ptr<WorkerProcess>> Start(const WorkerProcessOptions& options,
                                                      const HostServices& services,
                                                      const std::string& config_json,
                                                      std::int64_t init_timeout_ms = 30'000);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Runs one invoke in the worker and fills `reply` as the in-engine call would.
  // Waits at most `timeout_ms` (< 0: no limit), then kills the worker. A non-ok
  // status means the worker is gone (crashed, killed, timed out): the message
  // says how; the process is then of no further use (alive() is false).
  Status Invoke(const std::string& action, const std::string& input_json,
                const storeflow_call_v1& call, std::int64_t timeout_ms, storeflow_reply& reply);

  bool alive() const;
  pid_t pid() const { return pid_; }

  // Asks the worker to shut the plugin down and exit; kills it after
  // `grace_ms`. Idempotent.
  void Stop(std::int64_t grace_ms = 5'000);

 private:
  WorkerProcess(WorkerProcessOptions options, const HostServices& services);
  Status Spawn();
  void ReadLoop();
  void ServeHostCall(const WorkerFrame& frame);
  // Waits for the next answer frame (not a host call) until `timeout_ms`.
  Result<WorkerFrame> WaitAnswer(std::int64_t timeout_ms);
  // Kills the process (if running) and reaps it; returns how it ended.
  std::string Reap(bool kill_first);

  WorkerProcessOptions options_;
  const HostServices& services_;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::thread reader_;
  std::mutex write_mu_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<WorkerFrame> answer_;
  bool closed_ = false;
  std::string ended_;  // how the process ended, once reaped
};

}  // namespace storeflow::plugin
