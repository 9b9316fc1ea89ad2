#include "app/engine_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include <yaml-cpp/yaml.h>

#include "app/install_layout.h"
#include "common/byte_size.h"
#include "common/did_you_mean.h"
#include "common/duration.h"
#include "http/cors.h"
#include "runtime/egress_policy.h"
#include "workflow/model.h"
#include "workflow/yaml_json.h"

extern char** environ;

namespace storeflow::app {
namespace {

// One configurable key: where it lives, its default, and how a text value applies.
struct ConfigKey {
  std::string section;
  std::string name;
  std::string default_value;
  std::string description;
  std::function<Status(EngineConfig&, const std::string&)> apply;

  std::string path() const { return section + "." + name; }
  std::string env() const {
    std::string e = "STOREFLOW_" + section + "_" + name;
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) {
      return c == '.' || c == '-' ? '_' : static_cast<char>(std::toupper(c));
    });
    return e;
  }
};

// "a, b,,c" -> {"a", "b", "c"}: comma-separated, trimmed, empty items dropped.
std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    if (!part.empty()) items.push_back(part);
    start = end + 1;
  }
  return items;
}

Status ApplyUnsigned(const std::string& text, std::uint64_t& out) {
  std::uint64_t value = 0;
  if (text.empty()) return InvalidArgument("expected a whole number, got an empty value");
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return InvalidArgument("expected a whole number, got \"" + text + "\"");
    }
    if (value > (UINT64_MAX - static_cast<std::uint64_t>(c - '0')) / 10) {
      return InvalidArgument("number too large: " + text);
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = value;
  return Status::Ok();
}

// A bearer token: empty (none) or at least kMinTokenBytes. The message gives
// the length, never the token.
Status ApplyToken(const std::string& text, std::string& out) {
  if (!text.empty() && text.size() < kMinTokenBytes) {
    return InvalidArgument("the token is " + std::to_string(text.size()) +
                           " bytes long; it must be at least " + std::to_string(kMinTokenBytes) +
                           " (e.g. `openssl rand -hex 32`)");
  }
  out = text;
  return Status::Ok();
}

// A retention horizon: a duration, or `keep` (also 0) for no limit.
Status ApplyHorizon(const std::string& text, std::chrono::milliseconds& out,
                    Status (*check)(std::chrono::milliseconds)) {
  std::chrono::milliseconds horizon{0};
  if (text != "keep" && text != "0") {
    auto d = ParseDuration(text);
    if (!d.ok()) return InvalidArgument(d.status().message() + " (or keep for no limit)");
    horizon = *d;
  }
  STOREFLOW_RETURN_IF_ERROR(check(horizon));
  out = horizon;
  return Status::Ok();
}

// A timeout of the HTTP server: a duration from 100ms to 1h.
Status ApplyTimeout(const std::string& text, const char* name, std::chrono::milliseconds& out) {
  auto d = ParseDuration(text);
  if (!d.ok()) return d.status();
  if (*d < std::chrono::milliseconds(100) || *d > std::chrono::hours(1)) {
    return InvalidArgument(std::string(name) + " must be from 100ms to 1h");
  }
  out = *d;
  return Status::Ok();
}

// A whole number from `min` to `max`.
Status ApplyCount(const std::string& text, const char* name, std::uint64_t min, std::uint64_t max,
                  int& out) {
  std::uint64_t n = 0;
  STOREFLOW_RETURN_IF_ERROR(ApplyUnsigned(text, n));
  if (n < min || n > max) {
    return InvalidArgument(std::string(name) + " must be from " + std::to_string(min) + " to " +
                           std::to_string(max));
  }
  out = static_cast<int>(n);
  return Status::Ok();
}

