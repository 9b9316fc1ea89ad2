// Event sources (ABI 1.3), the host side, on both backends: the host starts a
// source of a loaded plugin on a thread of its own; publish commits the event
// through the engine's group commit (starting the runs of `queue:` triggers)
// before it answers, and says new or duplicate by dedup_key; the source stops on
// shutdown; plugins older than 1.3 still load but cannot run sources; isolated
// plugins are refused.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "plugin/plugin_host.h"
#include "plugin/source_publisher.h"
#include "plugin_test_util.h"
#include "runtime/engine.h"
#include "runtime/group_commit.h"
#include "store_fixture.h"

namespace storeflow::plugin {
namespace {

using Json = nlohmann::json;
using testing::FixtureYaml;
using testing::LogCapture;

constexpr char kOrders[] = R"(workflow: kit-orders
on:
  - queue: testkit/orders
steps:
  - id: note
    uses: log
    with: { message: "${{ event.n }}" }
)";

class EventSourceTest : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    ASSERT_TRUE(runtime::RegisterBuiltinActions(actions_).ok());
    engine_ =
        std::make_unique<runtime::Engine>(*store_, clock_, actions_, runtime::EngineOptions());
    committer_ = std::make_unique<runtime::GroupCommitter>(*engine_, runtime::GroupCommitOptions());
  }
  void TearDown() override {
    if (host_) host_->Shutdown();
    host_.reset();
    committer_.reset();
    engine_.reset();
    StoreTest::TearDown();
  }

  // A host with the testkit fixture loaded; each log line is also handed to
  // `on_line` on the thread that logged it.
  void LoadTestkit(bool isolated = false) {
    PluginHostOptions options;
    options.store = store_.get();
    options.clock = &clock_;
    options.log = [this](std::string_view level, std::string_view message) {
      log_.logger()(level, message);
      std::function<void(const std::string&)> hook;
      {
        std::lock_guard lock(mu_);
        hook = on_line_;
      }
      if (hook) hook(std::string(message));
    };
    if (isolated) {
      options.isolate = {"testkit"};
      options.isolation.executable = STOREFLOW_BINARY;
    }
    host_ = std::make_unique<PluginHost>(options);
    PluginInfo info = host_->LoadOne(FixtureYaml("testkit"), actions_);
    ASSERT_TRUE(info.loaded()) << info.error.ToString();
  }

  // Waits (at most 30 s) for a log line containing `text`.
  bool WaitForLine(const std::string& text) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!log_.Contains(text)) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  std::vector<store::EventRow> Events() {
    auto tx = Begin();
    auto events = tx->ListEvents(store::EventFilter());
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    return events.ok() ? *events : std::vector<store::EventRow>{};
  }

  runtime::VirtualClock clock_{store::testing::kT0};
  runtime::ActionRegistry actions_;
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<runtime::GroupCommitter> committer_;
  std::unique_ptr<PluginHost> host_;
  LogCapture log_;
  std::mutex mu_;
  std::function<void(const std::string&)> on_line_;
};

TEST_P(EventSourceTest, PublishCommitsBeforeAnsweringAndStartsTheQueueTriggersRuns) {
  ASSERT_TRUE(engine_->LoadWorkflowSource(kOrders, "kit-orders.yaml").ok());
  LoadTestkit();
  // When the source logs what publish answered, the event must be in the store
  // already: look from the source's own thread, before it goes on.
  std::atomic<int> seen_committed{-1};
  {
    std::lock_guard lock(mu_);
    on_line_ = [&](const std::string& line) {
      if (line.find("published orders:") == std::string::npos) return;
      int found = 0;
      for (const auto& e : Events()) found += e.dedup_key == std::optional<std::string>("orders/1");
      seen_committed = found;
    };
  }
  const auto wanted = engine_->catalog().QueueTopics();
  ASSERT_EQ(wanted.size(), 1u);
  ASSERT_EQ(wanted.at("testkit"), std::vector<std::string>{"orders"});
  ASSERT_TRUE(host_->StartSources(wanted, PublishThrough(*committer_)).ok());
  ASSERT_TRUE(WaitForLine("not json orders:")) << "the source never got that far";
  EXPECT_EQ(seen_committed.load(), 1);
  EXPECT_TRUE(log_.Contains("published orders: new then duplicate"));
  EXPECT_TRUE(log_.Contains("not json orders: refused"));

  auto events = Events();
  ASSERT_EQ(events.size(), 1u);  // the duplicate and the bad payload stored nothing
  EXPECT_EQ(events[0].source, "testkit");
  EXPECT_EQ(events[0].topic, "testkit/orders");
  EXPECT_EQ(events[0].payload, Json({{"topic", "orders"}, {"n", 1}}));
  EXPECT_EQ(events[0].meta.value("message_id", ""), "orders-1");
  auto tx = Begin();
  store::RunFilter filter;
  filter.workflow = "kit-orders";
  auto runs = tx->ListRuns(filter);
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  ASSERT_EQ(runs->size(), 1u);  // one run, committed with the event
  EXPECT_EQ((*runs)[0].event_id, events[0].id);
}

