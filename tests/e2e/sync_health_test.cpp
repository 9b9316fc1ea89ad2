// Sync health end to end (docs/operations.md "Sync health"): a real `storeflow serve`
// checking every second, with the dead-letter thresholds at 1 (warning) and 3
// (critical), and the shipped sync-alert.yaml posting the alert to a loopback
// webhook. Runs of a workflow that always fails fill the dead-letter list: the
// status goes ok -> warning -> critical, and the transition into critical raises
// exactly one alert — not again while it stays critical, not after a restart while
// critical — and the status is served as JSON and as gauges. Discarding the dead
// letters brings it back to ok; the next transition into critical alerts again.
// On SQLite and PostgreSQL.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "sim_serve_fixture.h"
#include "webhook_receiver.h"

namespace storeflow::e2e {
namespace {

using nlohmann::json;
using test_support::Http;
using test_support::HttpReply;
namespace sim = storeflow::shopify_sim::testing;

// Fails at once (one attempt): each call leaves one dead letter.
constexpr char kFailing[] = R"(workflow: always-fails
on: [{http: POST /always-fails}]
steps:
  - id: boom
    fail: "this run fails on purpose"
)";

class SyncHealthTest : public SimServeTest {
 protected:
  SyncHealthTest() : SimServeTest("synchealth", std::chrono::seconds(180), Simulator::kNone) {}

  void SetUp() override {
    SimServeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    CopyWorkflow("sync-alert.yaml");
    std::ofstream(work_ / "workflows" / "always-fails.yaml") << kFailing;
    WriteConfig(std::string("admin:\n  token: ") + kAdminApiToken + "\n" +
                "http_client:\n  allow_hosts: [127.0.0.1]\n" +
                "sync_health:\n  check_interval: 1s\n  dead_letters_warning: 1\n" +
                "  dead_letters_critical: 3\n" +
                "workflows:\n  sync-alert:\n    webhook: " + alerts_.url("/alerts") + "\n");
    StartServer({"--workers", "2"});
  }

