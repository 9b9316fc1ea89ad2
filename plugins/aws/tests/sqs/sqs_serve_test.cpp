// `storeflow serve` with a `queue: sqs/<queue>` workflow: the engine starts the
// sqs source of the built plugin itself, the run it starts is executed by the
// workers, and Stop ends the source before the engine.

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "app/engine_config.h"
#include "app/serve_session.h"
#include "sqs_peer.h"
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
namespace {

namespace fs = std::filesystem;

class SqsServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STOREFLOW_REQUIRE_SQS_PEER();
    work_ = fs::temp_directory_path() / ("storeflow-sqs-serve-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(std::random_device()()));
    fs::create_directories(work_ / "workflows");
  }
  void TearDown() override {
    if (serve_) serve_->Stop();
    serve_.reset();
    std::error_code ignored;
    if (!work_.empty()) fs::remove_all(work_, ignored);
  }

  void Serve(const std::string& queue) {
    std::ofstream(work_ / "workflows" / "from-sqs.yaml")
        << "workflow: from-sqs\non:\n  - queue: sqs/" << queue
        << "\nsteps:\n  - id: note\n    uses: log\n    with: { message: \"order ${{ event.n }}\" "
           "}\n";
    std::ofstream(work_ / "secrets.yaml") << "KEY_ID: test\nSECRET_KEY: not-in-the-log\n";
    fs::permissions(work_ / "secrets.yaml", fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream(work_ / "storeflow.yaml")
        << "http:\n  listen: 127.0.0.1:0\n  access_log: false\n"
        << "plugins:\n  dirs: [" << STOREFLOW_PLUGIN_DIR << "]\n"
        << "  config:\n    sqs:\n      region: us-east-1\n      endpoint: " << SqsEndpoint()
        << "\n      credentials: { access_key_id_secret: KEY_ID, secret_access_key_secret: "
           "SECRET_KEY }\n"
        << "      defaults: { wait_seconds: 1, receivers: 2 }\n"
        << "secrets:\n  file: " << (work_ / "secrets.yaml").string() << "\n";
    app::ConfigSources sources;
    sources.file = (work_ / "storeflow.yaml").string();
    sources.getenv = [](const char*) -> const char* { return nullptr; };
    auto config = app::LoadEngineConfig(sources);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    app::ServeOptions options;
    options.config = *config;
    options.db = "sqlite:" + (work_ / "store.db").string();
    options.workflows_dir = (work_ / "workflows").string();
    options.script_root = work_.string();
    options.workers = 2;
    options.drain = std::chrono::seconds(5);
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_ += std::string(line) + "\n";
    };
    auto session = app::ServeSession::Start(std::move(options));
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    serve_ = std::move(session).value();
  }

  std::vector<store::RunRow> Runs() {
    auto tx = serve_->store().Begin();
    if (!tx.ok()) return {};
    store::RunFilter filter;
    filter.workflow = "from-sqs";
    auto runs = (*tx)->ListRuns(filter);
    return runs.ok() ? *runs : std::vector<store::RunRow>{};
  }

  std::string log() {
    std::lock_guard lock(log_mu_);
    return log_;
  }

  fs::path work_;
  std::unique_ptr<app::ServeSession> serve_;
  std::mutex log_mu_;
  std::string log_;
};

TEST_F(SqsServeTest, AQueueTriggerRunsFromTheSqsSource) {
  const std::string queue = UniqueQueue("serve");
  const std::string url = CreateQueue(queue);
  Serve(queue);
  SqsCall("SendMessage", {{"QueueUrl", url}, {"MessageBody", R"({"n": 7})"}});
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto done = [&] {
    auto runs = Runs();
    return runs.size() == 1 && runs[0].status == store::RunStatus::kCompleted;
  };
  while (!done() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(done()) << Runs().size() << " runs\n" << log();
  EXPECT_NE(log().find("order 7"), std::string::npos) << log();
  EXPECT_NE(log().find("source 'sqs': started"), std::string::npos) << log();
  EXPECT_EQ(MessagesLeft(url), 0);
  serve_->Stop();
  EXPECT_NE(log().find("source 'sqs': stopped"), std::string::npos) << log();
  EXPECT_EQ(log().find("not-in-the-log"), std::string::npos);
}

TEST_F(SqsServeTest, AQueueTriggerOfAnUnknownSourceStopsTheStart) {
  std::ofstream(work_ / "workflows" / "lost.yaml")
      << "workflow: lost\non:\n  - queue: sqss/orders\nsteps:\n  - id: note\n    uses: log\n"
         "    with: { message: hi }\n";
  std::ofstream(work_ / "storeflow.yaml")
      << "http:\n  listen: 127.0.0.1:0\nplugins:\n  dirs: [" << STOREFLOW_PLUGIN_DIR << "]\n"
      << "  config:\n    sqs: { region: us-east-1, endpoint: " << SqsEndpoint() << " }\n";
  app::ConfigSources sources;
  sources.file = (work_ / "storeflow.yaml").string();
  sources.getenv = [](const char*) -> const char* { return nullptr; };
  auto config = app::LoadEngineConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  app::ServeOptions options;
  options.config = *config;
  options.db = "sqlite:" + (work_ / "store.db").string();
  options.workflows_dir = (work_ / "workflows").string();
  options.log = [](std::string_view) {};
  auto session = app::ServeSession::Start(std::move(options));
  ASSERT_FALSE(session.ok());
  // Refused where the trigger is written, before anything starts.
  EXPECT_NE(session.status().message().find("lost.yaml:3:12: error: queue trigger 'sqss/orders'"),
            std::string::npos)
      << session.status().message();
  EXPECT_NE(session.status().message().find("did you mean 'sqs'"), std::string::npos)
      << session.status().message();
}

}  // namespace
}  // namespace storeflow::plugins::aws::testing
