#pragma once

// A storeflow_host_v1 for tests: loads a plugin library through its C entry point
// (dlopen + storeflow_plugin_v1), records logs and metrics, serves secrets and a
// key/value map from memory, and renders `${{ name.path }}` templates by looking
// dotted names up in the data (enough for plugin tests; the engine renders Lua
// expressions). rate_acquire / rate_adjust (ABI 1.1) are real token buckets, in
// memory per TestHost, with the engine governor's rules: they refill on the real
// (steady) clock, rate_acquire waits up to max_wait_ms, and bad arguments are
// errors (-1). The ABI 1.2 services (source_topics, public_url) answer like a
// host without workflows or public URL unless a test sets them.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "storeflow/plugin.h"

namespace storeflow::plugins::testing {

using Json = nlohmann::json;

// What a plugin answered through reply_ok / reply_error.
struct Reply {
  bool ok = false;
  Json output;            // reply_ok
  std::int32_t kind = 0;  // reply_error: STOREFLOW_ERROR_*
  std::string code;
  std::string message;
  std::int64_t retry_after_ms = -1;
  int replies = 0;  // must be exactly 1

  bool retryable() const { return !ok && kind == STOREFLOW_ERROR_RETRYABLE; }
  bool permanent() const { return !ok && kind == STOREFLOW_ERROR_PERMANENT; }
  std::string Describe() const;  // for assertion messages
};

struct LogLine {
  std::int32_t level;
  std::string message;
  std::string step_path;
};

class TestHost {
 public:
  TestHost();
  TestHost(const TestHost&) = delete;
  TestHost& operator=(const TestHost&) = delete;

  const storeflow_host_v1* table() const { return &table_; }

  void SetSecret(const std::string& name, const std::string& value);
  std::vector<LogLine> Logs() const;
  // Sum of counter_add calls for `name` (any labels when `labels` is null).
  double Counter(const std::string& name, const Json& labels = Json()) const;
  void SetNow(std::int64_t now_ms) { now_ms_ = now_ms; }

  // Token buckets (rate_acquire / rate_adjust), by the plugin's bucket name.
  struct RateCall {
    std::string bucket;
    double cost;
  };
  // The level now (refilled), or nullopt for a bucket never used.
  std::optional<double> RateLevel(const std::string& bucket) const;
  // Sets a bucket's level (created with this capacity when new).
  void SetRateLevel(const std::string& bucket, double level, double capacity = 0);
  // Every rate_acquire call, in order.
  std::vector<RateCall> RateAcquires() const;

  // ABI 1.2: what source_topics answers (nullopt: "no workflows known", 0) and
  // public_url ("" : NULL).
  void SetSourceTopics(const std::string& source, std::vector<std::string> topics);
  void SetPublicUrl(const std::string& url);

 private:
  static void Log(void* context, const storeflow_call_v1* call, std::int32_t level,
                  const char* message);
  static const char* Secret(void* context, const char* name);
  static std::int32_t KvGet(void* context, const char* key, storeflow_bytes_fn sink, void* user);
  static std::int32_t KvPut(void* context, const char* key, const char* value, std::size_t size,
                            std::int64_t ttl_ms);
  static std::int32_t KvDelete(void* context, const char* key);
  static void CounterAdd(void* context, const char* name, const char* labels, double value);
  static void Observe(void* context, const char* name, const char* labels, double value);
  static std::int64_t NowMs(void* context);
  static std::int32_t RateAcquire(void* context, const char* bucket, double capacity, double refill,
                                  double cost, std::int64_t max_wait_ms,
                                  std::int64_t* retry_after_ms);
  static std::int32_t RateAdjust(void* context, const char* bucket, double capacity, double refill,
                                 double refund, double at_most, double* level);
  static std::int32_t RenderTemplate(void* context, const char* text, const char* data_json,
                                     storeflow_bytes_fn sink, void* user);
  static std::int32_t SourceTopics(void* context, const char* source, storeflow_bytes_fn sink,
                                   void* user);
  static const char* PublicUrl(void* context);

  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point updated;
  };
  // The bucket refilled up to now (created full); call with mutex_ held.
  Bucket& Refilled(const std::string& name, double capacity, double refill);

  storeflow_host_v1 table_{};
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::string>> secrets_;
  std::map<std::string, std::string> kv_;
  std::vector<LogLine> logs_;
  std::vector<std::pair<std::string, double>> counters_;  // "name|labels" -> value
  std::int64_t now_ms_ = 1767225600000;                   // 2026-01-01T00:00:00Z
  std::map<std::string, Bucket> buckets_;
  std::vector<RateCall> rate_acquires_;
  std::map<std::string, std::vector<std::string>> source_topics_;
  std::string public_url_;
};

// What a test passes as the step context.
struct TestCall {
  std::string idempotency_key = "run-1/step";
  std::string step_path = "step";
  std::int32_t attempt = 1;
  std::int64_t now_ms = 1767225600000;
  std::int64_t deadline_ms = -1;  // -1: none
};

// A plugin library opened with dlopen (never closed: ASan reports would lose
// the symbols). Throws std::runtime_error when it cannot be loaded.
class LoadedPlugin {
 public:
  explicit LoadedPlugin(const std::string& library_path);
  const storeflow_plugin_table_v1& table() const { return *table_; }
  Json Manifest() const;

 private:
  const storeflow_plugin_table_v1* table_ = nullptr;
};

// One instance (init .. shutdown) of a loaded plugin.
class PluginInstance {
 public:
  // `init_reply` receives what init answered; the instance is null when it failed.
  static std::unique_ptr<PluginInstance> Create(const LoadedPlugin& plugin, TestHost& host,
                                                const Json& config, Reply* init_reply);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  Reply Invoke(const std::string& action, const Json& input, const TestCall& call = {}) const;

 private:
  PluginInstance(const LoadedPlugin& plugin, void* instance)
      : plugin_(plugin), instance_(instance) {}
  const LoadedPlugin& plugin_;
  void* instance_;
};

}  // namespace storeflow::plugins::testing
