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

namespace storeflow::runtime::testing {
namespace {

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

}  // namespace
}  // namespace storeflow::runtime::testing