TEST_P(EventSourceTest, TheSourceStopsOnShutdownBeforeThePluginShutsDown) {
  LoadTestkit();
  ASSERT_TRUE(host_->StartSources({{"testkit", {"a"}}}, PublishThrough(*committer_)).ok());
  ASSERT_TRUE(WaitForLine("not json a:"));
  host_->Shutdown();  // returns only when start_source has returned
  const auto lines = log_.lines();
  auto at = [&](const std::string& text) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].find(text) != std::string::npos) return static_cast<int>(i);
    }
    return -1;
  };
  ASSERT_GE(at("source stopping"), 0);
  ASSERT_GE(at("stopped"), 0);
  ASSERT_GE(at("]: shutdown"), 0);
  EXPECT_LT(at("source stopping"), at("]: shutdown"));
  EXPECT_EQ(Events().size(), 1u);
}

TEST_P(EventSourceTest, AFailedCommitIsReportedAsFailedAndNotStored) {
  LoadTestkit();
  committer_->Stop();  // publish then answers kUnavailable
  ASSERT_TRUE(host_->StartSources({{"testkit", {"b"}}}, PublishThrough(*committer_)).ok());
  ASSERT_TRUE(WaitForLine("published b:"));
  EXPECT_TRUE(log_.Contains("published b: failed then failed"));
  EXPECT_TRUE(log_.Contains("not committed"));
  EXPECT_TRUE(Events().empty());
}

TEST_P(EventSourceTest, UnknownSourcesAndOldPluginsAreRefusedNamingTheWorkflowTopic) {
  LoadTestkit();
  // An ABI 1.2 plugin (no start_source) declaring a source still loads...
  PluginInfo old = host_->LoadOne(FixtureYaml("abi_v1_2"), actions_);
  ASSERT_TRUE(old.loaded()) << old.error.ToString();
  EXPECT_EQ(old.abi, "1.2");
  EXPECT_EQ(host_->SourceNames().at("abi_v1_2"), "abi_v1_2");
  // ...but its source cannot run; nothing is started when one source is wrong.
  Status started =
      host_->StartSources({{"abi_v1_2", {"x"}}, {"testkit", {"y"}}}, PublishThrough(*committer_));
  EXPECT_EQ(started.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(started.message().find("queue: abi_v1_2/x"), std::string::npos) << started.message();
  EXPECT_NE(started.message().find("event sources need ABI 1.3"), std::string::npos)
      << started.message();
  started = host_->StartSources({{"testkitt", {"x"}}}, PublishThrough(*committer_));
  EXPECT_NE(started.message().find("no loaded plugin declares a source named 'testkitt'"),
            std::string::npos)
      << started.message();
  EXPECT_NE(started.message().find("did you mean 'testkit'"), std::string::npos)
      << started.message();
  EXPECT_FALSE(log_.Contains("published"));
  EXPECT_TRUE(Events().empty());
}

TEST_P(EventSourceTest, AnIsolatedPluginsSourceIsRefused) {
  LoadTestkit(/*isolated=*/true);
  Status started = host_->StartSources({{"testkit", {"x"}}}, PublishThrough(*committer_));
  EXPECT_EQ(started.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(started.message().find("isolated plugins cannot run event sources"), std::string::npos)
      << started.message();
}

STOREFLOW_INSTANTIATE_STORE_TESTS(EventSourceTest);

}  // namespace
}  // namespace storeflow::plugin