// http.public_url: empty, or an absolute http(s) URL with a host and no
// credentials, query or fragment; trailing slashes are dropped.
Status ApplyPublicUrl(const std::string& text, std::string& out) {
  if (text.empty()) {
    out.clear();
    return Status::Ok();
  }
  auto bad = [&](const std::string& why) {
    return InvalidArgument(
        "expected the engine's public base URL such as "
        "https://flows.example.com, got \"" +
        text + "\": " + why);
  };
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::size_t scheme_end = 0;
  if (lower.rfind("https://", 0) == 0) {
    scheme_end = 8;
  } else if (lower.rfind("http://", 0) == 0) {
    scheme_end = 7;
  } else {
    return bad("it must start with https:// (or http://)");
  }
  for (unsigned char c : text) {
    if (c <= ' ' || c >= 0x7f) return bad("it holds a space or a non-ASCII character");
  }
  if (text.find_first_of("?#") != std::string::npos) {
    return bad("a query or fragment has no place in a base URL");
  }
  const std::size_t path_start = text.find('/', scheme_end);
  const std::string authority = text.substr(
      scheme_end, path_start == std::string::npos ? std::string::npos : path_start - scheme_end);
  if (authority.find('@') != std::string::npos) return bad("credentials have no place in it");
  std::string host = authority;
  std::optional<std::string> port;
  if (!authority.empty() && authority[0] == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) return bad("an IPv6 address needs its closing ]");
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("expected :PORT after the IPv6 address");
      port = authority.substr(close + 2);
    }
  } else if (const std::size_t colon = authority.find(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") return bad("it names no host");
  if (port) {
    std::uint64_t n = 0;
    if (!ApplyUnsigned(*port, n).ok() || n < 1 || n > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
  }
  std::string url = text;
  while (url.size() > scheme_end && url.back() == '/') url.pop_back();
  out = url;
  return Status::Ok();
}

// http.static: a list of {path, dir, cache_control?}; `where(i)` names item i in
// errors (a file:line:col, or the environment's index).
Status ApplyStaticMounts(const nlohmann::json& list,
                         const std::function<std::string(std::size_t)>& where,
                         std::vector<http::StaticMount>& out) {
  if (!list.is_array()) {
    return InvalidArgument(
        "expected a list of {path, dir, cache_control?}, e.g. "
        "[{\"path\": \"/shop/\", \"dir\": \"examples/storefront\"}]");
  }
  std::vector<http::StaticMount> mounts;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& item = list[i];
    const std::string at = where(i) + ": http.static[" + std::to_string(i) + "]";
    if (!item.is_object())
      return InvalidArgument(at + " must be a map {path, dir, cache_control?}");
    http::StaticMount mount;
    for (const auto& [name, value] : item.items()) {
      if (!value.is_string()) return InvalidArgument(at + "." + name + " must be a string");
      if (name == "path") {
        mount.path = value.get<std::string>();
      } else if (name == "dir") {
        mount.dir = value.get<std::string>();
      } else if (name == "cache_control") {
        mount.cache_control = value.get<std::string>();
      } else {
        return InvalidArgument(at + ": unknown key '" + name +
                               "' (valid keys: path, dir, cache_control)");
      }
    }
    if (Status s = http::CheckMountPath(mount.path); !s.ok()) {
      return InvalidArgument(at + ".path: " + s.message());
    }
    if (mount.dir.empty()) return InvalidArgument(at + ".dir: name the folder to serve");
    if (mount.cache_control.empty() ||
        mount.cache_control.find_first_of("\r\n") != std::string::npos) {
      return InvalidArgument(at + ".cache_control must be one header value such as no-cache");
    }
    for (const http::StaticMount& other : mounts) {
      if (other.path == mount.path) {
        return InvalidArgument(at + ".path: " + mount.path + " is served twice");
      }
    }
    mounts.push_back(std::move(mount));
  }
  out = std::move(mounts);
  return Status::Ok();
}

// A sync-health threshold (sync_health.*_warning / *_critical): a duration in
// seconds (`seconds`), a share 0..1 (`share`) or a count; `off` (or 0) turns it off.
enum class ThresholdUnit { kSeconds, kShare, kCount };
Status ApplyThreshold(const std::string& v, ThresholdUnit unit, double& out) {
  if (v == "off" || v == "0") {
    out = 0;
    return Status::Ok();
  }
  if (unit == ThresholdUnit::kSeconds) {
    auto d = ParseDuration(v);
    if (!d.ok()) return InvalidArgument(d.status().message() + " (or off)");
    out = static_cast<double>(d->count()) / 1000.0;
    return Status::Ok();
  }
  if (unit == ThresholdUnit::kCount) {
    std::uint64_t n = 0;
    STOREFLOW_RETURN_IF_ERROR(ApplyUnsigned(v, n));
    out = static_cast<double>(n);
    return Status::Ok();
  }
  char* end = nullptr;
  const double share = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !(share > 0) || share > 1) {
    return InvalidArgument("expected a share between 0 and 1 such as 0.05 (5%), or off; got " + v);
  }
  out = share;
  return Status::Ok();
}

// The warning and critical keys of one sync-health check.
void AddThresholdKeys(std::vector<ConfigKey>& keys, const std::string& check,
                      const std::string& what, ThresholdUnit unit, const std::string& warning,
                      const std::string& critical,
                      runtime::HealthThreshold runtime::SyncHealthOptions::*field) {
  keys.push_back({"sync_health", check + "_warning", warning,
                  what + " from which the check is a warning (`off`: never)",
                  [unit, field](EngineConfig& c, const std::string& v) -> Status {
                    return ApplyThreshold(v, unit, (c.sync_health.*field).warning);
                  }});
  keys.push_back({"sync_health", check + "_critical", critical,
                  what + " from which the check is critical (`off`: never); not below the "
                         "warning",
                  [unit, field](EngineConfig& c, const std::string& v) -> Status {
                    return ApplyThreshold(v, unit, (c.sync_health.*field).critical);
                  }});
}

std::vector<ConfigKey> SyncHealthKeys();
std::vector<ConfigKey> WithSyncHealthKeys(std::vector<ConfigKey> keys) {
  for (ConfigKey& k : SyncHealthKeys()) keys.push_back(std::move(k));
  return keys;
}

std::vector<ConfigKey> SyncHealthKeys() {
  using runtime::SyncHealthOptions;
  std::vector<ConfigKey> keys = {
      {"sync_health", "orders_collection", "shopify_orders",
       "the collection of the synced orders (order lag)",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (v.empty()) return InvalidArgument("must not be empty");
         c.sync_health.orders_collection = v;
         return Status::Ok();
       }},
      {"sync_health", "shop", "",
       "the shop whose orders count (x.myshopify.com; their keys start with it); empty: all",
       [](EngineConfig& c, const std::string& v) -> Status {
         c.sync_health.shop = v;
         return Status::Ok();
       }},
      {"sync_health", "check_interval", "1m",
       "how often `serve` checks the sync health and raises the sync alert on a transition to "
       "critical (`off`: never; the endpoint and /metrics still compute it)",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (v == "off" || v == "0") {
           c.sync_health.check_interval_ms = 0;
           return Status::Ok();
         }
         auto d = ParseDuration(v);
         if (!d.ok()) return InvalidArgument(d.status().message() + " (or off)");
         if (*d < std::chrono::seconds(1)) return InvalidArgument("at least 1s (or off)");
         c.sync_health.check_interval_ms = d->count();
         return Status::Ok();
       }},
  };
  AddThresholdKeys(keys, "order_lag",
                   "how far the newest local order trails Shopify's (a duration)",
                   ThresholdUnit::kSeconds, "1h", "6h", &SyncHealthOptions::order_lag);
  AddThresholdKeys(keys, "webhook_error_rate",
                   "the share of webhook deliveries answered with an error in the last hour (0..1)",
                   ThresholdUnit::kShare, "0.01", "0.05", &SyncHealthOptions::webhook_error_rate);
  AddThresholdKeys(keys, "webhook_ack_p50", "the median webhook acknowledgement time (last hour)",
                   ThresholdUnit::kSeconds, "500ms", "2s", &SyncHealthOptions::webhook_ack_p50);
  AddThresholdKeys(keys, "webhook_ack_p99", "the 99th percentile webhook acknowledgement time",
                   ThresholdUnit::kSeconds, "2s", "10s", &SyncHealthOptions::webhook_ack_p99);
  AddThresholdKeys(keys, "dead_letters", "the number of dead letters", ThresholdUnit::kCount, "1",
                   "100", &SyncHealthOptions::dead_letters);
  AddThresholdKeys(keys, "dead_letter_age", "the age of the oldest dead letter",
                   ThresholdUnit::kSeconds, "1h", "24h", &SyncHealthOptions::dead_letter_age);
  return keys;
}

