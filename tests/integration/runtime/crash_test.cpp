// Crash safety on PostgreSQL: `storeflow serve` is killed with SIGKILL at random
// instants while runs with a sleep and a counting `store.patch` advance; after
// restarts every run is completed and every counter is exactly 1.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include "runtime_fixture.h"
#include "serve_process.h"

namespace storeflow::runtime::testing {
namespace {

using test_support::ServeChild;

using store::RunStatus;

constexpr char kCounter[] = R"(workflow: crash-counter
on: [{event: crash/go}]
steps:
  - id: nap
    sleep: 300ms
  - id: bump
    uses: store.patch
    with: { collection: crash, key: "${{ run.id }}", inc: { n: 1 } }
  - id: after
    sleep: 100ms
)";

class CrashTest : public RuntimeTest {
 protected:
  pid_t Serve(const std::string& workflows) { return ServeChild(url_, workflows, 4); }
};

TEST_P(CrashTest, KilledEnginesLoseNothingAndRepeatNoCompletedStep) {
  if (!is_pg()) GTEST_SKIP() << "several engine processes need PostgreSQL";
  const auto dir =
      std::filesystem::temp_directory_path() / ("storeflow-crash-" + std::to_string(getpid()) +
                                                "-" + std::to_string(std::random_device()()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "counter.yaml") << kCounter;
  Load(kCounter, (dir / "counter.yaml").string());

  constexpr int kRuns = 2000;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < kRuns; ++i) ids.push_back(Start("crash-counter"));

  std::mt19937 random(std::random_device{}());
  for (int kill_round = 0; kill_round < 3; ++kill_round) {
    const pid_t pid = Serve(dir.string());
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 1200)(random)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  const pid_t pid = Serve(dir.string());
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let it start before SIGTERM
  const bool done = WaitUntilAllEnded(ids, std::chrono::seconds(100));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(done) << "not every run ended within 100 s";
  int wrong = 0;
  for (auto id : ids) {
    EXPECT_EQ(GetRun(id).status, RunStatus::kCompleted) << "run " << id;
    auto record = Record("crash", std::to_string(id));
    if (!record.has_value() || (*record)["n"] != 1) ++wrong;
  }
  EXPECT_EQ(wrong, 0) << "counters not exactly 1";
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(CrashTest);

// A plugin that aborts the process on one input (issue 11, item 7): each attempt
// is recorded before the plugin is called, so every crash counts as a failed
// attempt and the run ends failed (a dead letter) after its retries, instead of
// crashing every engine that claims it, for ever. Another workflow's run on the
// same engines completes.
constexpr char kAborting[] = R"(workflow: crash-plugin
on: [{event: crash/plugin}]
steps:
  - id: boom
    uses: testkit.abort
    with: { abort: true }
    retry: { attempts: 2, backoff: constant, delay: 100ms }
)";
constexpr char kHealthy[] = R"(workflow: crash-plugin-ok
on: [{event: crash/ok}]
steps:
  - id: fine
    uses: testkit.abort
    with: { abort: false }
    # It may be in flight when the other run's plugin takes the process down.
    retry: { attempts: 5, backoff: constant, delay: 100ms }
)";

class PluginCrashTest : public RuntimeTest {
 protected:
  pid_t Serve(const std::string& workflows) { return ServeChild(url_, workflows, 2); }

  // Writes both workflows into a fresh folder `dir_` (the served engine's), loads them
  // into the test engine and starts one run of each.
  void StartBothRuns(const std::string& name) {
    dir_ = std::filesystem::temp_directory_path() /
           ("storeflow-" + name + "-" + std::to_string(getpid()) + "-" +
            std::to_string(std::random_device()()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "abort.yaml") << kAborting;
    std::ofstream(dir_ / "ok.yaml") << kHealthy;
    Load(kAborting, (dir_ / "abort.yaml").string());
    Load(kHealthy, (dir_ / "ok.yaml").string());
    crashing_ = Start("crash-plugin");
    healthy_ = Start("crash-plugin-ok");
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
    RuntimeTest::TearDown();
  }

  // Polls until the served engine `pid` exits or both runs end, at most `seconds`.
  // Returns waitpid's pid (0: still running) and the exit status in `status`.
  pid_t WaitForExitOrBothEnded(pid_t pid, int seconds, int& status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    pid_t done = 0;
    while (done == 0 && std::chrono::steady_clock::now() < deadline &&
           !(IsEnded(crashing_) && IsEnded(healthy_))) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      done = waitpid(pid, &status, WNOHANG);
    }
    return done;
  }

