// Chaos: `storeflow serve` killed with SIGKILL at random instants under
// signed-webhook load, 20 times, restarted each time on the same (private)
// PostgreSQL, then left to finish. Each delivery's run counts it (store.patch),
// sends an email to the outbox and sleeps a little, so the kills land in the
// ingress transaction, in a store step, in a plugin call and in a timer.
//
// What must hold afterwards: every delivery acknowledged with 200 is stored once
// (the ones that got no answer are sent again at the end with the same webhook
// id, as Shopify would, and then must be stored once too); every stored event
// has one run, completed, whose counting step took effect once; the outbox holds
// exactly one message per run and none for anything else, the one the run's
// send step recorded. A kill during the send is an interrupted attempt that the
// next engine retries with the same idempotency key (docs/operations.md, "What
// survives a crash"), so the step's retry budget is above the number of kills.
//
// The kill instants are random (STOREFLOW_CHAOS_SEED repeats a run); the test
// prints its figures at the end.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "chaos_fixture.h"
#include "chaos_watchdog.h"
#include "sent_mail.h"
#include "serve_process.h"
#include "store_snapshot.h"
#include "throwaway_postgres.h"
#include "webhook_load.h"

namespace storeflow::chaos {
namespace {

using test_support::ServeProcess;

constexpr int kKills = 20;
// A file's time against the engine's timestamp of the commit after it (both the
// system clock; the file system's is coarser). A send repeated after the commit
// would come a lease (1 s) later at the earliest.
constexpr std::int64_t kClockSlackMs = 500;
constexpr char kWorkflowName[] = "chaos-kill-orders";
constexpr char kCounters[] = "chaos_kill_orders";
// attempts: above the number of kills, since each kill can interrupt one
// attempt of a run's send step (an interrupted attempt counts as failed).
constexpr char kWorkflow[] = R"(workflow: chaos-kill-orders
on:
  - webhook: shopify/orders/create
steps:
  - id: count
    uses: store.patch
    with: { collection: chaos_kill_orders, key: "${{ event.id }}", inc: { n: 1 } }
  - id: send
    uses: email.send
    with:
      to: buyer@example.test
      subject: "Order ${{ event.name }}"
      text: "Thank you for order ${{ event.id }}."
    retry: { attempts: 25, backoff: constant, delay: 100ms }
  - id: pause
    sleep: 100ms
)";

// The send step of a run of the workflow, as committed.
struct SendStep {
  std::int64_t attempts = 0;
  std::string message_id;
  std::int64_t finished_ms = 0;  // when its result was committed (engine clock: real time)
};

std::optional<std::map<std::int64_t, SendStep>> ReadSendSteps(const std::string& url,
                                                              std::string* error) {
  auto rows = PgQuery(url,
                      "SELECT s.run_id, s.attempts, COALESCE(s.output, ''), "
                      "COALESCE(s.finished_at, 0) FROM steps s JOIN runs "
                      "r ON r.id = s.run_id WHERE r.workflow = $1 AND s.step_path = 'send'",
                      {kWorkflowName}, error);
  if (!rows) return std::nullopt;
  std::map<std::int64_t, SendStep> steps;
  for (const auto& row : *rows) {
    const auto output = nlohmann::json::parse(row[2], nullptr, false);
    SendStep step;
    step.attempts = std::stoll(row[1]);
    step.finished_ms = std::stoll(row[3]);
    if (output.is_object() && output.contains("message_id") && output["message_id"].is_string()) {
      step.message_id = output["message_id"].get<std::string>();
    }
    steps[std::stoll(row[0])] = step;
  }
  return steps;
}

class KillTest : public ChaosTest {};

TEST_F(KillTest, TwentyKillsUnderWebhookLoadLoseNothingAcknowledgedAndDuplicateNothing) {
  if (const std::string why = ThrowawayPostgres::Unavailable(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  const auto began = std::chrono::steady_clock::now();
  // The serve of the current life (declared before the watchdog, which reads it).
  std::atomic<pid_t> current{-1};
  Watchdog watchdog("KillTest", std::chrono::seconds(200));
  const std::uint32_t seed = ChaosSeed();
  std::mt19937 random(seed);
  ThrowawayPostgres pg;
  std::string error;
  ASSERT_TRUE(pg.Create(&error)) << error;
  const std::string url = pg.url();

  const fs::path workflows = WriteWorkflows({{"orders.yaml", kWorkflow}});
  const fs::path config = WriteConfig(std::nullopt);
  const fs::path outbox = work_ / "outbox";
  const std::vector<std::string> args = {"--db",        url,
                                         "--workflows", workflows.string(),
                                         "--config",    config.string(),
                                         "--listen",    "127.0.0.1:0",
                                         "--workers",   "2",
                                         "--lease",     "1000",
                                         "--drain",     "3000"};

  // One ServeProcess per life of the server, each with its own log.
  std::vector<std::unique_ptr<ServeProcess>> lives;
  watchdog.OnTimeout([&current] {
    if (const pid_t pid = current.load(); pid > 0) kill(pid, SIGKILL);
  });
  std::vector<std::int64_t> start_ms;  // how long each life took to listen
  auto start = [&]() -> bool {
    const std::int64_t starting = UnixMs();
    auto serve = std::make_unique<ServeProcess>();
    const fs::path log = work_ / ("serve-" + std::to_string(lives.size()) + ".log");
    const bool started = serve->Start(args, log, std::chrono::seconds(30));
    current = serve->pid();
    start_ms.push_back(UnixMs() - starting);
    lives.push_back(std::move(serve));
    return started;
  };
  ASSERT_TRUE(start()) << lives.back()->log();

  LoadOptions load_options;
  load_options.secret = kShopifySecret;
  load_options.tag = tag_;
  load_options.threads = 2;
  load_options.pause = std::chrono::milliseconds(20);
  load_options.seed = seed;
  load_options.request_timeout = std::chrono::seconds(10);
  std::atomic<std::uint16_t> port{lives.back()->port()};
  WebhookLoad load(load_options, [&] { return port.load(); });
  load.Start();

  // Each life: up for 0.3..2.5 s after it reported listening, then SIGKILL.
  std::uniform_int_distribution<int> up_ms(300, 2500);
  int kills = 0;
  for (int i = 0; i < kKills && !watchdog.expired(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(up_ms(random)));
    ServeProcess& serve = *lives.back();
    port = 0;
    ASSERT_GT(serve.pid(), 0);
    // -1: ended by the signal; an exit code means it had ended on its own.
    EXPECT_EQ(serve.Stop(SIGKILL), -1) << "serve ended before kill " << kills + 1 << "\n"
                                       << serve.log();
    ++kills;
    ASSERT_TRUE(start()) << "serve did not restart after kill " << kills << "\n"
                         << lives.back()->log();
    port = lives.back()->port();
  }

  // The last life keeps taking load for a moment, then the load stops.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  load.Stop();
  const std::int64_t load_stopped_ms = UnixMs();
  std::vector<Delivery> log = load.Log();

  // Orders that never got a 200 are sent again, as Shopify would, with the same
  // webhook id (a request the kill cut off may have been stored already: then
  // the answer is a duplicate).
  std::set<std::int64_t> orders;
  std::set<std::int64_t> acked;
  for (const auto& d : log) {
    orders.insert(d.order);
    if (d.status == 200) acked.insert(d.order);
  }
  const std::size_t deliveries = log.size();
  const std::size_t acked_by_load = acked.size();
  int resent = 0;
  for (std::int64_t order : orders) {
    if (acked.count(order) != 0) continue;
    ++resent;
    Delivery d = load.Send(port, order);
    d.resend = true;
    log.push_back(d);
    EXPECT_EQ(d.status, 200) << "order " << order << " resent after the last restart: " << d.status
                             << " " << d.detail;
  }

  const bool ended = WaitUntilRunsEnded(url, kWorkflowName, std::chrono::seconds(90));
  const std::int64_t ended_ms = UnixMs();
  ServeProcess& last = *lives.back();
  EXPECT_EQ(last.Stop(SIGTERM), 0) << "serve did not stop cleanly\n" << last.log();
  current = -1;
  ASSERT_TRUE(ended) << OpenRuns(url, kWorkflowName) << " runs still open 90 s after the load";

  const auto snapshot = ReadSnapshot(url, kWorkflowName, kCounters, &error);
  ASSERT_TRUE(snapshot.has_value()) << error;
  const ExactlyOnceReport report = CheckExactlyOnce(log, *snapshot);
  EXPECT_TRUE(report.problems.empty()) << report.Summary();
  // After the resends, every order was acknowledged, so every one is stored.
  EXPECT_EQ(report.acked_orders, orders.size());
  EXPECT_EQ(report.stored_unacked, 0u);
  EXPECT_EQ(snapshot->events.size(), orders.size());

  // The outbox: one message per run, from its send step, and nothing else.
  const auto sends = ReadSendSteps(url, &error);
  ASSERT_TRUE(sends.has_value()) << error;
  const std::vector<SentMail> mails = MailsInOutbox(outbox);
  std::map<std::int64_t, std::vector<const SentMail*>> mails_of_run;
  for (const auto& mail : mails) mails_of_run[mail.run_id].push_back(&mail);
  std::set<std::int64_t> run_ids;
  std::vector<std::string> mail_problems;
  for (const auto& run : snapshot->runs) {
    run_ids.insert(run.id);
    const std::string r = "run " + std::to_string(run.id);
    const auto& found = mails_of_run[run.id];
    if (found.size() != 1) {
      mail_problems.push_back(r + " has " + std::to_string(found.size()) + " messages");
      continue;
    }
    if (found[0]->step != "send") {
      mail_problems.push_back(r + ": its message is keyed to step '" + found[0]->step + "'");
    }
    const auto step = sends->find(run.id);
    if (step == sends->end() || step->second.message_id != found[0]->message_id) {
      mail_problems.push_back(r + ": its message " + found[0]->message_id +
                              " is not the one its send step recorded (" +
                              (step == sends->end() ? "no step" : step->second.message_id) + ")");
    } else if (found[0]->received_ms > step->second.finished_ms + kClockSlackMs) {
      // The file is named by the idempotency key, so a second send overwrites
      // the first: its time is what shows a send after the step had committed.
      mail_problems.push_back(r + ": its message was written " +
                              std::to_string(found[0]->received_ms - step->second.finished_ms) +
                              " ms after its send step committed (the step ran again)");
    }
  }
  for (const auto& [run_id, found] : mails_of_run) {
    if (run_ids.count(run_id) == 0) {
      mail_problems.push_back(std::to_string(found.size()) + " messages for run " +
                              std::to_string(run_id) + ", which is not a run of the workflow");
    }
  }
  EXPECT_EQ(mails.size(), snapshot->runs.size());
  for (std::size_t i = 0; i < mail_problems.size() && i < 20; ++i) {
    ADD_FAILURE() << mail_problems[i];
  }
  EXPECT_TRUE(mail_problems.empty())
      << mail_problems.size() << " problems with the outbox (the first 20 above)";

  // Figures: interrupted sends are attempts beyond the first; temporary files
  // in the outbox are what a kill left of a message being written (hidden, and
  // never an .eml); anything else there is a problem.
  int retried_sends = 0;
  std::int64_t extra_attempts = 0;
  for (const auto& [run_id, step] : *sends) {
    if (step.attempts > 1) ++retried_sends;
    extra_attempts += std::max<std::int64_t>(0, step.attempts - 1);
  }
  int temporary_files = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(outbox, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".storeflow-tmp-")) {
      ++temporary_files;
    } else {
      EXPECT_EQ(entry.path().extension(), ".eml") << "unexpected file in the outbox: " << name;
    }
  }
  std::map<int, int> statuses;
  for (std::size_t i = 0; i < deliveries; ++i) ++statuses[log[i].status];
  const auto seconds = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - began)
                           .count() /
                       1000.0;
  std::cout << "[chaos] " << kills << " kills; " << deliveries << " deliveries (";
  for (const auto& [status, n] : statuses) std::cout << " " << n << "x" << status;
  std::cout << " ), " << acked_by_load << " orders acknowledged under load, " << resent
            << " resent after the last restart; " << snapshot->events.size() << " events, "
            << snapshot->runs.size() << " runs, " << mails.size() << " messages; " << retried_sends
            << " send steps retried (" << extra_attempts << " extra attempts); " << temporary_files
            << " temporary files left in the outbox; runs ended " << (ended_ms - load_stopped_ms)
            << " ms after the load stopped; " << seconds << " s in all\n";
  std::sort(start_ms.begin(), start_ms.end());
  std::cout << "[chaos] " << start_ms.size() << " starts took " << start_ms.front() << ".."
            << start_ms.back() << " ms (median " << start_ms[start_ms.size() / 2]
            << " ms) to listen\n";
  std::cout << "[chaos] " << report.Summary() << "\n";
  if (HasFailure()) std::cout << "[chaos] seed " << seed << "\n";
  EXPECT_FALSE(watchdog.expired());
}

}  // namespace
}  // namespace storeflow::chaos