const std::vector<ConfigKey>& Keys() {
  static const std::vector<ConfigKey> keys = WithSyncHealthKeys({
      {"lua", "time_limit", "250ms",
       "wall-clock budget of one Lua call (expression or rule); exceeding it fails the call",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto d = ParseDuration(v);
         if (!d.ok()) return d.status();
         if (d->count() <= 0) return InvalidArgument("time_limit must be greater than 0");
         c.lua.time_per_call = *d;
         return Status::Ok();
       }},
      {"lua", "instruction_limit", "0",
       "Lua VM instructions per call; 0 means no instruction cap (the time limit still "
       "applies); a cap makes every call about 30% slower",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyUnsigned(v, c.lua.instructions_per_call);
       }},
      {"lua", "memory_limit", "64MiB", "bytes one Lua state may hold (per worker thread)",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto bytes = ParseByteSize(v);
         if (!bytes.ok()) return bytes.status();
         if (*bytes < 256 * 1024) return InvalidArgument("memory_limit must be at least 256KiB");
         c.lua.memory_bytes = static_cast<std::size_t>(*bytes);
         return Status::Ok();
       }},
      {"http", "listen", "127.0.0.1:8080",
       "address `storeflow serve` listens on, HOST:PORT (`--listen` overrides; `:PORT` = all "
       "interfaces)",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (v.rfind(':') == std::string::npos) return InvalidArgument("expected HOST:PORT");
         c.http.listen = v;
         return Status::Ok();
       }},
      {"http", "public_url", "",
       "the engine's public base URL (https://flows.example.com, also with a path), where "
       "webhooks reach <public_url>/webhooks/<source>; plugins read it, e.g. "
       "shopify.webhook_subscriptions_sync. Empty: not configured",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyPublicUrl(v, c.http.public_url);
       }},
      {"http", "body_limit", "5MiB",
       "largest request body; a larger Content-Length is answered 413 before the body is read",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto bytes = ParseByteSize(v);
         if (!bytes.ok()) return bytes.status();
         if (*bytes < 1024) return InvalidArgument("body_limit must be at least 1KiB");
         c.http.body_limit = *bytes;
         return Status::Ok();
       }},
      {"http", "response_timeout", "10s",
       "how long a REST trigger waits for its run's `respond` step (or end) before answering "
       "202 with the run id",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto d = ParseDuration(v);
         if (!d.ok()) return d.status();
         if (d->count() <= 0) return InvalidArgument("response_timeout must be greater than 0");
         c.http.response_timeout = *d;
         return Status::Ok();
       }},
      {"http", "shutdown_grace", "10s",
       "on SIGTERM/SIGINT, how long requests in flight may take to finish",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto d = ParseDuration(v);
         if (!d.ok()) return d.status();
         c.http.shutdown_grace = *d;
         return Status::Ok();
       }},
      {"http", "commit_timeout", "4s",
       "how long a webhook delivery or REST trigger waits for its event to be committed; then "
       "503 with Retry-After (the event may still be stored: a redelivery is deduplicated)",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto d = ParseDuration(v);
         if (!d.ok()) return d.status();
         if (d->count() <= 0) return InvalidArgument("commit_timeout must be greater than 0");
         c.http.commit_timeout = *d;
         return Status::Ok();
       }},
      {"http", "threads", "0",
       "former name of `http.rest_workers`, kept for old configuration files: above 0 it sets "
       "the REST-trigger workers (0: `http.rest_workers` decides)",
       [](EngineConfig& c, const std::string& v) -> Status {
         std::uint64_t n = 0;
         STOREFLOW_RETURN_IF_ERROR(ApplyUnsigned(v, n));
         if (n != 0 && (n < 2 || n > 4096)) {
           return InvalidArgument("threads must be 0 or from 2 to 4096");
         }
         c.http.threads = static_cast<int>(n);
         return Status::Ok();
       }},
      {"http", "header_timeout", "10s",
       "a request head (request line and headers) must arrive within this of the connection's "
       "accept, or of its first byte after a keep-alive pause; else 408 and the connection "
       "is closed",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyTimeout(v, "header_timeout", c.http.header_timeout);
       }},
      {"http", "body_timeout", "30s",
       "a request body must arrive, and a response be taken by the caller, within this; else "
       "the connection is closed (408 for a body)",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyTimeout(v, "body_timeout", c.http.body_timeout);
       }},
      {"http", "keep_alive_timeout", "10s", "an idle keep-alive connection is closed after this",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyTimeout(v, "keep_alive_timeout", c.http.keep_alive_timeout);
       }},
      {"http", "max_keep_alive_requests", "1000",
       "requests served on one connection before it is closed (0: no limit)",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyCount(v, "max_keep_alive_requests", 0, 1'000'000,
                           c.http.max_keep_alive_requests);
       }},
      {"http", "max_connections", "1024",
       "open connections in all; more are accepted and closed at once (keep it under the "
       "process's open-file limit, `ulimit -n`)",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyCount(v, "max_connections", 16, 1'000'000, c.http.max_connections);
       }},
      {"http", "max_connections_per_client", "256",
       "open connections per remote IP address; more are accepted and closed at once (0: no "
       "cap). Behind a proxy every connection has the proxy's address",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyCount(v, "max_connections_per_client", 0, 1'000'000,
                           c.http.max_connections_per_client);
       }},
      {"http", "webhook_workers", "64", "threads that handle webhook requests (/webhooks/...)",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyCount(v, "webhook_workers", 1, 4096, c.http.webhook_workers);
       }},
      {"http", "webhook_queue", "1024",
       "webhook requests that may wait for a worker; more are answered 503 with Retry-After",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyCount(v, "webhook_queue", 0, 1'000'000, c.http.webhook_queue);
       }},
      {"http", "admin_workers", "8",
       "threads that handle the admin API, /metrics, /healthz and /readyz",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyCount(v, "admin_workers", 1, 4096, c.http.admin_workers);
       }},
      {"http", "admin_queue", "64",
       "admin and health requests that may wait for a worker; more are answered 503",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyCount(v, "admin_queue", 0, 1'000'000, c.http.admin_queue);
       }},
      {"http", "rest_workers", "64",
       "threads that handle the workflows' REST triggers (each may wait up to "
       "`http.response_timeout`)",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyCount(v, "rest_workers", 1, 4096, c.http.rest_workers);
       }},
      {"http", "rest_queue", "256",
       "REST-trigger requests that may wait for a worker; more are answered 503 with "
       "Retry-After",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyCount(v, "rest_queue", 0, 1'000'000, c.http.rest_queue);
       }},
      {"http", "static", "",
       "folders served as static files, GET and HEAD only: a list of {path: /shop/, dir: "
       "examples/storefront, cache_control: no-cache}; a relative dir is relative to the working "
       "directory (in the environment: a JSON list). Empty: none",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (v.empty()) {
           c.http.statics.clear();
           return Status::Ok();
         }
         auto parsed = nlohmann::json::parse(v, nullptr, false);
         if (parsed.is_discarded()) {
           return InvalidArgument(
               "expected a JSON list such as [{\"path\": \"/shop/\", \"dir\": "
               "\"examples/storefront\"}]");
         }
         return ApplyStaticMounts(
             parsed, [](std::size_t i) { return "item " + std::to_string(i); }, c.http.statics);
       }},
      {"http", "access_log", "true", "one stderr line per request (`true` or `false`)",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (v != "true" && v != "false") return InvalidArgument("expected true or false");
         c.http.access_log = v == "true";
         return Status::Ok();
       }},
      {"http", "cors_allowed_origins", "",
       "browser origins that may call the REST triggers without a `cors:` of their own: a "
       "YAML list or comma-separated origins (https://shop.example.com) or `*`. Empty: no CORS",
       [](EngineConfig& c, const std::string& v) -> Status {
         std::vector<std::string> entries = SplitList(v);
         for (const std::string& entry : entries) {
           if (!http::IsCorsOrigin(entry)) {
             return InvalidArgument("'" + entry +
                                    "' is not an origin (scheme://host[:port], no path, or *)");
           }
         }
         c.http.cors_allowed_origins = std::move(entries);
         return Status::Ok();
       }},
      {"http", "cors_allowed_methods", "",
       "methods a preflight allows (YAML list or comma-separated). Empty: the route's own",
       [](EngineConfig& c, const std::string& v) -> Status {
         std::vector<std::string> entries = SplitList(v);
         for (const std::string& entry : entries) {
           if (entry != "GET" && entry != "POST" && entry != "PUT" && entry != "PATCH" &&
               entry != "DELETE") {
             return InvalidArgument("'" + entry + "' is not GET, POST, PUT, PATCH or DELETE");
           }
         }
         c.http.cors_allowed_methods = std::move(entries);
         return Status::Ok();
       }},
      {"http", "cors_allowed_headers", "",
       "request headers a preflight allows (YAML list or comma-separated). Empty: "
       "Content-Type, Authorization",
       [](EngineConfig& c, const std::string& v) -> Status {
         c.http.cors_allowed_headers = SplitList(v);
         return Status::Ok();
       }},
      {"http", "cors_max_age", "10m", "how long a browser may cache a preflight answer (<= 24h)",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto d = ParseDuration(v);
         if (!d.ok()) return d.status();
         if (*d > std::chrono::hours(24))
           return InvalidArgument("cors_max_age must be at most 24h");
         c.http.cors_max_age_s = d->count() / 1000;
         return Status::Ok();
       }},
      {"http_client", "allow_hosts", "",
       "hosts `http.request` may reach although they are not public (loopback, private, "
       "link-local, ...): a YAML list or comma-separated host names, `*.domain`, IP "
       "addresses or CIDR ranges. Empty: public addresses only",
       [](EngineConfig& c, const std::string& v) -> Status {
         std::vector<std::string> entries = SplitList(v);
         for (const std::string& entry : entries) {
           STOREFLOW_RETURN_IF_ERROR(runtime::ParseEgressAllowEntry(entry).status());
         }
         c.http_client.allow_hosts = std::move(entries);
         return Status::Ok();
       }},
      {"http_client", "max_response_bytes", "10MiB",
       "largest response body `http.request` reads; a larger answer fails the step "
       "(response_too_large)",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto bytes = ParseByteSize(v);
         if (!bytes.ok()) return bytes.status();
         if (*bytes < 1024 || *bytes > std::uint64_t{1024} * 1024 * 1024) {
           return InvalidArgument("max_response_bytes must be from 1KiB to 1GiB");
         }
         c.http_client.max_response_bytes = *bytes;
         return Status::Ok();
       }},
      {"http_client", "total_timeout", "30s",
       "wall-clock limit of one `http.request` (connect, TLS, send and receive together); a "
       "step's `timeout` or `timeout_ms` input can only shorten it",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto d = ParseDuration(v);
         if (!d.ok()) return d.status();
         if (d->count() <= 0 || *d > std::chrono::hours(1)) {
           return InvalidArgument("total_timeout must be greater than 0 and at most 1h");
         }
         c.http_client.total_timeout = *d;
         return Status::Ok();
       }},
      {"webhooks", "shopify_secrets", "",
       "Shopify webhook secrets, comma-separated, current first then previous (rotation); "
       "also the environment variable SHOPIFY_WEBHOOK_SECRET. Empty: no `shopify` source",
       [](EngineConfig& c, const std::string& v) -> Status {
         c.webhooks.shopify_secrets = SplitList(v);
         return Status::Ok();
       }},
      {"webhooks", "sources", "",
       "generic signed-webhook sources, `NAME:key=value,...` separated by `;` (see "
       "docs/http-api.md)",
       [](EngineConfig& c, const std::string& v) -> Status {
         c.webhooks.sources = v;
         return Status::Ok();
       }},
      {"webhooks", "batch_max", "256", "events committed together in one transaction at most",
       [](EngineConfig& c, const std::string& v) -> Status {
         std::uint64_t n = 0;
         STOREFLOW_RETURN_IF_ERROR(ApplyUnsigned(v, n));
         if (n < 1 || n > 10000) return InvalidArgument("batch_max must be from 1 to 10000");
         c.webhooks.batch_max = static_cast<int>(n);
         return Status::Ok();
       }},
      {"webhooks", "committers", "2", "group-commit threads (transactions in flight at once)",
       [](EngineConfig& c, const std::string& v) -> Status {
         std::uint64_t n = 0;
         STOREFLOW_RETURN_IF_ERROR(ApplyUnsigned(v, n));
         if (n < 1 || n > 16) return InvalidArgument("committers must be from 1 to 16");
         c.webhooks.committers = static_cast<int>(n);
         return Status::Ok();
       }},
      {"webhooks", "replay_dedupe", "topic",
       "which deliveries are replays of a stored one even under a new dedup key: `topic` (the "
       "same body under the same topic), `any_topic` (the same body under any topic of the "
       "source) or `off`; kept as long as the events (retention.events)",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (v == "topic") {
           c.webhooks.replay_dedupe = http::ReplayDedupe::kTopic;
         } else if (v == "any_topic") {
           c.webhooks.replay_dedupe = http::ReplayDedupe::kAnyTopic;
         } else if (v == "off") {
           c.webhooks.replay_dedupe = http::ReplayDedupe::kOff;
         } else {
           return InvalidArgument("expected topic, any_topic or off, got '" + v + "'");
         }
         return Status::Ok();
       }},
      {"webhooks", "shopify_max_age", "off",
       "refuse Shopify deliveries whose X-Shopify-Triggered-At is older than this (`off`, or "
       "at least 5h: Shopify retries a delivery with its original time for up to 4 hours)",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (v == "off" || v == "0") {
           c.webhooks.shopify_max_age = std::chrono::milliseconds(0);
           return Status::Ok();
         }
         auto d = ParseDuration(v);
         if (!d.ok()) return d.status();
         if (*d < std::chrono::hours(5)) {
           return InvalidArgument(
               "must be off or at least 5h (Shopify retries a delivery with its original "
               "X-Shopify-Triggered-At for up to 4 hours; a shorter window refuses honest "
               "retries), got " +
               v);
         }
         c.webhooks.shopify_max_age = *d;
         return Status::Ok();
       }},
      {"admin", "token", "",
       "bearer token of the admin API (/api/v1), at least 32 bytes; also accepted by /metrics. "
       "Without one the API is served only in dev mode on a loopback address",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyToken(v, c.admin.token);
       }},
      {"admin", "listen", "",
       "HOST:PORT of a listener of its own for the admin API (/api/v1), apart from the public "
       "webhooks and REST triggers of http.listen, which then answer /api/v1 with 404. Empty: "
       "the admin API shares http.listen",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (!v.empty() && v.rfind(':') == std::string::npos) {
           return InvalidArgument("expected HOST:PORT, e.g. 127.0.0.1:9090");
         }
         c.admin.listen = v;
         return Status::Ok();
       }},
      {"metrics", "token", "",
       "bearer token that /metrics requires (at least 32 bytes), so a scraper needs no admin "
       "rights; /metrics also accepts admin.token. Both empty: /metrics is open",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyToken(v, c.metrics.token);
       }},
      {"plugins", "dirs", "",
       "folders searched for plugins (a YAML list or comma-separated); each plugin is a "
       "sub-folder with plugin.yaml and its library. Empty: an installed storeflow's "
       "<prefix>/lib/storeflow/plugins, else <folder of the storeflow executable>/../plugins",
       [](EngineConfig& c, const std::string& v) -> Status {
         c.plugins.dirs = SplitList(v);
         return Status::Ok();
       }},
      {"plugins", "config", "",
       "per-plugin configuration: plugins.config.<plugin> is a map checked against that "
       "plugin's config_schema at start (in the environment: a JSON object by plugin name)",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (v.empty()) return Status::Ok();
         auto parsed = nlohmann::json::parse(v, nullptr, false);
         if (!parsed.is_object()) {
           return InvalidArgument("expected a JSON object {\"<plugin>\": {...}}");
         }
         for (const auto& [name, value] : parsed.items()) c.plugins.configs[name] = value;
         return Status::Ok();
       }},
      {"plugins", "isolate", "",
       "plugins run out of the engine's process (a YAML list or comma-separated names): each "
       "runs in worker processes that a crash or a hang takes down alone; the call in flight "
       "fails retryable (`plugin_crashed`, or `timeout` past the step's deadline)",
       [](EngineConfig& c, const std::string& v) -> Status {
         c.plugins.isolate.clear();
         for (const std::string& name : SplitList(v)) {
           const bool valid =
               !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
               std::all_of(name.begin(), name.end(), [](char ch) {
                 return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
               });
           if (!valid) {
             return InvalidArgument("'" + name +
                                    "' is not a plugin name (lower-case letters, digits, _)");
           }
           c.plugins.isolate.push_back(name);
         }
         return Status::Ok();
       }},
      {"plugins", "isolated_processes", "4",
       "the most worker processes one isolated plugin runs at once (1-64): each serves one call "
       "at a time, so this bounds that plugin's concurrent calls",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyCount(v, "isolated_processes", 1, 64, c.plugins.isolated_processes);
       }},
      {"dead_letters", "auto_redrive", "5m",
       "how often `storeflow serve` retries the dead letters whose error was retryable (attempts "
       "ran out; not permanent errors or fail steps); `off` (or 0): never",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (v == "off" || v == "0") {
           c.redrive.interval = std::chrono::milliseconds(0);
           return Status::Ok();
         }
         auto d = ParseDuration(v);
         if (!d.ok()) return InvalidArgument(d.status().message() + " (or off)");
         if (*d < std::chrono::seconds(1)) return InvalidArgument("at least 1s (or off)");
         c.redrive.interval = *d;
         return Status::Ok();
       }},
      {"dead_letters", "redrive_batch", "100", "dead letters retried per auto-redrive pass at most",
       [](EngineConfig& c, const std::string& v) -> Status {
         std::uint64_t n = 0;
         STOREFLOW_RETURN_IF_ERROR(ApplyUnsigned(v, n));
         if (n < 1 || n > 10'000) return InvalidArgument("expected 1 to 10000");
         c.redrive.options.max_per_pass = static_cast<int>(n);
         return Status::Ok();
       }},
      {"dead_letters", "max_redrives", "3",
       "how many times the auto-redrive retries one dead letter; after that only an operator does",
       [](EngineConfig& c, const std::string& v) -> Status {
         std::uint64_t n = 0;
         STOREFLOW_RETURN_IF_ERROR(ApplyUnsigned(v, n));
         if (n > 1000) return InvalidArgument("expected 0 to 1000");
         c.redrive.options.max_redrives = static_cast<int>(n);
         return Status::Ok();
       }},
      {"retention", "runs", "30d",
       "how long runs that completed, were cancelled, rejected or skipped are kept after "
       "they ended, with their steps (`keep`: for ever)",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyHorizon(v, c.retention.runs, runtime::RetentionPolicy::CheckRunHorizon);
       }},
      {"retention", "dead_letters", "keep",
       "how long failed runs (the dead-letter list) are kept after they failed, unless "
       "retried (`keep`: for ever)",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyHorizon(v, c.retention.dead_letters,
                             runtime::RetentionPolicy::CheckRunHorizon);
       }},
      {"retention", "events", "30d",
       "how long stored events (webhook deliveries, REST and queue messages) are kept; at "
       "least 2d, since redeliveries are recognised by the events kept (`keep`: for ever)",
       [](EngineConfig& c, const std::string& v) -> Status {
         return ApplyHorizon(v, c.retention.events, runtime::RetentionPolicy::CheckEventHorizon);
       }},
      {"retention", "interval", "1m",
       "how often the retention janitor deletes what is past keeping",
       [](EngineConfig& c, const std::string& v) -> Status {
         auto d = ParseDuration(v);
         if (!d.ok()) return d.status();
         STOREFLOW_RETURN_IF_ERROR(runtime::RetentionPolicy::CheckInterval(*d));
         c.retention.interval = *d;
         return Status::Ok();
       }},
      {"retention", "batch", "1000", "rows the janitor deletes per transaction",
       [](EngineConfig& c, const std::string& v) -> Status {
         std::uint64_t n = 0;
         STOREFLOW_RETURN_IF_ERROR(ApplyUnsigned(v, n));
         const int batch = n > 1'000'000 ? 1'000'001 : static_cast<int>(n);
         STOREFLOW_RETURN_IF_ERROR(runtime::RetentionPolicy::CheckBatch(batch));
         c.retention.batch = batch;
         return Status::Ok();
       }},
      {"secrets", "file", "",
       "a YAML file of secrets (NAME: value) for ${{ secrets.NAME }} and plugins; refused "
       "unless only its owner may read it (chmod 600). Environment variables "
       "STOREFLOW_SECRET_<NAME> add to it",
       [](EngineConfig& c, const std::string& v) -> Status {
         if (v.empty()) {
           c.secrets_file.reset();
         } else {
           c.secrets_file = v;
         }
         return Status::Ok();
       }},
  });
  return keys;
}

