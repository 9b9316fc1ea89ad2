// storeflow plugin SDK for C++ authors: a header-only wrapper over plugin.h.
//
// Write a class with a constructor taking (storeflow::sdk::Host&, const Json& config)
// and an Invoke method, then one macro:
//
//   class Greeter : public storeflow::sdk::Plugin {
//    public:
//     Greeter(storeflow::sdk::Host& host, const storeflow::sdk::Json& config);
//     storeflow::sdk::Json Invoke(std::string_view action, const storeflow::sdk::Json& input,
//                                 const storeflow::sdk::Call& call) override;
//   };
//   STOREFLOW_PLUGIN(Greeter, "greeter", "1.0.0", kGreeterManifest)
//
// Throw storeflow::sdk::Error::Retryable/Permanent to fail a step with a class;
// any other exception becomes a permanent "plugin_exception" error. Needs
// nlohmann/json (header-only) and C++17.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "storeflow/plugin.h"

namespace storeflow::sdk {

using Json = nlohmann::json;

// A classified failure: throw it from a constructor or Invoke.
class Error : public std::runtime_error {
 public:
  static Error Retryable(std::string code, const std::string& message,
                         std::int64_t retry_after_ms = -1) {
    return Error(STOREFLOW_ERROR_RETRYABLE, std::move(code), message, retry_after_ms);
  }
  static Error Permanent(std::string code, const std::string& message) {
    return Error(STOREFLOW_ERROR_PERMANENT, std::move(code), message, -1);
  }
  std::int32_t kind() const { return kind_; }
  const std::string& code() const { return code_; }
  std::int64_t retry_after_ms() const { return retry_after_ms_; }

 private:
  Error(std::int32_t kind, std::string code, const std::string& message,
        std::int64_t retry_after_ms)
      : std::runtime_error(message),
        kind_(kind),
        code_(std::move(code)),
        retry_after_ms_(retry_after_ms) {}
  std::int32_t kind_;
  std::string code_;
  std::int64_t retry_after_ms_;
};

// The step that invokes an action.
struct Call {
  std::int64_t run_id = 0;
  std::string workflow;
  std::string step_path;
  std::string idempotency_key;
  int attempt = 1;
  std::int64_t now_ms = 0;
  std::optional<std::int64_t> deadline_ms;
  // STOREFLOW_PREVIOUS_NONE / _FAILED / _UNKNOWN (a host older than ABI 1.1 never
  // says: NONE).
  int previous_attempt = STOREFLOW_PREVIOUS_NONE;
  const storeflow_call_v1* raw = nullptr;  // for Host::Log

  static Call From(const storeflow_call_v1* c) {
    Call call;
    if (c == nullptr) return call;
    call.raw = c;
    call.run_id = c->run_id;
    call.workflow = c->workflow != nullptr ? c->workflow : "";
    call.step_path = c->step_path != nullptr ? c->step_path : "";
    call.idempotency_key = c->idempotency_key != nullptr ? c->idempotency_key : "";
    call.attempt = c->attempt;
    call.now_ms = c->now_ms;
    if (c->deadline_ms >= 0) call.deadline_ms = c->deadline_ms;
    if (c->struct_size >= offsetof(storeflow_call_v1, previous_attempt) + sizeof(std::int32_t)) {
      call.previous_attempt = c->previous_attempt;
    }
    return call;
  }
};

// The host's services (see storeflow_host_v1).
class Host {
 public:
  explicit Host(const storeflow_host_v1* host) : host_(host) {}

  void Log(int level, const std::string& message, const Call* call = nullptr) const {
    host_->log(host_->context, call != nullptr ? call->raw : nullptr, level, message.c_str());
  }
  void Info(const std::string& message, const Call* call = nullptr) const {
    Log(STOREFLOW_LOG_INFO, message, call);
  }
  void Warn(const std::string& message, const Call* call = nullptr) const {
    Log(STOREFLOW_LOG_WARN, message, call);
  }

