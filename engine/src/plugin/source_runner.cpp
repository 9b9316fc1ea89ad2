#include "plugin/source_runner.h"

#include <algorithm>
#include <iostream>
#include <utility>

#include "common/json_nesting.h"
#include "common/metrics.h"

namespace storeflow::plugin {

using Json = nlohmann::json;

namespace {

void Count(const std::string& source, const char* result) {
  auto& registry = metrics::Registry::Default();
  registry.Describe("storeflow_source_messages_total", metrics::Type::kCounter,
                    "Messages plugin event sources published, by source and result "
                    "(new, duplicate, failed, refused).");
  registry.CounterAdd("storeflow_source_messages_total", {{"source", source}, {"result", result}});
}

}  // namespace

SourceRunner::SourceRunner(std::shared_ptr<LoadedPlugin> plugin, std::string source,
                           std::vector<std::string> topics, SourcePublisher publisher,
                           runtime::ActionLogger log, SourceRunnerOptions options)
    : plugin_(std::move(plugin)),
      source_(std::move(source)),
      config_text_(Json{{"topics", std::move(topics)}}.dump()),
      publisher_(std::move(publisher)),
      log_(std::move(log)),
      options_(options) {
  host_.struct_size = sizeof(storeflow_source_host);
  host_.source_ctx = this;
  host_.publish = &SourceRunner::Publish;
  host_.should_stop = &SourceRunner::ShouldStop;
}

SourceRunner::~SourceRunner() {
  Stop();
}

void SourceRunner::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Loop(); });
}

void SourceRunner::RequestStop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void SourceRunner::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

int SourceRunner::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

bool SourceRunner::WaitForStop(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (wait.count() <= 0) return stop_;
  return cv_.wait_for(lock, wait, [this] { return stop_; });
}

void SourceRunner::Log(std::string_view level, const std::string& message) const {
  const std::string line = "[plugin " + plugin_->name() + "] source '" + source_ + "': " + message;
  if (log_) {
    log_(level, line);
  } else {
    std::cerr << "[" << level << "] " << line << "\n";
  }
}

void SourceRunner::Loop() {
  std::chrono::milliseconds pause = options_.restart_first;
  while (!WaitForStop(std::chrono::milliseconds(0))) {
    Log("info", "started");
    Status done = plugin_->RunSource(source_, config_text_, host_);
    {
      std::lock_guard lock(mu_);
      ++runs_;
    }
    if (done.ok() && WaitForStop(std::chrono::milliseconds(0))) {
      Log("info", "stopped");
      return;
    }
    if (done.code() == StatusCode::kFailedPrecondition) {
      Log("error", "cannot run: " + done.message());
      return;
    }
    Log("warn", (done.ok() ? std::string("returned before it was asked to stop") : done.message()) +
                    "; starting it again in " + std::to_string(pause.count()) + " ms");
    if (WaitForStop(pause)) return;
    pause = std::min(pause * 2, options_.restart_max);
  }
}

std::int32_t SourceRunner::PublishMessage(const SourcePublisher& publisher,
                                          const std::string& source, const char* topic,
                                          const char* dedup_key, const char* payload_json,
                                          const char* meta_json, std::string& error) {
  SourceEvent event;
  event.source = source;
  const std::string relative = topic != nullptr ? topic : "";
  if (relative.empty()) {
    error = "publish: the topic is empty";
    return STOREFLOW_PUBLISH_REFUSED;
  }
  event.topic = source + "/" + relative;
  if (dedup_key != nullptr && *dedup_key != '\0') event.dedup_key = dedup_key;
  event.payload_text = payload_json != nullptr ? payload_json : "";
  if (std::size_t at = FindJsonNestingOverflow(event.payload_text); at != std::string::npos) {
    error = std::string("publish: the payload's ") + JsonNestingMessage();
    return STOREFLOW_PUBLISH_REFUSED;
  }
  event.payload = Json::parse(event.payload_text, nullptr, false);
  if (event.payload.is_discarded()) {
    error = "publish: the payload is not JSON";
    return STOREFLOW_PUBLISH_REFUSED;
  }
  event.meta = Json::object();
  if (meta_json != nullptr && *meta_json != '\0') {
    event.meta = Json::parse(meta_json, nullptr, false);
    if (!event.meta.is_object()) {
      error = "publish: meta is not a JSON object";
      return STOREFLOW_PUBLISH_REFUSED;
    }
  }
  Result<bool> done = Internal("no publisher");
  try {
    if (publisher) done = publisher(std::move(event));
  } catch (const std::exception& e) {
    done = Internal(std::string("publish: ") + e.what());
  }
  if (!done.ok()) {
    error = "publish: not committed: " + done.status().message();
    return STOREFLOW_PUBLISH_FAILED;
  }
  return *done ? STOREFLOW_PUBLISH_NEW : STOREFLOW_PUBLISH_DUPLICATE;
}

std::int32_t SourceRunner::Publish(void* context, const char* topic, const char* dedup_key,
                                   const char* payload_json, const char* meta_json) {
  auto* self = static_cast<SourceRunner*>(context);
  std::string error;
  std::int32_t got = STOREFLOW_PUBLISH_FAILED;
  try {
    got = PublishMessage(self->publisher_, self->source_, topic, dedup_key, payload_json, meta_json,
                         error);
  } catch (...) {
    error = "publish: unexpected failure";
  }
  switch (got) {
    case STOREFLOW_PUBLISH_NEW: Count(self->source_, "new"); break;
    case STOREFLOW_PUBLISH_DUPLICATE: Count(self->source_, "duplicate"); break;
    case STOREFLOW_PUBLISH_REFUSED: Count(self->source_, "refused"); break;
    default: Count(self->source_, "failed"); break;
  }
  if (!error.empty()) self->Log("warn", error);
  return got;
}

std::int32_t SourceRunner::ShouldStop(void* context, std::int64_t wait_ms) {
  auto* self = static_cast<SourceRunner*>(context);
  return self->WaitForStop(std::chrono::milliseconds(std::max<std::int64_t>(0, wait_ms))) ? 1 : 0;
}

}  // namespace storeflow::plugin
