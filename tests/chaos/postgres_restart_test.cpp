// Chaos: PostgreSQL stopped (pg_ctl stop -m immediate: a crash, recovered from
// the WAL on restart) and started again under signed-webhook load. While it is
// down, ingress answers 503 (bounded: no request hangs until it is back, none is
// acknowledged); within 5 s of it accepting connections again, ingress answers
// 200; every delivery acknowledged with 200, before, during or after, is stored
// once and its run completes. The test runs its own cluster
// (tools/postgres-throwaway.sh): the shared server is never stopped.
//
// It prints how long requests took while the database was down, and how long
// the first 200 took after it was back, for the bounded-commit-wait work.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "chaos_fixture.h"
#include "chaos_watchdog.h"
#include "serve_process.h"
#include "store_snapshot.h"
#include "throwaway_postgres.h"
#include "webhook_load.h"

namespace storeflow::chaos {
namespace {

using test_support::ServeProcess;

constexpr char kWorkflowName[] = "chaos-pg-orders";
constexpr char kCounters[] = "chaos_pg_orders";
constexpr char kWorkflow[] = R"(workflow: chaos-pg-orders
on:
  - webhook: shopify/orders/create
steps:
  - id: count
    uses: store.patch
    with: { collection: chaos_pg_orders, key: "${{ event.id }}", inc: { n: 1 } }
  - id: pause
    sleep: 50ms
)";

class PostgresRestartTest : public ChaosTest {};

TEST_F(PostgresRestartTest, IngressAnswers503WhileDownAnd200WithinFiveSecondsAfter) {
  if (const std::string why = ThrowawayPostgres::Unavailable(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  Watchdog watchdog("PostgresRestartTest", std::chrono::seconds(150));
  const std::uint32_t seed = ChaosSeed();
  ThrowawayPostgres pg;
  std::string error;
  ASSERT_TRUE(pg.Create(&error)) << error;
  const std::string url = pg.url();

  const fs::path workflows = WriteWorkflows({{"orders.yaml", kWorkflow}});
  const fs::path config = WriteConfig(std::nullopt);
  ServeProcess serve;
  ASSERT_TRUE(serve.Start(
      {"--db", url, "--workflows", workflows.string(), "--config", config.string(), "--listen",
       "127.0.0.1:0", "--workers", "2", "--lease", "1000", "--drain", "3000"},
      work_ / "serve.log", std::chrono::seconds(30)))
      << serve.log();
  const pid_t pid = serve.pid();
  watchdog.OnTimeout([pid] { kill(pid, SIGKILL); });

  LoadOptions load_options;
  load_options.secret = kShopifySecret;
  load_options.tag = tag_;
  load_options.threads = 2;
  load_options.pause = std::chrono::milliseconds(25);
  load_options.seed = seed;
  load_options.request_timeout = std::chrono::seconds(20);
  std::atomic<std::uint16_t> port{serve.port()};
  WebhookLoad load(load_options, [&] { return port.load(); });
  load.Start();
  std::this_thread::sleep_for(std::chrono::seconds(2));

  const std::int64_t stopping_ms = UnixMs();
  ASSERT_TRUE(pg.Stop("immediate", &error)) << error;
  const std::int64_t down_ms = UnixMs();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const std::int64_t starting_ms = UnixMs();
  ASSERT_TRUE(pg.Start(&error)) << error;
  const std::int64_t up_ms = UnixMs();  // pg_ctl -w: it accepts connections
  std::this_thread::sleep_for(std::chrono::seconds(7));
  load.Stop();
  port = 0;

  const bool ended = WaitUntilRunsEnded(url, kWorkflowName, std::chrono::seconds(60));
  EXPECT_EQ(serve.Stop(SIGTERM), 0) << "serve did not stop cleanly\n" << serve.log();
  ASSERT_TRUE(ended) << OpenRuns(url, kWorkflowName) << " runs still open 60 s after the load";

  const std::vector<Delivery> log = load.Log();
  // While down: requests sent after the stop finished and answered before the
  // start began. A request sent while down but answered only after the start
  // began waited for the database instead of answering 503.
  std::map<int, int> down_statuses;
  std::vector<std::int64_t> down_durations;
  int waited_through = 0;
  std::map<int, int> before;
  for (const auto& d : log) {
    if (d.answered_ms < stopping_ms) ++before[d.status];
    if (d.sent_ms < down_ms || d.sent_ms >= starting_ms) continue;
    down_durations.push_back(d.answered_ms - d.sent_ms);
    if (d.answered_ms < starting_ms) {
      ++down_statuses[d.status];
    } else if (d.sent_ms < starting_ms - 1000) {
      ++waited_through;
      ADD_FAILURE() << "a request sent " << d.sent_ms - down_ms
                    << " ms into the outage was answered only " << d.answered_ms - starting_ms
                    << " ms after PostgreSQL was started again (" << d.status << ")";
    }
  }
  std::sort(down_durations.begin(), down_durations.end());
  // Back: the first 200 to a request sent after PostgreSQL accepted connections.
  std::int64_t first_ok_ms = -1;
  int late_failures = 0;
  for (const auto& d : log) {
    if (d.sent_ms < up_ms) continue;
    if (d.status == 200 && (first_ok_ms < 0 || d.answered_ms < first_ok_ms)) {
      first_ok_ms = d.answered_ms;
    }
    if (d.status != 200 && d.sent_ms > up_ms + 5000) ++late_failures;
  }

  std::cout << "[chaos] before the stop:";
  for (const auto& [status, n] : before) std::cout << " " << n << "x" << status;
  std::cout << "\n[chaos] PostgreSQL down " << starting_ms - down_ms << " ms (stop took "
            << down_ms - stopping_ms << " ms, start " << up_ms - starting_ms << " ms); "
            << down_durations.size() << " requests sent while down, answered:";
  for (const auto& [status, n] : down_statuses) std::cout << " " << n << "x" << status;
  if (!down_durations.empty()) {
    std::cout << "; they took " << down_durations.front() << ".." << down_durations.back()
              << " ms (median " << down_durations[down_durations.size() / 2] << " ms)";
  }
  std::cout << "\n[chaos] first 200 after PostgreSQL was back: "
            << (first_ok_ms < 0 ? std::string("none") : std::to_string(first_ok_ms - up_ms) + " ms")
            << "; failures to requests sent 5 s or more after it was back: " << late_failures
            << "\n";

  EXPECT_GT(down_statuses[503], 0) << "no request was answered 503 while PostgreSQL was down";
  for (const auto& [status, n] : down_statuses) {
    EXPECT_EQ(status, 503) << n << " requests sent while PostgreSQL was down were answered "
                           << status << " (0: no answer within "
                           << load_options.request_timeout.count() << " s)";
  }
  EXPECT_EQ(waited_through, 0);
  ASSERT_GE(first_ok_ms, 0) << "no 200 after PostgreSQL came back\n" << serve.log();
  EXPECT_LE(first_ok_ms - up_ms, 5000) << "ingress did not recover within 5 s";
  EXPECT_EQ(late_failures, 0) << "ingress still failed 5 s after PostgreSQL was back";

  const auto snapshot = ReadSnapshot(url, kWorkflowName, kCounters, &error);
  ASSERT_TRUE(snapshot.has_value()) << error;
  const ExactlyOnceReport report = CheckExactlyOnce(log, *snapshot);
  std::cout << "[chaos] " << report.Summary() << "\n";
  EXPECT_TRUE(report.problems.empty()) << report.Summary();
  EXPECT_FALSE(watchdog.expired());
}

}  // namespace
}  // namespace storeflow::chaos