  std::optional<std::string> Secret(const std::string& name) const {
    const char* value = host_->secret(host_->context, name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }

  // Throws Error::Retryable("kv_error") when the store fails.
  std::optional<std::string> KvGet(const std::string& key) const {
    std::string value;
    auto sink = [](void* user, const char* data, std::size_t size) {
      static_cast<std::string*>(user)->assign(data, size);
    };
    std::int32_t found = host_->kv_get(host_->context, key.c_str(), sink, &value);
    if (found < 0) throw Error::Retryable("kv_error", "the key/value store failed on get");
    if (found == 0) return std::nullopt;
    return value;
  }
  void KvPut(const std::string& key, std::string_view value, std::int64_t ttl_ms = 0) const {
    if (host_->kv_put(host_->context, key.c_str(), value.data(), value.size(), ttl_ms) < 0) {
      throw Error::Retryable("kv_error", "the key/value store failed on put");
    }
  }
  bool KvDelete(const std::string& key) const {
    std::int32_t deleted = host_->kv_delete(host_->context, key.c_str());
    if (deleted < 0) throw Error::Retryable("kv_error", "the key/value store failed on delete");
    return deleted == 1;
  }

  void CounterAdd(const std::string& name, const Json& labels = Json(), double value = 1) const {
    std::string text = labels.is_null() ? std::string() : labels.dump();
    host_->counter_add(host_->context, name.c_str(), text.empty() ? nullptr : text.c_str(), value);
  }
  void Observe(const std::string& name, double value, const Json& labels = Json()) const {
    std::string text = labels.is_null() ? std::string() : labels.dump();
    host_->histogram_observe(host_->context, name.c_str(), text.empty() ? nullptr : text.c_str(),
                             value);
  }
  void GaugeSet(const std::string& name, double value, const Json& labels = Json()) const {
    std::string text = labels.is_null() ? std::string() : labels.dump();
    host_->gauge_set(host_->context, name.c_str(), text.empty() ? nullptr : text.c_str(), value);
  }

  std::int64_t NowMs() const { return host_->now_ms(host_->context); }

  // Renders `${{ }}` expressions in `text` against `data`; a bad template throws
  // Error::Permanent("template_error") with the position.
  std::string RenderTemplate(const std::string& text, const Json& data) const {
    std::string out;
    auto sink = [](void* user, const char* bytes, std::size_t size) {
      static_cast<std::string*>(user)->assign(bytes, size);
    };
    std::string data_text = data.dump();
    std::int32_t rendered =
        host_->render_template(host_->context, text.c_str(), data_text.c_str(), sink, &out);
    if (rendered == 1) return out;
    if (rendered == 0) throw Error::Permanent("template_error", out);
    throw Error::Retryable("template_internal", "the engine failed to render a template");
  }

  // Takes `cost` tokens from `bucket`, waiting at most max_wait_ms. Returns
  // nullopt when taken, otherwise how long to wait before enough are there.
  std::optional<std::int64_t> RateAcquire(const std::string& bucket, double capacity,
                                          double refill_per_second, double cost = 1,
                                          std::int64_t max_wait_ms = 0) const {
    std::int64_t retry_after = 0;
    std::int32_t got = host_->rate_acquire(host_->context, bucket.c_str(), capacity,
                                           refill_per_second, cost, max_wait_ms, &retry_after);
    if (got < 0) throw Error::Retryable("rate_limit_error", "the rate-limit governor failed");
    if (got == 1) return std::nullopt;
    return retry_after;
  }

  // ABI 1.1: whether the host offers rate_adjust (an ABI 1.0 host does not).
  bool HasRateAdjust() const {
    return host_->struct_size >= STOREFLOW_HOST_V1_1_SIZE && host_->rate_adjust != nullptr;
  }

  // Gives `refund` tokens back to `bucket`, then lowers its level to `at_most`
  // when that is >= 0 and lower (see plugin.h). Returns the level after;
  // nullopt when the host is older than ABI 1.1. Throws
  // Error::Retryable("rate_limit_error") when the governor fails.
  std::optional<double> RateAdjust(const std::string& bucket, double capacity,
                                   double refill_per_second, double refund,
                                   double at_most = -1) const {
    if (!HasRateAdjust()) return std::nullopt;
    double level = 0;
    std::int32_t done = host_->rate_adjust(host_->context, bucket.c_str(), capacity,
                                           refill_per_second, refund, at_most, &level);
    if (done < 0) throw Error::Retryable("rate_limit_error", "the rate-limit governor failed");
    return level;
  }

  // ABI 1.2: whether the host offers source_topics and public_url.
  bool HasWorkflowInfo() const {
    return host_->struct_size >= STOREFLOW_HOST_V1_2_SIZE && host_->source_topics != nullptr &&
           host_->public_url != nullptr;
  }

  // The topics of webhook source `source` that the loaded workflows listen to
  // (triggers and wait_for steps), sorted and distinct. nullopt when the host is
  // older than ABI 1.2 or knows no workflows. Throws
  // Error::Retryable("workflow_info_error") when the host fails.
  std::optional<std::vector<std::string>> SourceTopics(const std::string& source) const {
    if (!HasWorkflowInfo()) return std::nullopt;
    std::string text;
    auto sink = [](void* user, const char* data, std::size_t size) {
      static_cast<std::string*>(user)->assign(data, size);
    };
    std::int32_t got = host_->source_topics(host_->context, source.c_str(), sink, &text);
    if (got == 0) return std::nullopt;
    Json parsed = got > 0 ? Json::parse(text, nullptr, false) : Json();
    if (got < 0 || !parsed.is_array()) {
      throw Error::Retryable("workflow_info_error", "the engine failed to list the topics of '" +
                                                        source + "' its workflows listen to");
    }
    std::vector<std::string> topics;
    for (const Json& topic : parsed) {
      if (topic.is_string()) topics.push_back(topic.get<std::string>());
    }
    return topics;
  }

  // The engine's public base URL (http.public_url, no trailing slash); nullopt
  // when not configured or the host is older than ABI 1.2.
  std::optional<std::string> PublicUrl() const {
    if (!HasWorkflowInfo()) return std::nullopt;
    const char* url = host_->public_url(host_->context);
    if (url == nullptr || *url == '\0') return std::nullopt;
    return std::string(url);
  }

  const storeflow_host_v1* raw() const { return host_; }

 private:
  const storeflow_host_v1* host_;
};

// ABI 1.3: what a running event source hands its messages to (see
// storeflow_source_host). Thread-safe: a source's own threads may share it.
class SourceHost {
 public:
  enum class Published {
    kNew,        // committed: acknowledge upstream
    kDuplicate,  // already committed before: acknowledge upstream too
    kFailed,     // not committed: do not acknowledge, let it come back
    kRefused,    // never accepted (not JSON...): poison, retrying cannot help
  };

