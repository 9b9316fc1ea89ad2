// The sync health's thresholds, its checks over a real store (both backends) and
// the transition that raises the sync alert.

#include "runtime/sync_health.h"

#include <gtest/gtest.h>

#include "common/metrics.h"
#include "runtime/sync_health_monitor.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

TEST(SyncHealthThresholdTest, AtOrAboveEachThresholdAndZeroIsOff) {
  const HealthThreshold t{10, 20};
  EXPECT_EQ(LevelOf(0, t), HealthLevel::kOk);
  EXPECT_EQ(LevelOf(9.99, t), HealthLevel::kOk);
  EXPECT_EQ(LevelOf(10, t), HealthLevel::kWarning);
  EXPECT_EQ(LevelOf(19.99, t), HealthLevel::kWarning);
  EXPECT_EQ(LevelOf(20, t), HealthLevel::kCritical);
  EXPECT_EQ(LevelOf(1e9, {0, 20}), HealthLevel::kCritical);  // no warning level
  EXPECT_EQ(LevelOf(15, {0, 20}), HealthLevel::kOk);
  EXPECT_EQ(LevelOf(1e9, {10, 0}), HealthLevel::kWarning);  // never critical
  EXPECT_EQ(LevelOf(1e9, {0, 0}), HealthLevel::kOk);
  EXPECT_EQ(HealthLevelName(HealthLevel::kCritical), "critical");
}

TEST(SyncHealthThresholdTest, ACriticalBelowItsWarningIsRefusedNamingTheKeys) {
  SyncHealthOptions options;
  EXPECT_TRUE(CheckSyncHealthOptions(options).ok());
  options.webhook_ack_p99 = {5, 2};
  const Status s = CheckSyncHealthOptions(options);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("sync_health.webhook_ack_p99_critical"), std::string::npos)
      << s.message();
  options.webhook_ack_p99 = {5, 0};  // critical off
  EXPECT_TRUE(CheckSyncHealthOptions(options).ok());
}

TEST(SyncHealthTransitionTest, OnlyATransitionIntoCriticalAlerts) {
  const Json critical = {
      {"status", "critical"},
      {"checks",
       {{"dead_letters",
         {{"status", "critical"}, {"value", 120}, {"warning", 1}, {"critical", 100}}},
        {"order_lag",
         {{"status", "warning"}, {"value", 4000}, {"warning", 3600}, {"critical", 21600}}},
        {"reconciliation", {{"status", "ok"}, {"value", "ok"}}}}}};
  for (const char* before : {"", "ok", "warning"}) {
    const SyncHealthTransition t = CheckTransition(before, critical);
    ASSERT_TRUE(t.alert) << before;
    EXPECT_EQ(t.event["kind"], "sync_health");
    EXPECT_EQ(t.event["subject"], "[storeflow] sync health critical: dead_letters");
    EXPECT_NE(t.event["text"].get<std::string>().find("order_lag: warning"), std::string::npos);
    EXPECT_EQ(t.event["text"].get<std::string>().find("reconciliation"), std::string::npos);
    EXPECT_EQ(t.event["details"], critical);
  }
  EXPECT_FALSE(CheckTransition("critical", critical).alert);  // still critical: said already
  EXPECT_FALSE(CheckTransition("ok", {{"status", "warning"}, {"checks", Json::object()}}).alert);
}

class SyncHealthTest : public RuntimeTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(SyncHealthTest);

