// Scale-out on PostgreSQL: three `storeflow serve` processes share one database; one
// is killed (SIGKILL) mid-way. Every run still completes exactly once (its counting
// side effect is 1) and an every-second schedule fires once per due time.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "common/timezone.h"
#include "runtime_fixture.h"
#include "script/time_text.h"
#include "serve_process.h"

namespace storeflow::runtime::testing {
namespace {

using test_support::ServeChild;

using store::RunStatus;

constexpr char kCounter[] = R"(workflow: scale-counter
on: [{event: scale/go}]
steps:
  - id: nap
    sleep: 200ms
  - id: bump
    uses: store.patch
    with: { collection: scale, key: "${{ run.id }}", inc: { n: 1 } }
  - id: after
    sleep: 100ms
)";

constexpr char kTicker[] = R"(workflow: scale-ticker
on:
  - schedule: "* * * * * *"
steps:
  - id: tick
    uses: store.patch
    with: { collection: ticks, key: "${{ event.scheduled_at }}", inc: { n: 1 } }
)";

class ScaleOutTest : public RuntimeTest {
 protected:
  pid_t Serve(const std::string& workflows) { return ServeChild(url_, workflows, 3); }
  static void Stop(pid_t pid, int signal) {
    kill(pid, signal);
    int status = 0;
    waitpid(pid, &status, 0);
  }
};

TEST_P(ScaleOutTest, ThreeEnginesOneKilledCompleteEveryRunOnceAndFireEachTickOnce) {
  if (!is_pg()) GTEST_SKIP() << "several engine processes need PostgreSQL";
  const auto dir =
      std::filesystem::temp_directory_path() / ("storeflow-scale-" + std::to_string(getpid()) +
                                                "-" + std::to_string(std::random_device()()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "counter.yaml") << kCounter;
  std::ofstream(dir / "ticker.yaml") << kTicker;
  Load(kCounter, (dir / "counter.yaml").string());

  constexpr int kRuns = 600;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < kRuns; ++i) ids.push_back(Start("scale-counter"));

  std::vector<pid_t> engines;
  for (int i = 0; i < 3; ++i) engines.push_back(Serve(dir.string()));
  for (pid_t pid : engines) ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Stop(engines[0], SIGKILL);  // mid-way: it holds leases on runs in flight

  const bool done = WaitUntilAllEnded(ids, std::chrono::seconds(90));
  // Let the survivors tick a few more seconds, then stop them gracefully.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  for (std::size_t i = 1; i < engines.size(); ++i) Stop(engines[i], SIGTERM);
  ASSERT_TRUE(done) << "not every run ended within 90 s";

  int wrong = 0;
  for (auto id : ids) {
    EXPECT_EQ(GetRun(id).status, RunStatus::kCompleted) << "run " << id;
    auto record = Record("scale", std::to_string(id));
    if (!record.has_value() || (*record)["n"] != 1) ++wrong;
  }
  EXPECT_EQ(wrong, 0) << "counters not exactly 1";

  // Every second between the first and the last tick fired exactly once.
  auto tx = Begin();
  auto ticks = tx->ListRecords("ticks", "", "", 1000);
  ASSERT_TRUE(ticks.ok()) << ticks.status().ToString();
  ASSERT_GE(ticks->size(), 5u) << "the schedule barely fired";
  std::set<std::int64_t> seconds;
  for (const auto& row : *ticks) {
    EXPECT_EQ(row.value["n"], 1) << "tick " << row.key << " fired " << row.value["n"] << " times";
    std::int64_t unix_ms = 0;
    ASSERT_TRUE(script::ParseIsoTimestamp(row.key, *TimeZone::Utc(), &unix_ms)) << row.key;
    seconds.insert(unix_ms / 1000);
  }
  // A second is skipped only by design: when every engine was more than a second
  // late (a loaded machine), the missed fire times collapse into one firing at the
  // first missed time (scheduler.cpp). So after each fired tick T, the next tick is
  // T + 1 s, or tick T's event was published at least a second after T.
  store::EventFilter filter;
  filter.source = "schedule";
  filter.limit = 1000;
  auto events = tx->ListEvents(filter);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  std::map<std::int64_t, TimeMs> published;  // tick second -> when its event was stored
  for (const auto& event : *events) {
    std::int64_t unix_ms = 0;
    const std::string at = event.payload.value("scheduled_at", "");
    ASSERT_TRUE(script::ParseIsoTimestamp(at, *TimeZone::Utc(), &unix_ms)) << at;
    published[unix_ms / 1000] = event.created_at;
  }
  int collapsed = 0;
  for (auto it = seconds.begin(); std::next(it) != seconds.end(); ++it) {
    if (*std::next(it) == *it + 1) continue;
    ++collapsed;
    ASSERT_EQ(published.count(*it), 1u) << "no event for the tick of second " << *it;
    EXPECT_GE(published[*it], (*it + 1) * 1000)
        << "second " << *it + 1 << " was skipped although the tick of " << *it << " fired on time ("
        << published[*it] - *it * 1000 << " ms late)";
  }
  if (collapsed > 0) std::printf("ticker: %d late firings collapsed missed seconds\n", collapsed);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(ScaleOutTest);

}  // namespace
}  // namespace storeflow::runtime::testing