std::string Where(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// Records where every key under `node` was written (JSON pointer -> file:line:col).
void RecordLocations(const std::string& file, const YAML::Node& node, const std::string& pointer,
                     std::map<std::string, std::string>& out) {
  out[pointer] = Where(file, node.Mark());
  if (!node.IsMap()) return;
  for (const auto& entry : node) {
    const std::string here = pointer + "/" + entry.first.Scalar();
    RecordLocations(file, entry.second, here, out);
    out[here] = Where(file, entry.first.Mark());  // the key itself, not its value
  }
}

// plugins.config: a map of plugin name -> that plugin's config map (free-form
// here; each plugin's config_schema checks it when the plugin loads).
void ApplyPluginConfigs(const std::string& file, const YAML::Node& node, EngineConfig& config,
                        std::vector<std::string>& errors) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    errors.push_back(Where(file, node.Mark()) +
                     ": plugins.config must be a map of plugin name -> its config map");
    return;
  }
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    if (!entry.second.IsMap() && !entry.second.IsNull()) {
      errors.push_back(Where(file, entry.second.Mark()) + ": plugins.config." + name +
                       " must be a map (the plugin's config)");
      continue;
    }
    config.plugins.configs[name] =
        entry.second.IsNull() ? nlohmann::json::object() : workflow::YamlToJson(entry.second);
    auto& locations = config.plugins.config_locations[name];
    RecordLocations(file, entry.second, "", locations);
    locations[""] = Where(file, entry.first.Mark());
  }
}

