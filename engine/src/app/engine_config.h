#pragma once

// The engine's configuration: built-in defaults, then a YAML file, then
// environment variables (STOREFLOW_<SECTION>_<KEY>, e.g. STOREFLOW_LUA_TIME_LIMIT).
// Every key is listed in docs/operations.md; unknown keys are errors that name
// the valid ones.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "http/static_files.h"
#include "http/webhook_ingress.h"
#include "runtime/dead_letter_redrive.h"
#include "runtime/retention.h"
#include "runtime/sync_health.h"
#include "runtime/workflow_config.h"
#include "script/sandbox.h"

namespace storeflow::app {

// The shortest bearer token accepted (admin.token, metrics.token): 32 bytes,
// e.g. `openssl rand -hex 32` gives 64.
inline constexpr std::size_t kMinTokenBytes = 32;

struct AdminConfig {
  // The admin API's bearer token (admin.token / STOREFLOW_ADMIN_TOKEN); never
  // logged or printed. Empty: the API is served only in dev mode on loopback.
  // At least kMinTokenBytes long.
  std::string token;
  // HOST:PORT of a listener of its own for the admin API (e.g. 127.0.0.1:9090,
  // behind a VPN or on a private interface). Empty: the API shares http.listen
  // with the public webhooks and REST triggers.
  std::string listen;
};

// `metrics.*`: who may scrape /metrics.
struct MetricsConfig {
  // A bearer token for /metrics only (a scraper then holds no admin rights);
  // /metrics also accepts admin.token. Both empty: /metrics is open.
  std::string token;
};

// `http.*`: the server of `storeflow serve` (docs/operations.md).
struct HttpConfig {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; --listen overrides
  // The base URL the outside world reaches this engine at (behind its proxy),
  // e.g. "https://flows.example.com" or "https://example.com/storeflow"; no
  // trailing slash, no query. Plugins read it (host service public_url) to
  // register webhooks at <public_url>/webhooks/<source>. Empty: not configured.
  std::string public_url;
  std::uint64_t body_limit = std::uint64_t{5} * 1024 * 1024;
  std::chrono::milliseconds response_timeout{10'000};  // REST triggers: then 202
  std::chrono::milliseconds shutdown_grace{10'000};
  // How long a webhook or REST trigger waits for its event's commit before
  // answering 503 with Retry-After.
  std::chrono::milliseconds commit_timeout{4'000};
  bool access_log = true;
  // The listener (http/server.h): deadlines, connection caps, and the worker
  // pool and queue of each route class.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds keep_alive_timeout{10'000};
  int max_keep_alive_requests = 1000;  // 0: no limit
  int max_connections = 1024;
  int max_connections_per_client = 256;  // 0: no cap
  int webhook_workers = 64;
  int webhook_queue = 1024;
  int admin_workers = 8;
  int admin_queue = 64;
  int rest_workers = 64;
  int rest_queue = 256;
  int threads = 0;  // the former key of rest_workers: above 0 it wins
  // CORS of the REST triggers without their own `cors:` (http/cors.h); no
  // origins: none.
  std::vector<std::string> cors_allowed_origins;
  std::vector<std::string> cors_allowed_methods;  // empty: each route's method
  std::vector<std::string> cors_allowed_headers;  // empty: Content-Type, Authorization
  std::int64_t cors_max_age_s = 600;
  // http.static: folders served as static files under URL prefixes; a relative
  // dir is relative to the working directory, like plugins.dirs and secrets.file.
  std::vector<http::StaticMount> statics;
};

// `http_client.*`: what the built-in `http.request` action may do (docs/operations.md,
// "Security"). The defaults are the safe ones.
struct HttpClientConfig {
  // Hosts, `*.domains`, addresses and CIDR ranges a request may reach although
  // they are not public (loopback, private, link-local, ...); each entry checked
  // at load (runtime::ParseEgressAllowEntry).
  std::vector<std::string> allow_hosts;
  std::uint64_t max_response_bytes = std::uint64_t{10} * 1024 * 1024;
  std::chrono::milliseconds total_timeout{30'000};
};

// `webhooks.*`: the webhook sources and the group commit.
struct WebhookConfig {
  // Current first, then previous (rotation); also SHOPIFY_WEBHOOK_SECRET.
  std::vector<std::string> shopify_secrets;
  std::string sources;  // generic sources: "NAME:key=value,...;NAME2:..."
  int batch_max = 256;  // events per group-commit transaction
  int committers = 2;
  http::ReplayDedupe replay_dedupe = http::ReplayDedupe::kTopic;
  std::chrono::milliseconds shopify_max_age{0};  // 0: off
};

// `plugins.*` (docs/operations.md, docs/plugin-sdk.md).
struct PluginsConfig {
  // Folders searched for plugins (each plugin in a sub-folder with plugin.yaml).
  // Empty: <folder of the storeflow executable>/../plugins.
  std::vector<std::string> dirs;
  // plugins.config.<name>: each plugin's config, checked against its config_schema.
  std::map<std::string, nlohmann::json> configs;
  // plugins.config.<name>: JSON pointer ("" = the map, "/smtp/host") -> "file:line:col".
  std::map<std::string, std::map<std::string, std::string>> config_locations;
  // plugins.isolate: plugins run in worker processes instead of in the engine.
  std::vector<std::string> isolate;
  // plugins.isolated_processes: the most worker processes of one isolated plugin.
  int isolated_processes = 4;
};

struct EngineConfig {
  script::Limits lua;
  HttpConfig http;
  HttpClientConfig http_client;
  WebhookConfig webhooks;
  AdminConfig admin;
  MetricsConfig metrics;
  PluginsConfig plugins;
  // retention.*: what the store keeps, and how often the janitor deletes the rest.
  runtime::RetentionPolicy retention;
  // dead_letters.*: the auto-redrive of retryable dead letters.
  runtime::RedrivePolicy redrive;
  // sync_health.*: the thresholds of GET /api/v1/health/sync and the health monitor.
  runtime::SyncHealthOptions sync_health;
  // secrets.file: a YAML map NAME -> value, mode 0600 (runtime/secrets.h).
  std::optional<std::string> secrets_file;
  // workflows.<workflow>.<key> and STOREFLOW_WORKFLOW_<WORKFLOW>_<KEY>: values for
  // the workflows' `config:`, checked against each workflow when it loads.
  runtime::WorkflowConfigOverrides workflows;

  // Where the values came from, for `storeflow config` and logs.
  std::vector<std::string> sources;
};

struct ConfigSources {
  // An explicit file (--config); when absent, STOREFLOW_CONFIG, then
  // config/storeflow.yaml if it exists, then (installed_config) the installation's
  // <sysconfdir>/storeflow/storeflow.yaml if it exists, else built-in defaults only.
  std::optional<std::string> file;
  bool installed_config = true;
  // Reads an environment variable; nullptr when unset (tests pass their own).
  std::function<const char*(const char*)> getenv;
  // The names of the environment variables that are set (for the ones only known
  // once the workflows load, STOREFLOW_WORKFLOW(S)_*); default: the process's.
  std::function<std::vector<std::string>()> env_names;
};

// Errors name the place: "config/storeflow.yaml:4:3: unknown key 'time_limt' in 'lua'
// (valid keys: ...); did you mean 'time_limit'?" or "environment STOREFLOW_LUA_TIME_LIMIT: ...".
Result<EngineConfig> LoadEngineConfig(const ConfigSources& sources);

// One line per key: "lua.time_limit  STOREFLOW_LUA_TIME_LIMIT  250ms  description".
struct ConfigKeyInfo {
  std::string path;
  std::string env;
  std::string default_value;
  std::string description;
};
std::vector<ConfigKeyInfo> DescribeConfigKeys();

}  // namespace storeflow::app
