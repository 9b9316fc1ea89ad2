#pragma once

// The host side of the plugin ABI: storeflow_host_v1 (the services a plugin
// calls) and storeflow_reply (where its answers land). One HostServices per
// loaded plugin; they share one HostEnvironment.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "plugin/plugin_metrics.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/secrets.h"
#include "script/sandbox.h"
#include "store/store.h"
#include "storeflow/plugin.h"

// What an invoke (or init) answered. Defined by the host; opaque to plugins.
struct storeflow_reply {
  int replies = 0;  // how many reply functions were called (exactly one is right)
  bool ok = false;
  std::string output;  // reply_ok: the output JSON text
  std::int32_t kind = STOREFLOW_ERROR_PERMANENT;
  std::string code;
  std::string message;
  std::int64_t retry_after_ms = -1;
};

namespace storeflow::plugin {

class RateGovernor;
class WorkflowTopics;

// What every plugin of one host shares.
// Told of every rate_acquire a plugin makes with valid arguments (the plugin, its
// bucket name as the plugin wrote it, the cost), before the governor decides.
using RateAcquireObserver =
    std::function<void(const std::string& plugin, const std::string& bucket, double cost)>;

struct HostEnvironment {
  store::Store* store = nullptr;  // null: kv_* report errors (e.g. `storeflow validate`)
  runtime::Clock* clock = nullptr;
  std::shared_ptr<const runtime::SecretStore> secrets;  // null: no secrets
  RateGovernor* rate = nullptr;                         // null: rate_acquire reports errors
  RateAcquireObserver rate_observer;                    // null: none (the plugin test kit's)
  runtime::ActionLogger log;                            // the engine log; null: stderr
  script::Limits template_limits;                       // render_template's sandbox
  // ABI 1.2: the loaded workflows' topics (null: none known) and http.public_url
  // ("" when not configured).
  std::shared_ptr<const WorkflowTopics> topics;
  std::string public_url;
};

class HostServices {
 public:
  HostServices(std::string plugin, std::shared_ptr<const HostEnvironment> environment);
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  const storeflow_host_v1* table() const { return &table_; }
  const std::string& plugin() const { return plugin_; }

  // The engine log line for a plugin message: "[plugin NAME] run N step S: text".
  static std::string LogLine(const std::string& plugin, const storeflow_call_v1* call,
                             std::string_view message);
  // The metrics the plugin's manifest declares: their help, units and buckets
  // (plugin_metrics.h names what they are exported as).
  void DeclareMetrics(std::vector<MetricSpec> specs);
  // Writes a warn line about the plugin (LogLine's shape) to the engine log.
  void Warn(const storeflow_call_v1* call, std::string_view message) const {
    Write("warn", LogLine(plugin_, call, message));
  }

 private:
  static HostServices& Self(void* context) { return *static_cast<HostServices*>(context); }
  static void ReplyOk(storeflow_reply* reply, const char* output_json);
  static void ReplyError(storeflow_reply* reply, std::int32_t kind, const char* code,
                         const char* message, std::int64_t retry_after_ms);
  static void Log(void* context, const storeflow_call_v1* call, std::int32_t level,
                  const char* message);
  static const char* Secret(void* context, const char* name);
  static std::int32_t KvGet(void* context, const char* key, storeflow_bytes_fn sink, void* user);
  static std::int32_t KvPut(void* context, const char* key, const char* value, size_t size,
                            std::int64_t ttl_ms);
  static std::int32_t KvDelete(void* context, const char* key);
  static void CounterAdd(void* context, const char* name, const char* labels, double value);
  static void HistogramObserve(void* context, const char* name, const char* labels, double value);
  static void GaugeSet(void* context, const char* name, const char* labels, double value);
  static std::int64_t NowMs(void* context);
  static std::int32_t RateAcquire(void* context, const char* bucket, double capacity,
                                  double refill_per_second, double cost, std::int64_t max_wait_ms,
                                  std::int64_t* retry_after_ms);
  static std::int32_t RenderTemplate(void* context, const char* template_text,
                                     const char* data_json, storeflow_bytes_fn sink, void* user);
  static std::int32_t RateAdjust(void* context, const char* bucket, double capacity,
                                 double refill_per_second, double refund, double at_most,
                                 double* level);
  static std::int32_t SourceTopics(void* context, const char* source, storeflow_bytes_fn sink,
                                   void* user);
  static const char* PublicUrl(void* context);

  void Write(std::string_view level, const std::string& line) const;
  std::string ExportedName(const char* name, metrics::Type type);
  runtime::TimeMs Now() const;

  std::string plugin_;
  std::shared_ptr<const HostEnvironment> env_;
  PluginMetrics metrics_;
  storeflow_host_v1 table_{};
};

}  // namespace storeflow::plugin