// workflows: a map of workflow name -> a map of its config keys -> values. Only
// the shape is checked here; each value is checked against the workflow's own
// `config:` when the workflow loads (runtime/workflow_config.h).
void ApplyWorkflowConfigs(const std::string& file, const YAML::Node& node, EngineConfig& config,
                          std::vector<std::string>& errors) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    errors.push_back(Where(file, node.Mark()) +
                     ": workflows must be a map of workflow name -> its config values (e.g. "
                     "abandoned-cart: { abandon_after: 2h })");
    return;
  }
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    if (!workflow::IsValidId(name)) {
      errors.push_back(Where(file, entry.first.Mark()) + ": workflows: '" + name +
                       "' is not a workflow name (letters, digits, _ and -)");
      continue;
    }
    if (entry.second.IsNull()) continue;
    if (!entry.second.IsMap()) {
      errors.push_back(Where(file, entry.second.Mark()) + ": workflows." + name +
                       " must be a map of the workflow's config keys");
      continue;
    }
    config.workflows.file_origins[name] = Where(file, entry.first.Mark());
    auto& values = config.workflows.file[name];
    for (const auto& item : entry.second) {
      values[item.first.Scalar()] = {workflow::YamlToJson(item.second),
                                     Where(file, item.second.Mark())};
    }
  }
}

