#include "plugin_test_host.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>

// The opaque reply type of plugin.h, as this host defines it.
struct storeflow_reply {
  storeflow::plugins::testing::Reply reply;
};

namespace storeflow::plugins::testing {
namespace {

void ReplyOk(storeflow_reply* r, const char* output_json) {
  r->reply.replies++;
  r->reply.ok = true;
  r->reply.output = Json::parse(output_json != nullptr ? output_json : "null");
}

void ReplyError(storeflow_reply* r, std::int32_t kind, const char* code, const char* message,
                std::int64_t retry_after_ms) {
  r->reply.replies++;
  r->reply.ok = false;
  r->reply.kind = kind;
  r->reply.code = code != nullptr ? code : "";
  r->reply.message = message != nullptr ? message : "";
  r->reply.retry_after_ms = retry_after_ms;
}

TestHost* Self(void* context) {
  return static_cast<TestHost*>(context);
}

// Looks up "a.b.c" in `data`; nullptr when absent.
const Json* Lookup(const Json& data, const std::string& path) {
  const Json* node = &data;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = path.find('.', start);
    std::string name =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(name)) return nullptr;
    node = &(*node)[name];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node;
}

std::string Trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t");
  std::size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::string Reply::Describe() const {
  if (ok) return "ok " + output.dump();
  return std::string(kind == STOREFLOW_ERROR_RETRYABLE ? "retryable " : "permanent ") + code +
         ": " + message;
}

TestHost::TestHost() {
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
  table_.histogram_observe = &Observe;
  table_.gauge_set = &Observe;
  table_.now_ms = &NowMs;
  table_.rate_acquire = &RateAcquire;
  table_.render_template = &RenderTemplate;
  table_.rate_adjust = &RateAdjust;      // ABI 1.1
  table_.source_topics = &SourceTopics;  // ABI 1.2
  table_.public_url = &PublicUrl;
}

TestHost::Bucket& TestHost::Refilled(const std::string& name, double capacity, double refill) {
  const auto now = std::chrono::steady_clock::now();
  auto [it, created] = buckets_.try_emplace(name, Bucket{capacity, now});
  Bucket& b = it->second;
  const double elapsed_s = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(capacity, b.tokens + std::max(0.0, elapsed_s) * refill);
  b.updated = now;
  return b;
}

std::optional<double> TestHost::RateLevel(const std::string& bucket) const {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(bucket);
  if (it == buckets_.end()) return std::nullopt;
  return it->second.tokens;  // as of its last use (a read does not refill)
}

void TestHost::SetRateLevel(const std::string& bucket, double level, double capacity) {
  std::lock_guard lock(mutex_);
  auto [it, created] = buckets_.try_emplace(bucket, Bucket{std::max(level, capacity), {}});
  it->second.tokens = level;
  it->second.updated = std::chrono::steady_clock::now();
}

std::vector<TestHost::RateCall> TestHost::RateAcquires() const {
  std::lock_guard lock(mutex_);
  return rate_acquires_;
}

void TestHost::SetSourceTopics(const std::string& source, std::vector<std::string> topics) {
  std::lock_guard lock(mutex_);
  source_topics_[source] = std::move(topics);
}

void TestHost::SetPublicUrl(const std::string& url) {
  std::lock_guard lock(mutex_);
  public_url_ = url;
}

void TestHost::SetSecret(const std::string& name, const std::string& value) {
  std::lock_guard lock(mutex_);
  secrets_[name] = std::make_unique<std::string>(value);
}

std::vector<LogLine> TestHost::Logs() const {
  std::lock_guard lock(mutex_);
  return logs_;
}

double TestHost::Counter(const std::string& name, const Json& labels) const {
  std::lock_guard lock(mutex_);
  double sum = 0;
  std::string exact = name + "|" + (labels.is_null() ? "" : labels.dump());
  for (const auto& [key, value] : counters_) {
    if (labels.is_null() ? key.starts_with(name + "|") : key == exact) sum += value;
  }
  return sum;
}

void TestHost::Log(void* context, const storeflow_call_v1* call, std::int32_t level,
                   const char* message) {
  std::lock_guard lock(Self(context)->mutex_);
  Self(context)->logs_.push_back(
      LogLine{level, message != nullptr ? message : "",
              call != nullptr && call->step_path != nullptr ? call->step_path : ""});
}

const char* TestHost::Secret(void* context, const char* name) {
  std::lock_guard lock(Self(context)->mutex_);
  auto it = Self(context)->secrets_.find(name);
  return it == Self(context)->secrets_.end() ? nullptr : it->second->c_str();
}

std::int32_t TestHost::KvGet(void* context, const char* key, storeflow_bytes_fn sink, void* user) {
  std::lock_guard lock(Self(context)->mutex_);
  auto it = Self(context)->kv_.find(key);
  if (it == Self(context)->kv_.end()) return 0;
  sink(user, it->second.data(), it->second.size());
  return 1;
}

std::int32_t TestHost::KvPut(void* context, const char* key, const char* value, std::size_t size,
                             std::int64_t) {
  std::lock_guard lock(Self(context)->mutex_);
  Self(context)->kv_[key] = std::string(value, size);
  return 0;
}

std::int32_t TestHost::KvDelete(void* context, const char* key) {
  std::lock_guard lock(Self(context)->mutex_);
  return Self(context)->kv_.erase(key) > 0 ? 1 : 0;
}

void TestHost::CounterAdd(void* context, const char* name, const char* labels, double value) {
  std::lock_guard lock(Self(context)->mutex_);
  std::string labels_text = labels != nullptr ? Json::parse(labels).dump() : "";
  Self(context)->counters_.emplace_back(std::string(name) + "|" + labels_text, value);
}

void TestHost::Observe(void*, const char*, const char* labels, double) {
  if (labels != nullptr) Json checked = Json::parse(labels);  // must be valid JSON
}

std::int64_t TestHost::NowMs(void* context) {
  return Self(context)->now_ms_;
}

std::int32_t TestHost::RateAcquire(void* context, const char* bucket, double capacity,
                                   double refill, double cost, std::int64_t max_wait_ms,
                                   std::int64_t* retry_after_ms) {
  TestHost& self = *Self(context);
  // The engine governor's argument rules (plugin/rate_governor.cpp).
  if (bucket == nullptr || *bucket == '\0' || !(capacity > 0) || !(cost > 0) || cost > capacity ||
      !(refill >= 0) || !std::isfinite(capacity) || !std::isfinite(refill)) {
    return -1;
  }
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::max<std::int64_t>(0, max_wait_ms));
  bool recorded = false;
  while (true) {
    std::int64_t wait = -1;
    {
      std::lock_guard lock(self.mutex_);
      if (!recorded) self.rate_acquires_.push_back(RateCall{bucket, cost});
      recorded = true;
      Bucket& b = self.Refilled(bucket, capacity, refill);
      if (b.tokens + 1e-9 >= cost) {
        b.tokens = std::max(0.0, b.tokens - cost);
        if (retry_after_ms != nullptr) *retry_after_ms = 0;
        return 1;
      }
      if (refill > 0)
        wait = static_cast<std::int64_t>(std::ceil((cost - b.tokens) / refill * 1000));
    }
    if (wait < 0 || std::chrono::steady_clock::now() + std::chrono::milliseconds(wait) > deadline) {
      if (retry_after_ms != nullptr) *retry_after_ms = wait;
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
}

std::int32_t TestHost::RateAdjust(void* context, const char* bucket, double capacity, double refill,
                                  double refund, double at_most, double* level) {
  TestHost& self = *Self(context);
  if (bucket == nullptr || *bucket == '\0' || !(capacity > 0) || !(refund >= 0) || !(refill >= 0) ||
      !std::isfinite(capacity) || !std::isfinite(refund) || !std::isfinite(at_most)) {
    return -1;
  }
  std::lock_guard lock(self.mutex_);
  Bucket& b = self.Refilled(bucket, capacity, refill);
  b.tokens = std::min(capacity, b.tokens + refund);
  if (at_most >= 0) b.tokens = std::min(b.tokens, at_most);
  if (level != nullptr) *level = b.tokens;
  return 1;
}

std::int32_t TestHost::SourceTopics(void* context, const char* source, storeflow_bytes_fn sink,
                                    void* user) {
  TestHost& self = *Self(context);
  if (source == nullptr || sink == nullptr) return -1;
  std::lock_guard lock(self.mutex_);
  auto it = self.source_topics_.find(source);
  if (it == self.source_topics_.end()) return 0;
  std::vector<std::string> topics = it->second;
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  const std::string text = Json(topics).dump();
  sink(user, text.data(), text.size());
  return 1;
}

const char* TestHost::PublicUrl(void* context) {
  TestHost& self = *Self(context);
  std::lock_guard lock(self.mutex_);
  return self.public_url_.empty() ? nullptr : self.public_url_.c_str();
}

std::int32_t TestHost::RenderTemplate(void*, const char* text, const char* data_json,
                                      storeflow_bytes_fn sink, void* user) {
  Json data = Json::parse(data_json);
  std::string in(text);
  std::string out;
  std::size_t pos = 0;
  while (true) {
    std::size_t open = in.find("${{", pos);
    if (open == std::string::npos) {
      out += in.substr(pos);
      break;
    }
    out += in.substr(pos, open - pos);
    std::size_t close = in.find("}}", open + 3);
    if (close == std::string::npos) {
      std::string message = "unterminated ${{ at offset " + std::to_string(open);
      sink(user, message.data(), message.size());
      return 0;
    }
    std::string expr = Trim(in.substr(open + 3, close - open - 3));
    const Json* value = Lookup(data, expr);
    if (value == nullptr) {
      std::string message = "unknown name '" + expr + "' at offset " + std::to_string(open);
      sink(user, message.data(), message.size());
      return 0;
    }
    out += value->is_string() ? value->get<std::string>() : value->dump();
    pos = close + 2;
  }
  sink(user, out.data(), out.size());
  return 1;
}

LoadedPlugin::LoadedPlugin(const std::string& library_path) {
  void* handle = ::dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    throw std::runtime_error("cannot load " + library_path + ": " + ::dlerror());
  }
  auto entry =
      reinterpret_cast<storeflow_plugin_entry_fn>(::dlsym(handle, STOREFLOW_PLUGIN_ENTRY_NAME));
  if (entry == nullptr) {
    throw std::runtime_error(library_path + " does not export " STOREFLOW_PLUGIN_ENTRY_NAME);
  }
  table_ = entry();
  if (table_ == nullptr || table_->abi_major != STOREFLOW_PLUGIN_ABI_MAJOR ||
      table_->struct_size < sizeof(storeflow_plugin_table_v1)) {
    throw std::runtime_error(library_path + " has an incompatible plugin table");
  }
}

Json LoadedPlugin::Manifest() const {
  return Json::parse(table_->manifest_json);
}

std::unique_ptr<PluginInstance> PluginInstance::Create(const LoadedPlugin& plugin, TestHost& host,
                                                       const Json& config, Reply* init_reply) {
  storeflow_reply reply;
  std::string config_text = config.dump();
  void* instance = plugin.table().init(host.table(), config_text.c_str(), &reply);
  if (init_reply != nullptr) *init_reply = reply.reply;
  if (instance == nullptr) return nullptr;
  return std::unique_ptr<PluginInstance>(new PluginInstance(plugin, instance));
}

PluginInstance::~PluginInstance() {
  plugin_.table().shutdown(instance_);
}

Reply PluginInstance::Invoke(const std::string& action, const Json& input,
                             const TestCall& call) const {
  storeflow_call_v1 raw{};
  raw.struct_size = sizeof(storeflow_call_v1);
  raw.run_id = 1;
  raw.workflow = "test";
  raw.step_path = call.step_path.c_str();
  raw.idempotency_key = call.idempotency_key.c_str();
  raw.attempt = call.attempt;
  raw.now_ms = call.now_ms;
  raw.deadline_ms = call.deadline_ms;
  storeflow_reply reply;
  std::string input_text = input.dump();
  plugin_.table().invoke(instance_, action.c_str(), input_text.c_str(), &raw, &reply);
  return reply.reply;
}

}  // namespace storeflow::plugins::testing
