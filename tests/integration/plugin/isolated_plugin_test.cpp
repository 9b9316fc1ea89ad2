// A plugin in plugins.isolate runs in worker processes (issue 11, item 7): every
// host service crosses the boundary unchanged, an abort() or a hang ends only
// the worker (the call fails retryable, the next call gets a fresh worker), and
// calls spread over at most plugins.isolated_processes workers.

#include <unistd.h>

#include <atomic>
#include <set>
#include <thread>

#include "common/metrics.h"
#include "plugin/plugin_host.h"
#include "plugin/worker_frame.h"
#include "plugin_test_util.h"
#include "store/store.h"

namespace storeflow::plugin::testing {
namespace {

constexpr runtime::TimeMs kT0 = kHostT0;

class IsolatedPluginTest : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    options_.isolate = {"testkit", "init_throws"};
    options_.isolation.executable = STOREFLOW_BINARY;
    options_.isolation.max_processes = 2;
  }

  PluginInfo Load(const std::string& name) { return LoadFixture(name); }

  std::int64_t Pid() {
    auto out = Call("testkit.pid", Json::object());
    EXPECT_TRUE(out.ok()) << out.error().message;
    return out.ok() ? out.output()["pid"].get<std::int64_t>() : -1;
  }
};

TEST(WorkerFrameTest, PartsRoundTripBytesExactly) {
  const WorkerFrame frame = {"kv_put", std::string("a\0b\xff", 4), "", FramePart(-7.25)};
  auto decoded = DecodeWorkerFrame(EncodeWorkerFrame(frame).substr(4));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, frame);
  EXPECT_EQ(FrameDouble((*decoded)[3]), -7.25);
  EXPECT_EQ(FrameInt("12x", -1), -1);
  // A part that claims more bytes than the frame holds is refused, not read past.
  std::string bad = EncodeWorkerFrame({"abc"}).substr(4);
  bad[4] = 100;
  EXPECT_EQ(DecodeWorkerFrame(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IsolatedPluginTest, RunsInAnotherProcessWithEveryHostService) {
  options_.configs["testkit"] = {{"prefix", "p-"}};
  options_.public_url = "https://flows.example.test";
  const PluginInfo info = Load("testkit");
  ASSERT_TRUE(info.loaded()) << info.error.ToString();
  EXPECT_TRUE(info.isolated);
  const std::int64_t pid = Pid();
  EXPECT_GT(pid, 0);
  EXPECT_NE(pid, ::getpid()) << "the plugin ran inside the engine's process";

  runtime::ActionContext c;
  c.run_id = 9;
  c.workflow = "wf";
  c.step_path = "notify";
  c.idempotency_key = "inst/9/notify";
  c.attempt = 2;
  c.previous_attempt = runtime::PreviousAttempt::kUnknown;
  auto echo = Call("testkit.echo", {{"x", 1}}, c);
  ASSERT_TRUE(echo.ok()) << echo.error().message;
  EXPECT_EQ(echo.output()["config"], Json({{"prefix", "p-"}}));
  EXPECT_EQ(echo.output()["call"]["idempotency_key"], "inst/9/notify");
  EXPECT_EQ(echo.output()["call"]["attempt"], 2);
  EXPECT_EQ(echo.output()["call"]["previous_attempt"], STOREFLOW_PREVIOUS_UNKNOWN);

  // Key/value (the frames carry bytes; WorkerFrameTest checks non-UTF-8 ones).
  ASSERT_TRUE(Call("testkit.kv", {{"op", "put"}, {"key", "k"}, {"value", "v1"}}).ok());
  EXPECT_EQ(Call("testkit.kv", {{"op", "get"}, {"key", "k"}}).output()["value"], "v1");
  EXPECT_EQ(Call("testkit.kv", {{"op", "delete"}, {"key", "k"}}).output()["deleted"], true);
  EXPECT_EQ(Call("testkit.kv", {{"op", "get"}, {"key", "k"}}).output()["found"], false);
  ASSERT_TRUE(Call("testkit.kv", {{"op", "put"}, {"key", "u"}, {"value", "caf\xc3\xa9"}}).ok());
  EXPECT_EQ(Call("testkit.kv", {{"op", "get"}, {"key", "u"}}).output()["value"], "caf\xc3\xa9");

  EXPECT_EQ(Call("testkit.secret", {{"name", "API_KEY"}}).output()["value"], "s3cr3t-value");
  EXPECT_EQ(Call("testkit.secret", {{"name", "OTHER"}}).output()["found"], false);

  ASSERT_TRUE(Call("testkit.log", {{"message", "key is s3cr3t-value"}, {"level", 2}}, c).ok());
  EXPECT_TRUE(log_.Contains("warn: [plugin testkit] run 9 step notify: key is ***"))
      << ::testing::PrintToString(log_.lines());
  EXPECT_FALSE(log_.Contains("s3cr3t-value"));

  auto& metrics = metrics::Registry::Default();
  const metrics::Labels labels = {{"shop", "iso"}};
  const double before = metrics.Value("storeflow_plugin_testkit_iso_total", labels);
  ASSERT_TRUE(
      Call("testkit.metric", {{"name", "iso"}, {"value", 3}, {"labels", {{"shop", "iso"}}}}).ok());
  // Metrics are sent without an answer: the next call's answer comes after them.
  EXPECT_EQ(Call("testkit.now", Json::object()).output()["now"], kT0);
  EXPECT_EQ(metrics.Value("storeflow_plugin_testkit_iso_total", labels), before + 3);

  clock_.AdvanceTo(kT0 + 5000);
  EXPECT_EQ(Call("testkit.now", Json::object()).output()["now"], kT0 + 5000);
  auto text = Call("testkit.render", {{"template", "hi ${{ name }}"}, {"data", {{"name", "Ann"}}}});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(text.output()["text"], "hi Ann");
  auto bad = Call("testkit.render", {{"template", "${{ 1 + }}"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "template_error");

  auto first = Call("testkit.rate", {{"bucket", "b"}, {"capacity", 1}, {"refill", 0.001}});
  auto second = Call("testkit.rate", {{"bucket", "b"}, {"capacity", 1}, {"refill", 0.001}});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first.output()["taken"], true);
  EXPECT_EQ(second.output()["taken"], false) << "one bucket for the engine, not per worker";
  EXPECT_GT(second.output()["retry_after_ms"].get<std::int64_t>(), 0);

  // ABI 1.2: the workflows' topics (none known yet, then the lister's) and the URL.
  auto unknown = Call("testkit.workflow_info", {{"source", "shopify"}});
  ASSERT_TRUE(unknown.ok()) << unknown.error().message;
  EXPECT_TRUE(unknown.output()["topics"].is_null()) << unknown.output().dump();
  EXPECT_EQ(unknown.output()["public_url"], "https://flows.example.test");
  host_->SetWorkflowTopics([](const std::string& source) {
    return source == "shopify" ? std::vector<std::string>{"carts/create", "orders/create"}
                               : std::vector<std::string>{};
  });
  auto listed = Call("testkit.workflow_info", {{"source", "shopify"}});
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_EQ(listed.output()["topics"], Json({"carts/create", "orders/create"}));

  auto failed =
      Call("testkit.fail", {{"kind", "retryable"}, {"code", "x9"}, {"retry_after_ms", 70}});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "x9");
  EXPECT_FALSE(failed.error().permanent());
  auto threw = Call("testkit.fail", {{"kind", "throw"}, {"message", "bad thing"}});
  ASSERT_FALSE(threw.ok());
  EXPECT_EQ(threw.error().code, "plugin_exception");
  EXPECT_TRUE(threw.error().permanent());
}

TEST_F(IsolatedPluginTest, AnAbortEndsTheWorkerNotTheEngine) {
  ASSERT_TRUE(Load("testkit").loaded());
  const std::int64_t before = Pid();
  auto crashed = Call("testkit.abort", {{"abort", true}});
  ASSERT_FALSE(crashed.ok());
  EXPECT_EQ(crashed.error().code, "plugin_crashed");
  EXPECT_FALSE(crashed.error().permanent());
  EXPECT_NE(crashed.error().message.find("signal 6"), std::string::npos) << crashed.error().message;
  EXPECT_NE(crashed.error().message.find("testkit.abort"), std::string::npos);
  // The engine is still here; the next call gets a new worker.
  auto fine = Call("testkit.abort", {{"abort", false}});
  ASSERT_TRUE(fine.ok()) << fine.error().message;
  const std::int64_t after = Pid();
  EXPECT_NE(after, before);
  EXPECT_NE(after, ::getpid());
}

TEST_F(IsolatedPluginTest, AWorkerThatOverrunsTheDeadlineIsKilled) {
  ASSERT_TRUE(Load("testkit").loaded());
  runtime::ActionContext c;
  c.now = kT0;
  c.deadline = kT0 + 100;  // + the 2 s grace
  const auto started = std::chrono::steady_clock::now();
  auto hung = Call("testkit.sleep", {{"ms", 60'000}}, c);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(hung.ok());
  EXPECT_EQ(hung.error().code, "timeout");
  EXPECT_FALSE(hung.error().permanent());
  EXPECT_NE(hung.error().message.find("was killed"), std::string::npos) << hung.error().message;
  EXPECT_LT(took, std::chrono::seconds(30)) << "the hung worker was waited for";
  EXPECT_TRUE(Call("testkit.echo", Json::object()).ok());
}

TEST_F(IsolatedPluginTest, ConcurrentCallsShareAtMostTheConfiguredWorkers) {
  ASSERT_TRUE(Load("testkit").loaded());
  std::mutex mu;
  std::set<std::int64_t> pids;
  std::atomic<int> failed{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 6; ++i) {
    callers.emplace_back([&] {
      auto out = Call("testkit.sleep", {{"ms", 150}});
      if (!out.ok()) {
        ++failed;
        return;
      }
      std::lock_guard lock(mu);
      pids.insert(out.output()["pid"].get<std::int64_t>());
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(pids.size(), 2u) << "max_processes is 2 and six calls overlapped";
}

TEST_F(IsolatedPluginTest, InitFailureInTheWorkerIsALoadFailureWithThePluginsMessage) {
  const PluginInfo info = Load("init_throws");
  ASSERT_FALSE(info.loaded());
  EXPECT_NE(info.error.message().find("isolated"), std::string::npos) << info.error.message();
  EXPECT_NE(info.error.message().find("always fails in init"), std::string::npos)
      << info.error.message();
  EXPECT_EQ(registry_.Find("init_throws.echo"), nullptr);
}

TEST_F(IsolatedPluginTest, ShutdownStopsTheWorkersAndLaterCallsFailCleanly) {
  ASSERT_TRUE(Load("testkit").loaded());
  const std::int64_t pid = Pid();
  host_->Shutdown();
  EXPECT_TRUE(log_.Contains("info: [plugin testkit]: shutdown"))
      << "the plugin's shutdown ran in the worker: " << ::testing::PrintToString(log_.lines());
  // The worker is gone (reaped: no such process).
  EXPECT_NE(::kill(static_cast<pid_t>(pid), 0), 0);
  auto late = Call("testkit.echo", Json::object());
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, "plugin_unavailable");
}

TEST_F(IsolatedPluginTest, AnIsolatedNameWithNoPluginIsAWarning) {
  options_.isolate = {"testkitt"};
  options_.dirs = {FixtureDir("testkit")};
  host_ = std::make_unique<PluginHost>(options_);
  host_->LoadAll(registry_);
  bool warned = false;
  for (const auto& w : host_->warnings()) {
    if (w.find("plugins.isolate: no plugin named 'testkitt'") != std::string::npos &&
        w.find("testkit") != std::string::npos) {
      warned = true;
    }
  }
  EXPECT_TRUE(warned) << ::testing::PrintToString(host_->warnings());
}

}  // namespace
}  // namespace storeflow::plugin::testing