  explicit SourceHost(const storeflow_source_host* host) : host_(host) {}

  // Blocks until the event "<source>/<topic>" is committed (or has failed).
  // `payload_json` must be a JSON document; `meta` an object or null.
  Published Publish(const std::string& topic, const std::string& dedup_key,
                    const std::string& payload_json, const Json& meta = Json()) const {
    const std::string meta_text = meta.is_null() ? std::string() : meta.dump();
    const std::int32_t got =
        host_->publish(host_->source_ctx, topic.c_str(), dedup_key.c_str(), payload_json.c_str(),
                       meta_text.empty() ? nullptr : meta_text.c_str());
    switch (got) {
      case STOREFLOW_PUBLISH_NEW: return Published::kNew;
      case STOREFLOW_PUBLISH_DUPLICATE: return Published::kDuplicate;
      case STOREFLOW_PUBLISH_REFUSED: return Published::kRefused;
      default: return Published::kFailed;
    }
  }

  // Waits at most `wait_ms` for the host to ask the source to stop; true: stop.
  bool WaitForStop(std::int64_t wait_ms) const {
    return host_->should_stop(host_->source_ctx, wait_ms) != 0;
  }
  bool StopRequested() const { return WaitForStop(0); }

  const storeflow_source_host* raw() const { return host_; }

 private:
  const storeflow_source_host* host_;
};

// Base class of a plugin instance. Invoke is called from many threads at once.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual Json Invoke(std::string_view action, const Json& input, const Call& call) = 0;