  std::filesystem::path dir_;
  std::int64_t crashing_ = 0;
  std::int64_t healthy_ = 0;
  void SetUp() override {
    RuntimeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    // The in-process engine only starts runs; the served ones call the plugin.
    ASSERT_TRUE(actions_.Register(std::make_shared<TestAction>("testkit.abort")).ok());
    NewEngine();
  }
};

TEST_P(PluginCrashTest, APluginThatAbortsTheProcessEndsTheRunInTheDeadLettersAfterItsRetries) {
  if (!is_pg()) GTEST_SKIP() << "the test engine and the served one share a PostgreSQL";
  StartBothRuns("plugin-crash");
  const auto crashing = crashing_;
  const auto healthy = healthy_;
  const auto& dir = dir_;
  setenv("STOREFLOW_PLUGINS_DIRS", STOREFLOW_TEST_PLUGIN_DIR, 1);

  int aborted = 0;
  for (int start = 0; start < 8 && !(IsEnded(crashing) && IsEnded(healthy)); ++start) {
    const pid_t pid = Serve(dir.string());
    ASSERT_GT(pid, 0);
    // Until the engine dies or both runs end (each start: 1 s lease, 100 ms retry).
    int status = 0;
    const pid_t done = WaitForExitOrBothEnded(pid, 30, status);
    if (done == 0) {
      kill(pid, SIGTERM);
      waitpid(pid, &status, 0);
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) {
      ++aborted;
    }
  }
  unsetenv("STOREFLOW_PLUGINS_DIRS");
  ASSERT_TRUE(IsEnded(crashing)) << "the crashing run never ended (" << aborted << " aborts)";
  const auto run = GetRun(crashing);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error.value("code", ""), "interrupted") << run.error.dump();
  EXPECT_EQ(Steps(crashing)["boom"].attempts, 2);
  EXPECT_EQ(aborted, 2) << "one abort per attempt, none after the run failed";
  EXPECT_EQ(GetRun(healthy).status, RunStatus::kCompleted);
}

// The same plugin isolated (plugins.isolate): its abort() ends a worker process,
// not the engine. One engine serves both runs to their end without dying; each
// crash is a retryable `plugin_crashed` error that names the signal.
TEST_P(PluginCrashTest, AnIsolatedPluginThatAbortsEndsOnlyItsWorker) {
  if (!is_pg()) GTEST_SKIP() << "the test engine and the served one share a PostgreSQL";
  StartBothRuns("plugin-isolated");
  const auto crashing = crashing_;
  const auto healthy = healthy_;
  const auto& dir = dir_;
  setenv("STOREFLOW_PLUGINS_DIRS", STOREFLOW_TEST_PLUGIN_DIR, 1);
  setenv("STOREFLOW_PLUGINS_ISOLATE", "testkit", 1);
  const pid_t pid = Serve(dir.string());
  unsetenv("STOREFLOW_PLUGINS_DIRS");
  unsetenv("STOREFLOW_PLUGINS_ISOLATE");
  ASSERT_GT(pid, 0);
  int status = 0;
  const pid_t done = WaitForExitOrBothEnded(pid, 60, status);
  EXPECT_EQ(done, 0) << "the engine ended (status " << status << ") instead of the worker";
  if (done == 0) {
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  ASSERT_TRUE(IsEnded(crashing)) << "the crashing run never ended";
  const auto run = GetRun(crashing);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error.value("code", ""), "plugin_crashed") << run.error.dump();
  EXPECT_NE(run.error.value("message", "").find("signal 6"), std::string::npos) << run.error.dump();
  EXPECT_EQ(Steps(crashing)["boom"].attempts, 2);
  EXPECT_EQ(GetRun(healthy).status, RunStatus::kCompleted);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(PluginCrashTest);

}  // namespace
}  // namespace storeflow::runtime::testing
