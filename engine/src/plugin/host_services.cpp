#include "plugin/host_services.h"

#include <chrono>
#include <cstring>
#include <exception>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "plugin/rate_governor.h"
#include "plugin/workflow_topics.h"
#include "workflow/template.h"

namespace storeflow::plugin {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxKeyBytes = 512;

std::string_view LevelName(std::int32_t level) {
  switch (level) {
    case STOREFLOW_LOG_DEBUG: return "debug";
    case STOREFLOW_LOG_WARN: return "warn";
    case STOREFLOW_LOG_ERROR: return "error";
    default: return "info";
  }
}

// labels_json (a flat object) as metric labels; values that are not strings are
// written as JSON. Unparseable labels are dropped (the sample still counts).
metrics::Labels ParseLabels(const char* labels_json) {
  metrics::Labels labels;
  if (labels_json == nullptr || *labels_json == '\0') return labels;
  Json parsed = Json::parse(labels_json, nullptr, false);
  if (!parsed.is_object()) return labels;
  for (const auto& [key, value] : parsed.items()) {
    labels.emplace_back(metrics::SanitizeMetricName(key),
                        value.is_string() ? value.get<std::string>() : value.dump());
  }
  return labels;
}

// One Lua sandbox per thread for render_template (sandboxes are not thread-safe).
script::Sandbox& ThreadSandbox(const script::Limits& limits) {
  thread_local std::unique_ptr<script::Sandbox> sandbox;
  if (!sandbox) {
    sandbox = std::make_unique<script::Sandbox>(limits);
    sandbox->set_log_sink([](script::LogLevel, std::string_view, std::string_view) {});
  }
  return *sandbox;
}

}  // namespace

HostServices::HostServices(std::string plugin, std::shared_ptr<const HostEnvironment> environment)
    : plugin_(std::move(plugin)), env_(std::move(environment)), metrics_(plugin_) {
  table_.struct_size = sizeof(storeflow_host_v1);
  table_.context = this;
  table_.reply_ok = &ReplyOk;
  table_.reply_error = &ReplyError;
  table_.log = &Log;
  table_.secret = &Secret;
  table_.kv_get = &KvGet;
  table_.kv_put = &KvPut;
  table_.kv_delete = &KvDelete;
  table_.counter_add = &CounterAdd;
  table_.histogram_observe = &HistogramObserve;
  table_.gauge_set = &GaugeSet;
  table_.now_ms = &NowMs;
  table_.rate_acquire = &RateAcquire;
  table_.render_template = &RenderTemplate;
  table_.rate_adjust = &RateAdjust;      // ABI 1.1
  table_.source_topics = &SourceTopics;  // ABI 1.2
  table_.public_url = &PublicUrl;
}

std::string HostServices::LogLine(const std::string& plugin, const storeflow_call_v1* call,
                                  std::string_view message) {
  std::string line = "[plugin " + plugin + "]";
  if (call != nullptr && call->struct_size >= sizeof(storeflow_call_v1)) {
    if (call->run_id != 0) line += " run " + std::to_string(call->run_id);
    if (call->step_path != nullptr && *call->step_path != '\0') {
      line += " step " + std::string(call->step_path);
    }
  }
  line += ": ";
  line += message;
  return line;
}

void HostServices::DeclareMetrics(std::vector<MetricSpec> specs) {
  metrics_.Declare(std::move(specs), metrics::Registry::Default());
}

std::string HostServices::ExportedName(const char* name, metrics::Type type) {
  return metrics_.Resolve(
      name, type, metrics::Registry::Default(),
      [this](const std::string& text) { Write("warn", LogLine(plugin_, nullptr, text)); });
}

void HostServices::Write(std::string_view level, const std::string& line) const {
  const std::string safe = env_->secrets ? env_->secrets->Redact(line) : line;
  if (env_->log) {
    env_->log(level, safe);
  } else {
    std::cerr << "[" << level << "] " << safe << "\n";
  }
}

