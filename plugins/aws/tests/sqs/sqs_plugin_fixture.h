#pragma once

// The built sqs plugin (plugins/aws) loaded through the engine's plugin host, configured for
// the fauxqs peer (credentials from two secrets), with an engine and the group
// committer the source publishes through (SQLite file store): for the source's
// tests, which look at the runs and events the engine commits. (The actions'
// tests need no engine: they load the plugin with the plugin test kit.)

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "plugin/plugin_host.h"
#include "plugin/source_publisher.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/engine.h"
#include "runtime/group_commit.h"
#include "runtime/secrets.h"
#include "sqs_peer.h"
#include "sqs_test_config.h"
#include "store/store.h"

namespace storeflow::plugins::aws::testing {

// The fauxqs helpers of the shared test support (tests/support/sqs_peer.h).
using Json = nlohmann::json;
using test_support::CreateQueue;
using test_support::MessagesLeft;
using test_support::Receive;
using test_support::SqsCall;
using test_support::SqsEndpoint;
using test_support::UniqueQueue;

class SqsPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STOREFLOW_REQUIRE_SQS_PEER();
    dir_ = std::filesystem::temp_directory_path() /
           ("storeflow-sqs-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(std::random_device()()));
    std::filesystem::create_directories(dir_);
    auto store = store::Store::Open("sqlite:" + (dir_ / "store.db").string(), store::OpenOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  void TearDown() override {
    if (host_) host_->Shutdown();
    host_.reset();
    committer_.reset();
    engine_.reset();
    actions_.reset();
    store_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  // The config every test starts from; `sqs` entries are merged in.
  static Json Config(const Json& overrides = Json::object()) { return SqsTestConfig(overrides); }

  // Loads the plugin (and, with workflows, an engine that knows them).
  void Load(const Json& config) {
    if (host_) host_->Shutdown();
    host_.reset();
    actions_ = std::make_unique<runtime::ActionRegistry>();
    ASSERT_TRUE(runtime::RegisterBuiltinActions(*actions_).ok());
    plugin::PluginHostOptions options;
    options.dirs = {std::string(STOREFLOW_PLUGIN_DIR) + "/sqs"};
    options.store = store_.get();
    options.configs["sqs"] = config;
    options.secrets = std::make_shared<runtime::SecretStore>(SqsTestSecrets());
    options.log = [this](std::string_view level, std::string_view message) {
      std::lock_guard lock(log_mu_);
      log_ += std::string(level) + ": " + std::string(message) + "\n";
    };
    host_ = std::make_unique<plugin::PluginHost>(options);
    host_->LoadAll(*actions_);
    const plugin::PluginInfo* info = host_->Find("sqs");
    ASSERT_NE(info, nullptr);
    ASSERT_TRUE(info->loaded()) << info->error.ToString();
  }

  void StartEngine(const std::string& workflow_yaml) {
    engine_ =
        std::make_unique<runtime::Engine>(*store_, clock_, *actions_, runtime::EngineOptions());
    auto loaded = engine_->LoadWorkflowSource(workflow_yaml, "test.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    committer_ = std::make_unique<runtime::GroupCommitter>(*engine_, runtime::GroupCommitOptions());
  }

  Status StartSources() { return StartSources(plugin::PublishThrough(*committer_)); }

  // With a publisher of the test's own (one that wraps PublishThrough(*committer_)).
  Status StartSources(plugin::SourcePublisher publisher) {
    return host_->StartSources(engine_->catalog().QueueTopics(), std::move(publisher));
  }

  runtime::ActionResult Call(const std::string& action, const Json& input,
                             const std::string& idempotency_key = "inst/1/send") {
    runtime::Action* a = actions_->Find(action);
    EXPECT_NE(a, nullptr) << action;
    if (a == nullptr) return runtime::ActionError::Permanent("missing", action);
    runtime::ActionContext context;
    context.run_id = 1;
    context.step_path = "send";
    context.idempotency_key = idempotency_key;
    return a->Invoke(input, context);
  }

  std::vector<store::RunRow> Runs(const std::string& workflow) {
    auto tx = store_->Begin();
    EXPECT_TRUE(tx.ok());
    if (!tx.ok()) return {};
    store::RunFilter filter;
    filter.workflow = workflow;
    filter.limit = 1000;
    auto runs = (*tx)->ListRuns(filter);
    EXPECT_TRUE(runs.ok()) << runs.status().ToString();
    return runs.ok() ? *runs : std::vector<store::RunRow>{};
  }

  std::vector<store::EventRow> Events(const std::string& topic) {
    auto tx = store_->Begin();
    EXPECT_TRUE(tx.ok());
    if (!tx.ok()) return {};
    store::EventFilter filter;
    filter.topic = topic;
    filter.limit = 1000;
    auto events = (*tx)->ListEvents(filter);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    return events.ok() ? *events : std::vector<store::EventRow>{};
  }

  // Waits (at most 30 s) until `done` holds.
  template <typename Fn>
  bool Eventually(Fn&& done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  }

  std::string log() {
    std::lock_guard lock(log_mu_);
    return log_;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  runtime::SystemClock clock_;
  std::unique_ptr<runtime::ActionRegistry> actions_;
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<runtime::GroupCommitter> committer_;
  std::unique_ptr<plugin::PluginHost> host_;
  std::mutex log_mu_;
  std::string log_;
};

}  // namespace storeflow::plugins::aws::testing