// Keys whose values are secrets: a file that sets one must be private, like
// secrets.file (the environment or secrets.file are the better places).
bool HoldsSecret(const std::string& path) {
  return path == "admin.token" || path == "webhooks.shopify_secrets";
}

// An error when `file` sets a secret (at `where`) and group or others may read
// or write it; nothing when the mode cannot be read (the file was just read).
void CheckSecretFileMode(const std::string& file, const std::string& where, const std::string& key,
                         std::vector<std::string>& errors) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return;
  if ((info.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode) & 07777u);
  errors.push_back(where + ": " + key + " is a secret, but " + file + " has mode " + mode +
                   " (group or others may read or write it): run `chmod 600 " + file +
                   "`, or move the value to the environment (STOREFLOW_" +
                   (key == "admin.token" ? std::string("ADMIN_TOKEN")
                                         : std::string("WEBHOOKS_SHOPIFY_SECRETS")) +
                   ")");
}

// Applies a YAML file's values; every problem is collected, not only the first.
void ApplyFile(const std::string& file, EngineConfig& config, std::vector<std::string>& errors) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    errors.push_back(file + ": cannot read the file");
    return;
  } catch (const YAML::Exception& e) {
    errors.push_back(Where(file, e.mark) + ": " + e.msg);
    return;
  }
  if (root.IsNull()) return;  // an empty file keeps the defaults
  if (!root.IsMap()) {
    errors.push_back(Where(file, root.Mark()) + ": expected a mapping of sections (e.g. lua:)");
    return;
  }
  std::vector<std::string> sections;
  for (const ConfigKey& k : Keys()) {
    if (std::find(sections.begin(), sections.end(), k.section) == sections.end()) {
      sections.push_back(k.section);
    }
  }
  std::vector<std::string> with_workflows = sections;
  with_workflows.emplace_back("workflows");
  for (const auto& section : root) {
    std::string section_name = section.first.as<std::string>();
    if (section_name == "workflows") {
      ApplyWorkflowConfigs(file, section.second, config, errors);
      continue;
    }
    if (std::find(sections.begin(), sections.end(), section_name) == sections.end()) {
      errors.push_back(Where(file, section.first.Mark()) + ": unknown section '" + section_name +
                       "'" + ValidChoicesHint(section_name, with_workflows, "valid sections"));
      continue;
    }
    if (section.second.IsNull()) continue;
    if (!section.second.IsMap()) {
      errors.push_back(Where(file, section.second.Mark()) + ": '" + section_name +
                       "' must be a mapping of keys");
      continue;
    }
    std::vector<std::string> names;
    for (const ConfigKey& k : Keys()) {
      if (k.section == section_name) names.push_back(k.name);
    }
    for (const auto& entry : section.second) {
      std::string name = entry.first.as<std::string>();
      auto key = std::find_if(Keys().begin(), Keys().end(), [&](const ConfigKey& k) {
        return k.section == section_name && k.name == name;
      });
      if (key == Keys().end()) {
        errors.push_back(Where(file, entry.first.Mark()) + ": unknown key '" + name + "' in '" +
                         section_name + "'" + ValidChoicesHint(name, names));
        continue;
      }
      if (key->path() == "plugins.config") {
        ApplyPluginConfigs(file, entry.second, config, errors);
        continue;
      }
      if (key->path() == "http.static" && !entry.second.IsScalar()) {
        const YAML::Node list = entry.second;
        if (!list.IsNull() && !list.IsSequence()) {
          errors.push_back(Where(file, list.Mark()) +
                           ": http.static must be a list of {path, dir, cache_control?}");
          continue;
        }
        Status s = ApplyStaticMounts(
            list.IsNull() ? nlohmann::json::array() : workflow::YamlToJson(list),
            [&](std::size_t i) {
              return Where(file,
                           list.IsSequence() && i < list.size() ? list[i].Mark() : list.Mark());
            },
            config.http.statics);
        if (!s.ok()) errors.push_back(s.message());
        continue;
      }
      if ((key->path() == "plugins.dirs" || key->path() == "plugins.isolate" ||
           key->path() == "http_client.allow_hosts" || key->path() == "http.cors_allowed_origins" ||
           key->path() == "http.cors_allowed_methods" ||
           key->path() == "http.cors_allowed_headers") &&
          entry.second.IsSequence()) {
        std::string joined;
        bool items_ok = true;
        for (const auto& item : entry.second) {
          if (!item.IsScalar()) {
            errors.push_back(Where(file, item.Mark()) + ": " + key->path() +
                             ": each item must be a single value");
            items_ok = false;
            continue;
          }
          // Each item alone first, so that an error points at the item itself.
          if (Status s = key->apply(config, item.Scalar()); !s.ok()) {
            errors.push_back(Where(file, item.Mark()) + ": " + key->path() + ": " + s.message());
            items_ok = false;
          }
          joined += (joined.empty() ? "" : ",") + item.Scalar();
        }
        if (!items_ok) continue;
        Status s = key->apply(config, joined);
        if (!s.ok()) errors.push_back(Where(file, entry.second.Mark()) + ": " + s.message());
        continue;
      }
      if (!entry.second.IsScalar()) {
        errors.push_back(Where(file, entry.second.Mark()) + ": " + key->path() +
                         " must be a single value");
        continue;
      }
      Status s = key->apply(config, entry.second.Scalar());
      if (!s.ok())
        errors.push_back(Where(file, entry.second.Mark()) + ": " + key->path() + ": " +
                         s.message());
      if (HoldsSecret(key->path()) && !entry.second.Scalar().empty()) {
        CheckSecretFileMode(file, Where(file, entry.second.Mark()), key->path(), errors);
      }
    }
  }
}

}  // namespace

