#pragma once

// One running engine as `storeflow serve` runs it: the store, the plugins, the
// engine's workers and schedules, the workflows of a folder, and the HTTP surface
// (webhooks, REST triggers, health, metrics and the admin API). `serve` keeps one
// until SIGTERM; `demo` starts one on an ephemeral port and drives it over HTTP.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/engine_config.h"
#include "app/workflow_reload.h"
#include "common/result.h"

namespace storeflow::store {
class Store;
}  // namespace storeflow::store

namespace storeflow::app {

struct ServeOptions {
  EngineConfig config;
  std::optional<std::string> db;  // nullopt: $STOREFLOW_DB, else sqlite:storeflow.db
  std::string workflows_dir = "workflows";
  std::string script_root = ".";
  int workers = 4;
  std::string clock = "real";  // or "virtual", or "manual" (moved by the admin API only)
  std::optional<std::int64_t> clock_start;  // unix ms a virtual/manual clock starts at
  std::chrono::milliseconds lease{30'000};
  std::chrono::milliseconds drain{10'000};
  std::optional<std::string> listen;  // HOST:PORT; nullopt: config http.listen
  // Serve the admin API without a token (only on a loopback address).
  bool dev = false;
  // The engine configuration file (a reload says when it changed since the start).
  std::optional<std::string> config_file;
  // Engine and access-log lines (thread-safe); also start-up warnings.
  std::function<void(std::string_view)> log;
};

class ServeSession {
 public:
  // Everything started, or the first problem (a usage problem is kInvalidArgument;
  // a workflow that does not load names its file:line:col).
  static Result<std::unique_ptr<ServeSession>> Start(ServeOptions options);
  ~ServeSession();
  ServeSession(const ServeSession&) = delete;
  ServeSession& operator=(const ServeSession&) = delete;

  const std::string& host() const;
  std::uint16_t port() const;
  // The admin listener's port (admin.listen); 0 when the API shares port().
  std::uint16_t admin_port() const;
  store::Store& store();
  // "6 workflow(s) from workflows, 4 worker(s), sqlite:storeflow.db; admin API on"
  const std::string& summary() const;
  // Reloads the workflows folder and the rule scripts (app/workflow_reload.h):
  // what SIGHUP and POST /api/v1/workflows/reload do. Thread-safe; serialized.
  ReloadReport Reload();
  // Stops accepting, finishes requests in flight, then drains the workers. Idempotent.
  void Stop();

 private:
  struct Parts;
  explicit ServeSession(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace storeflow::app
