#pragma once

// The host side of an event source (ABI 1.3): one thread per source that runs
// the plugin's start_source until Stop, starting it again after a pause when it
// fails; and the storeflow_source_host it hands the plugin, whose publish commits
// each message through a SourcePublisher (the engine's group commit) before it
// answers new or duplicate.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "plugin/loaded_plugin.h"
#include "runtime/action.h"
#include "storeflow/plugin.h"

namespace storeflow::plugin {

// One message of a source, checked, as the host will store it.
struct SourceEvent {
  std::string source;  // "sqs"
  std::string topic;   // "sqs/orders": what `queue: sqs/orders` matches
  std::optional<std::string> dedup_key;
  nlohmann::json payload;    // parsed from payload_text
  std::string payload_text;  // the payload as the source gave it (valid JSON)
  nlohmann::json meta;       // an object
};

// Commits `event` (with the runs it starts) and answers only then: true when it
// is new, false for a duplicate (same source and dedup_key); an error when it
// was not committed.
using SourcePublisher = std::function<Result<bool>(SourceEvent event)>;

struct SourceRunnerOptions {
  // The pause before a failed source is started again: doubles from `first`
  // up to `max`.
  std::chrono::milliseconds restart_first{1'000};
  std::chrono::milliseconds restart_max{30'000};
};

class SourceRunner {
 public:
  SourceRunner(std::shared_ptr<LoadedPlugin> plugin, std::string source,
               std::vector<std::string> topics, SourcePublisher publisher,
               runtime::ActionLogger log, SourceRunnerOptions options = {});
  ~SourceRunner();
  SourceRunner(const SourceRunner&) = delete;
  SourceRunner& operator=(const SourceRunner&) = delete;

  void Start();
  // Asks the source to stop without waiting (Stop waits).
  void RequestStop();
  // Asks the source to stop and waits for its start_source to return. Idempotent.
  void Stop();

  const std::string& source() const { return source_; }
  // How many times start_source returned (ok or failed); for tests.
  int runs() const;

  // What publish does with one message (the C callback's body): checks it,
  // commits it through `publisher`, answers a storeflow_publish_result.
  static std::int32_t PublishMessage(const SourcePublisher& publisher, const std::string& source,
                                     const char* topic, const char* dedup_key,
                                     const char* payload_json, const char* meta_json,
                                     std::string& error);

 private:
  static std::int32_t Publish(void* context, const char* topic, const char* dedup_key,
                              const char* payload_json, const char* meta_json);
  static std::int32_t ShouldStop(void* context, std::int64_t wait_ms);
  bool WaitForStop(std::chrono::milliseconds wait);
  void Loop();
  void Log(std::string_view level, const std::string& message) const;

  std::shared_ptr<LoadedPlugin> plugin_;
  std::string source_;
  std::string config_text_;
  SourcePublisher publisher_;
  runtime::ActionLogger log_;
  SourceRunnerOptions options_;
  storeflow_source_host host_{};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int runs_ = 0;
  std::thread thread_;
};

}  // namespace storeflow::plugin