Result<EngineConfig> LoadEngineConfig(const ConfigSources& sources) {
  auto getenv = sources.getenv ? sources.getenv : [](const char* n) { return std::getenv(n); };
  EngineConfig config;
  std::vector<std::string> errors;
  for (const ConfigKey& k : Keys()) {
    Status s = k.apply(config, k.default_value);
    if (!s.ok()) return Internal("built-in default of " + k.path() + ": " + s.message());
  }
  config.sources.emplace_back("built-in defaults");

  std::optional<std::string> file = sources.file;
  if (!file) {
    if (const char* env_file = getenv("STOREFLOW_CONFIG"); env_file && *env_file) {
      file = env_file;
    } else if (std::filesystem::exists("config/storeflow.yaml")) {
      file = "config/storeflow.yaml";
    } else if (sources.installed_config) {
      // An installed storeflow: <sysconfdir>/storeflow/storeflow.yaml (app/install_layout.h).
      std::error_code ec;
      if (const auto exe = ThisExecutable();
          exe && std::filesystem::is_regular_file(LayoutOf(*exe).config_file, ec)) {
        file = LayoutOf(*exe).config_file.string();
      }
    }
  }
  if (file) {
    if (!std::filesystem::exists(*file)) {
      return NotFound("configuration file " + *file + " does not exist");
    }
    ApplyFile(*file, config, errors);
    config.sources.push_back(*file);
  }

  // Shopify's conventional variable; STOREFLOW_WEBHOOKS_SHOPIFY_SECRETS wins over it.
  if (const char* shopify = getenv("SHOPIFY_WEBHOOK_SECRET"); shopify && *shopify) {
    auto key = std::find_if(Keys().begin(), Keys().end(), [](const ConfigKey& k) {
      return k.section == "webhooks" && k.name == "shopify_secrets";
    });
    if (key != Keys().end()) (void)key->apply(config, shopify);
    config.sources.emplace_back("SHOPIFY_WEBHOOK_SECRET");
  }

  bool any_env = false;
  for (const ConfigKey& k : Keys()) {
    std::string env = k.env();
    const char* value = getenv(env.c_str());
    if (value == nullptr) continue;
    Status s = k.apply(config, value);
    if (!s.ok()) errors.push_back("environment " + env + ": " + s.message());
    any_env = true;
  }
  // STOREFLOW_WORKFLOW_* (and the older STOREFLOW_WORKFLOWS_*): matched against the
  // workflows' config keys when they load.
  std::vector<std::string> names;
  if (sources.env_names) {
    names = sources.env_names();
  } else {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string entry = *e;
      names.push_back(entry.substr(0, entry.find('=')));
    }
  }
  for (const std::string& name : names) {
    if (!runtime::IsWorkflowConfigEnvName(name)) continue;
    if (const char* value = getenv(name.c_str()); value != nullptr) {
      config.workflows.env[name] = value;
      any_env = true;
    }
  }
  if (any_env) config.sources.emplace_back("environment");

  if (!errors.empty()) {
    std::string message = "invalid configuration:";
    for (const std::string& e : errors) message += "\n  " + e;
    return InvalidArgument(std::move(message));
  }
  return config;
}

std::vector<ConfigKeyInfo> DescribeConfigKeys() {
  std::vector<ConfigKeyInfo> out;
  for (const ConfigKey& k : Keys()) {
    out.push_back({k.path(), k.env(), k.default_value, k.description});
  }
  return out;
}

}  // namespace storeflow::app