runtime::TimeMs HostServices::Now() const {
  if (env_->clock != nullptr) return env_->clock->Now();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void HostServices::ReplyOk(storeflow_reply* reply, const char* output_json) {
  if (reply == nullptr) return;
  ++reply->replies;
  if (reply->replies > 1) return;  // the first answer counts
  reply->ok = true;
  reply->output = output_json != nullptr ? output_json : "null";
}

void HostServices::ReplyError(storeflow_reply* reply, std::int32_t kind, const char* code,
                              const char* message, std::int64_t retry_after_ms) {
  if (reply == nullptr) return;
  ++reply->replies;
  if (reply->replies > 1) return;
  reply->ok = false;
  reply->kind =
      kind == STOREFLOW_ERROR_RETRYABLE ? STOREFLOW_ERROR_RETRYABLE : STOREFLOW_ERROR_PERMANENT;
  reply->code = code != nullptr && *code != '\0' ? code : "plugin_error";
  reply->message = message != nullptr ? message : "";
  reply->retry_after_ms = retry_after_ms;
}

void HostServices::Log(void* context, const storeflow_call_v1* call, std::int32_t level,
                       const char* message) {
  try {
    HostServices& self = Self(context);
    self.Write(LevelName(level), LogLine(self.plugin_, call, message != nullptr ? message : ""));
  } catch (...) {  // nothing may cross the boundary
  }
}

const char* HostServices::Secret(void* context, const char* name) {
  HostServices& self = Self(context);
  if (name == nullptr || !self.env_->secrets) return nullptr;
  try {
    const std::string* value = self.env_->secrets->Find(name);
    return value != nullptr ? value->c_str() : nullptr;
  } catch (...) {
    return nullptr;
  }
}

std::int32_t HostServices::KvGet(void* context, const char* key, storeflow_bytes_fn sink,
                                 void* user) {
  HostServices& self = Self(context);
  try {
    if (key == nullptr || *key == '\0' || std::strlen(key) > kMaxKeyBytes || sink == nullptr) {
      return -1;
    }
    if (self.env_->store == nullptr) return -1;
    auto tx = self.env_->store->Begin();
    if (!tx.ok()) {
      self.Write("warn", LogLine(self.plugin_, nullptr, "kv_get: " + tx.status().message()));
      return -1;
    }
    auto value = (*tx)->KvGet(self.plugin_, key, self.Now());
    if (!value.ok()) {
      self.Write("warn", LogLine(self.plugin_, nullptr, "kv_get: " + value.status().message()));
      return -1;
    }
    if (!(*tx)->Commit().ok()) return -1;
    if (!value->has_value()) return 0;
    sink(user, (*value)->data(), (*value)->size());
    return 1;
  } catch (...) {
    return -1;
  }
}

std::int32_t HostServices::KvPut(void* context, const char* key, const char* value, size_t size,
                                 std::int64_t ttl_ms) {
  HostServices& self = Self(context);
  try {
    if (key == nullptr || *key == '\0' || std::strlen(key) > kMaxKeyBytes) return -1;
    if (value == nullptr && size > 0) return -1;
    if (self.env_->store == nullptr || ttl_ms < 0) return -1;
    const runtime::TimeMs now = self.Now();
    std::optional<runtime::TimeMs> expires;
    if (ttl_ms > 0) expires = now + ttl_ms;
    auto tx = self.env_->store->Begin();
    if (!tx.ok()) return -1;
    Status put = (*tx)->KvPut(self.plugin_, key, std::string(value != nullptr ? value : "", size),
                              expires, now);
    if (!put.ok()) {
      self.Write("warn", LogLine(self.plugin_, nullptr, "kv_put: " + put.message()));
      return -1;
    }
    return (*tx)->Commit().ok() ? 0 : -1;
  } catch (...) {
    return -1;
  }
}

std::int32_t HostServices::KvDelete(void* context, const char* key) {
  HostServices& self = Self(context);
  try {
    if (key == nullptr || *key == '\0' || self.env_->store == nullptr) return -1;
    auto tx = self.env_->store->Begin();
    if (!tx.ok()) return -1;
    auto deleted = (*tx)->KvDelete(self.plugin_, key, self.Now());
    if (!deleted.ok()) return -1;
    if (!(*tx)->Commit().ok()) return -1;
    return *deleted ? 1 : 0;
  } catch (...) {
    return -1;
  }
}

void HostServices::CounterAdd(void* context, const char* name, const char* labels, double value) {
  try {
    if (name == nullptr || !(value >= 0)) return;  // counters only go up
    metrics::Registry::Default().CounterAdd(
        Self(context).ExportedName(name, metrics::Type::kCounter), ParseLabels(labels), value);
  } catch (...) {
  }
}

void HostServices::HistogramObserve(void* context, const char* name, const char* labels,
                                    double value) {
  try {
    if (name == nullptr) return;
    metrics::Registry::Default().Observe(
        Self(context).ExportedName(name, metrics::Type::kHistogram), ParseLabels(labels), value);
  } catch (...) {
  }
}

void HostServices::GaugeSet(void* context, const char* name, const char* labels, double value) {
  try {
    if (name == nullptr) return;
    metrics::Registry::Default().GaugeSet(Self(context).ExportedName(name, metrics::Type::kGauge),
                                          ParseLabels(labels), value);
  } catch (...) {
  }
}

std::int64_t HostServices::NowMs(void* context) {
  return Self(context).Now();
}

std::int32_t HostServices::RateAcquire(void* context, const char* bucket, double capacity,
                                       double refill_per_second, double cost,
                                       std::int64_t max_wait_ms, std::int64_t* retry_after_ms) {
  HostServices& self = Self(context);
  try {
    if (bucket == nullptr || *bucket == '\0' || self.env_->rate == nullptr) return -1;
    if (self.env_->rate_observer && capacity > 0 && cost > 0 && cost <= capacity &&
        refill_per_second >= 0) {
      self.env_->rate_observer(self.plugin_, bucket, cost);
    }
    // Buckets are named per plugin: one plugin cannot drain another's budget.
    auto decision = self.env_->rate->Acquire(self.plugin_ + "/" + bucket, capacity,
                                             refill_per_second, cost, max_wait_ms);
    if (!decision.ok()) {
      self.Write("warn",
                 LogLine(self.plugin_, nullptr, "rate_acquire: " + decision.status().message()));
      return -1;
    }
    if (retry_after_ms != nullptr) *retry_after_ms = decision->taken ? 0 : decision->retry_after_ms;
    return decision->taken ? 1 : 0;
  } catch (...) {
    return -1;
  }
}

std::int32_t HostServices::RateAdjust(void* context, const char* bucket, double capacity,
                                      double refill_per_second, double refund, double at_most,
                                      double* level) {
  HostServices& self = Self(context);
  try {
    if (bucket == nullptr || *bucket == '\0' || self.env_->rate == nullptr) return -1;
    // The same per-plugin name as rate_acquire.
    auto after = self.env_->rate->Adjust(self.plugin_ + "/" + bucket, capacity, refill_per_second,
                                         refund, at_most);
    if (!after.ok()) {
      self.Write("warn",
                 LogLine(self.plugin_, nullptr, "rate_adjust: " + after.status().message()));
      return -1;
    }
    if (level != nullptr) *level = *after;
    return 1;
  } catch (...) {
    return -1;
  }
}

std::int32_t HostServices::SourceTopics(void* context, const char* source, storeflow_bytes_fn sink,
                                        void* user) {
  HostServices& self = Self(context);
  try {
    if (source == nullptr || *source == '\0' || sink == nullptr) return -1;
    if (!self.env_->topics) return 0;
    auto topics = self.env_->topics->For(source);
    if (!topics) return 0;
    const std::string text = Json(*topics).dump();
    sink(user, text.data(), text.size());
    return 1;
  } catch (...) {
    return -1;
  }
}

const char* HostServices::PublicUrl(void* context) {
  const std::string& url = Self(context).env_->public_url;
  return url.empty() ? nullptr : url.c_str();
}

std::int32_t HostServices::RenderTemplate(void* context, const char* template_text,
                                          const char* data_json, storeflow_bytes_fn sink,
                                          void* user) {
  HostServices& self = Self(context);
  if (sink == nullptr) return -1;
  try {
    auto fail = [&](const std::string& message) {
      sink(user, message.data(), message.size());
      return 0;
    };
    if (template_text == nullptr) return fail("no template text");
    Json data = Json::object();
    if (data_json != nullptr && *data_json != '\0') {
      data = Json::parse(data_json, nullptr, false);
      if (data.is_discarded()) return fail("data_json is not valid JSON");
      if (!data.is_object()) return fail("data_json must be a JSON object (its keys become names)");
    }
    auto parsed = workflow::Template::Parse(template_text, "<template>");
    if (!parsed.ok()) return fail(parsed.status().message());
    script::CallContext call{self.Now()};
    auto text =
        workflow::RenderString(*parsed, ThreadSandbox(self.env_->template_limits), data, call);
    if (!text.ok()) return fail(text.status().message());
    sink(user, text->data(), text->size());
    return 1;
  } catch (...) {
    return -1;
  }
}

}  // namespace storeflow::plugin