  // Starts a run of always-fails over its REST trigger and waits until it is a
  // dead letter.
  void FailOnce() {
    const std::size_t before = DeadLetters().size();
    // The REST trigger waits for its run: a failed run answers 500 run_failed.
    HttpReply r = Http(server_.port(), "POST", "/always-fails", "{}");
    ASSERT_EQ(r.json()["error"]["code"], "run_failed") << r.status << " " << r.body;
    while (DeadLetters().size() <= before) {
      ASSERT_FALSE(OverBudget()) << "the failed run never reached the dead letters";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  json DeadLetters() {
    HttpReply r = Admin("GET", "/api/v1/dead-letters?workflow=always-fails&limit=100");
    return r.status == 200 ? r.json()["items"] : json::array();
  }

  // Waits until the sync health's status is `status`; the health (null if never).
  json WaitForStatus(const std::string& status) {
    while (!OverBudget()) {
      HttpReply r = Admin("GET", "/api/v1/health/sync");
      if (r.status == 200 && r.json()["status"] == status) return r.json();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return nullptr;
  }

  // The value of gauge `name` (with `labels` as written, e.g. `{check="dead_letters"}`)
  // on /metrics; -1 when absent.
  double Gauge(const std::string& name, const std::string& labels = "") {
    HttpReply r = Admin("GET", "/metrics");
    if (r.status != 200) return -1;
    const std::regex line("(^|\n)" +
                          std::regex_replace(name + labels, std::regex(R"([{}\"])"), R"(\$&)") +
                          " ([0-9.eE+-]+)");
    std::smatch m;
    return std::regex_search(r.body, m, line) ? std::stod(m[2].str()) : -1;
  }

  // The alerts received so far, after giving the engine `settle` to send more.
  std::size_t AlertsAfter(std::chrono::seconds settle) {
    std::this_thread::sleep_for(settle);
    return alerts_.received().size();
  }

  sim::WebhookReceiver alerts_;
};

TEST_P(SyncHealthTest, ACriticalTransitionAlertsOnceAcrossChecksAndRestarts) {
  ASSERT_FALSE(WaitForStatus("ok").is_null()) << server_.log();

  ASSERT_NO_FATAL_FAILURE(FailOnce());
  const json warning = WaitForStatus("warning");
  ASSERT_FALSE(warning.is_null()) << server_.log();
  EXPECT_EQ(warning["checks"]["dead_letters"]["value"], 1) << warning.dump(2);
  EXPECT_EQ(AlertsAfter(std::chrono::seconds(2)), 0u) << "a warning does not alert";

  ASSERT_NO_FATAL_FAILURE(FailOnce());
  ASSERT_NO_FATAL_FAILURE(FailOnce());
  const json critical = WaitForStatus("critical");
  ASSERT_FALSE(critical.is_null()) << server_.log();
  EXPECT_EQ(critical["checks"]["dead_letters"]["status"], "critical") << critical.dump(2);
  EXPECT_EQ(critical["checks"]["dead_letters"]["value"], 3) << critical.dump(2);
  EXPECT_EQ(Gauge("storeflow_sync_health_status"), 2);
  EXPECT_EQ(Gauge("storeflow_sync_check_value", "{check=\"dead_letters\"}"), 3);

  // One alert, through sync-alert.yaml's http.request, naming the critical check.
  ASSERT_EQ(alerts_.WaitFor(1, std::chrono::seconds(30)), 1u) << server_.log();
  const json alert = json::parse(alerts_.received()[0].body, nullptr, false);
  ASSERT_FALSE(alert.is_discarded()) << alerts_.received()[0].body;
  EXPECT_NE(alert.dump().find("dead_letters"), std::string::npos) << alert.dump(2);
  EXPECT_NE(alert.dump().find("critical"), std::string::npos) << alert.dump(2);

  // Still critical over several checks: no second alert.
  ASSERT_NO_FATAL_FAILURE(FailOnce());
  EXPECT_EQ(AlertsAfter(std::chrono::seconds(4)), 1u);

  // A restart while critical: the last status is in the database, no new alert.
  ASSERT_EQ(server_.Stop(SIGTERM), 0) << server_.log();
  StartServer({"--workers", "2"});
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_FALSE(WaitForStatus("critical").is_null()) << server_.log();
  EXPECT_EQ(AlertsAfter(std::chrono::seconds(4)), 1u) << "a restart while critical re-alerted";

  // Discarded: ok again (no alert for getting better); then critical again alerts.
  json ids = json::array();
  for (const json& d : DeadLetters()) ids.push_back(d["id"]);
  ASSERT_EQ(ids.size(), 4u);
  HttpReply discarded = Admin("POST", "/api/v1/dead-letters/discard", json{{"ids", ids}}.dump());
  ASSERT_EQ(discarded.status, 200) << discarded.body;
  ASSERT_FALSE(WaitForStatus("ok").is_null()) << server_.log();
  EXPECT_EQ(Gauge("storeflow_sync_health_status"), 0);
  // The monitor sees ok before the next failures (one check interval, with margin).
  std::this_thread::sleep_for(std::chrono::seconds(3));
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(FailOnce());
  ASSERT_FALSE(WaitForStatus("critical").is_null()) << server_.log();
  EXPECT_EQ(alerts_.WaitFor(2, std::chrono::seconds(30)), 2u) << server_.log();
  EXPECT_EQ(AlertsAfter(std::chrono::seconds(3)), 2u);

  std::printf(
      "sync health: ok -> warning -> critical (1 alert) -> restart -> ok -> critical "
      "(2 alerts), %lld s\n",
      ElapsedSeconds());
}

STOREFLOW_INSTANTIATE_STORE_TESTS(SyncHealthTest);

}  // namespace
}  // namespace storeflow::e2e