TEST_P(SyncHealthTest, OrderLagIsShopifysNewestOrderAgainstTheNewestLocalOne) {
  SyncHealthOptions options;
  options.shop = "a.myshopify.com";
  AckSummary none;
  auto health = EvaluateSyncHealth(*store_, kT0, none, options);
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_TRUE((*health)["checks"]["order_lag"]["value"].is_null());  // nothing announced yet
  EXPECT_EQ((*health)["status"], "ok");

  // Shopify announced an order updated at 12:00; the local copy is at 10:30.
  store::EventRow event;
  event.source = "shopify";
  event.topic = "shopify/orders/updated";
  event.payload = {{"id", 1}, {"updated_at", "2026-12-06T07:00:00-05:00"}};
  event.meta = {{"shop_domain", "a.myshopify.com"}};
  ASSERT_TRUE(engine_->Publish(event).ok());
  event.payload = {{"id", 2}, {"updated_at", "2026-12-06T09:00:00Z"}};
  event.meta = {{"shop_domain", "other.myshopify.com"}};  // another shop: not ours
  ASSERT_TRUE(engine_->Publish(event).ok());
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->PutRecordIfNewer("shopify_orders", "a.myshopify.com/1", {{"id", 1}},
                                     1796553000000 /* 2026-12-06T10:30:00Z */, kT0)
                    .ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  health = EvaluateSyncHealth(*store_, kT0, none, options);
  ASSERT_TRUE(health.ok());
  const Json lag = (*health)["checks"]["order_lag"];
  EXPECT_DOUBLE_EQ(lag["value"].get<double>(), 5400) << lag;
  EXPECT_EQ(lag["status"], "warning");  // 1h30m: over 1h, under 6h
  EXPECT_EQ(lag["newest_shopify_ms"], 1796558400000);
  EXPECT_EQ((*health)["status"], "warning");
}

TEST_P(SyncHealthTest, DeadLettersCountAndTheOldestAge) {
  Load(R"(workflow: failing
on: [{event: go}]
steps:
  - id: no
    fail: "always"
)");
  const auto first = Finish(Start("failing"));
  ASSERT_EQ(first.status, store::RunStatus::kFailed);
  clock_->AdvanceTo(clock_->Now() + 7'200'000);
  Finish(Start("failing"));
  SyncHealthOptions options;
  options.dead_letters = {1, 2};
  auto health = EvaluateSyncHealth(*store_, clock_->Now(), AckSummary{}, options);
  ASSERT_TRUE(health.ok());
  EXPECT_EQ((*health)["checks"]["dead_letters"]["value"], 2);
  EXPECT_EQ((*health)["checks"]["dead_letters"]["status"], "critical");
  EXPECT_DOUBLE_EQ((*health)["checks"]["dead_letter_age"]["value"].get<double>(), 7200);
  EXPECT_EQ((*health)["checks"]["dead_letter_age"]["status"], "warning");
  EXPECT_EQ((*health)["status"], "critical");
}

TEST_P(SyncHealthTest, TheMonitorRaisesTheAlertOncePerTransition) {
  Load(R"(workflow: alerts
on: [{event: sync/alert}]
steps:
  - id: keep
    uses: store.put
    with: { collection: alerts, key: "${{ run.id }}", value: "${{ event }}" }
)");
  Load(R"(workflow: failing
on: [{event: go}]
steps:
  - id: no
    fail: "always"
)");
  SyncHealthOptions options;
  options.dead_letters = {1, 1};
  SyncHealthMonitor monitor(*engine_, options);
  auto count_alerts = [&] {
    auto tx = Begin();
    return tx->CountRecords("alerts", "", std::nullopt, std::nullopt)->records;
  };
  ASSERT_TRUE(monitor.CheckOnce().ok());
  Finish(Start("failing"));  // one dead letter: critical
  auto health = monitor.CheckOnce();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ((*health)["status"], "critical");
  ASSERT_TRUE(
      engine_->RunUntil([&] { return count_alerts() == 1; }, std::chrono::seconds(30)).ok());
  ASSERT_TRUE(monitor.CheckOnce().ok());  // still critical: no second alert
  (void)engine_->RunDueOnce();
  EXPECT_EQ(count_alerts(), 1);
  auto tx = Begin();
  auto alerts = tx->ListRecords("alerts", "", "", 10);
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].value["kind"], "sync_health");
  EXPECT_EQ((*alerts)[0].value["details"]["checks"]["dead_letters"]["status"], "critical");
  EXPECT_EQ(metrics::Registry::Default().Value("storeflow_sync_health_status"), 2);
}

}  // namespace
}  // namespace storeflow::runtime::testing