  // ABI 1.3: runs the event source `name` declared in the manifest's "sources"
  // until source.WaitForStop/StopRequested says stop. `config` is
  // {"topics": [...]}: the topics the loaded workflows listen to. Runs on a
  // thread of the host's; threads it starts must end before it returns. Throw
  // (or return) when it cannot run: the host logs it and starts it again after a
  // pause. The default: no sources.
  virtual void RunSource(std::string_view name, const Json& config, const SourceHost& source) {
    (void)config;
    (void)source;
    throw Error::Permanent("unknown_source", "no source named '" + std::string(name) + "'");
  }
};

namespace detail {

template <typename Fn>
void Guard(const storeflow_host_v1* host, storeflow_reply* reply, Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    host->reply_error(reply, e.kind(), e.code().c_str(), e.what(), e.retry_after_ms());
  } catch (const Json::exception& e) {
    host->reply_error(reply, STOREFLOW_ERROR_PERMANENT, "plugin_json", e.what(), -1);
  } catch (const std::bad_alloc&) {
    host->reply_error(reply, STOREFLOW_ERROR_RETRYABLE, "plugin_out_of_memory",
                      "the plugin ran out of memory", -1);
  } catch (const std::exception& e) {
    host->reply_error(reply, STOREFLOW_ERROR_PERMANENT, "plugin_exception", e.what(), -1);
  } catch (...) {
    host->reply_error(reply, STOREFLOW_ERROR_PERMANENT, "plugin_exception",
                      "the plugin threw a non-standard exception", -1);
  }
}

// What the C table's instance pointer points at.
template <typename T>
struct Instance {
  Host host;
  std::unique_ptr<T> plugin;
};

template <typename T>
void* Init(const storeflow_host_v1* host, const char* config_json, storeflow_reply* reply) {
  Instance<T>* created = nullptr;
  Guard(host, reply, [&] {
    auto instance = std::make_unique<Instance<T>>(Instance<T>{Host(host), nullptr});
    Json config = (config_json != nullptr && *config_json != '\0') ? Json::parse(config_json)
                                                                   : Json::object();
    instance->plugin = std::make_unique<T>(instance->host, config);
    host->reply_ok(reply, "null");
    created = instance.release();
  });
  return created;
}

template <typename T>
void Invoke(void* instance, const char* action, const char* input_json,
            const storeflow_call_v1* call, storeflow_reply* reply) {
  auto* self = static_cast<Instance<T>*>(instance);
  const storeflow_host_v1* host = self->host.raw();
  Guard(host, reply, [&] {
    Json input =
        (input_json != nullptr && *input_json != '\0') ? Json::parse(input_json) : Json::object();
    Json output = self->plugin->Invoke(action != nullptr ? action : "", input, Call::From(call));
    std::string text = output.dump();
    host->reply_ok(reply, text.c_str());
  });
}

template <typename T>
std::int32_t StartSource(void* instance, const char* name, const char* config_json,
                         const storeflow_source_host* source) {
  auto* self = static_cast<Instance<T>*>(instance);
  const std::string source_name = name != nullptr ? name : "";
  try {
    Json config = (config_json != nullptr && *config_json != '\0') ? Json::parse(config_json)
                                                                   : Json::object();
    self->plugin->RunSource(source_name, config, SourceHost(source));
    return 0;
  } catch (const std::exception& e) {
    self->host.Log(STOREFLOW_LOG_ERROR, "source '" + source_name + "' failed: " + e.what());
  } catch (...) {
    self->host.Log(STOREFLOW_LOG_ERROR,
                   "source '" + source_name + "' failed with a non-standard exception");
  }
  return -1;
}

template <typename T>
void Shutdown(void* instance) {
  try {
    delete static_cast<Instance<T>*>(instance);
  } catch (...) {  // a destructor that throws must not cross the boundary
  }
}

}  // namespace detail
}  // namespace storeflow::sdk

// Defines the plugin's entry point. CLASS derives from storeflow::sdk::Plugin;
// NAME and VERSION are string literals; MANIFEST is a `const char*` holding the
// manifest JSON (see plugin.h), alive for the life of the library.
#define STOREFLOW_PLUGIN(CLASS, NAME, VERSION, MANIFEST)                                      \
  extern "C" STOREFLOW_PLUGIN_EXPORT const storeflow_plugin_table_v1* STOREFLOW_PLUGIN_ENTRY( \
      void) {                                                                                 \
    static const storeflow_plugin_table_v1 table = {                                          \
        sizeof(storeflow_plugin_table_v1),                                                    \
        STOREFLOW_PLUGIN_ABI_MAJOR,                                                           \
        STOREFLOW_PLUGIN_ABI_MINOR,                                                           \
        NAME,                                                                                 \
        VERSION,                                                                              \
        MANIFEST,                                                                             \
        &::storeflow::sdk::detail::Init<CLASS>,                                               \
        &::storeflow::sdk::detail::Invoke<CLASS>,                                             \
        &::storeflow::sdk::detail::Shutdown<CLASS>,                                           \
        &::storeflow::sdk::detail::StartSource<CLASS>};                                       \
    return &table;                                                                            \
  }
