// `schedule` triggers: due times, payload, and exactly-once firing with two engines.

#include <gtest/gtest.h>

#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;

constexpr char kEveryFiveMinutes[] = R"(workflow: ticker
on:
  - schedule: "*/5 * * * *"
steps:
  - id: tick
    uses: test.act
    with: { at: "${{ event.scheduled_at }}" }
)";

class ScheduleTest : public RuntimeTest {
 protected:
  void SetUp() override {
    options_.schedules = true;
    RuntimeTest::SetUp();
  }
};

TEST_P(ScheduleTest, FiresAtEachDueTimeWithScheduledAt) {
  Load(kEveryFiveMinutes);
  ASSERT_TRUE(engine_->SyncSchedules().ok());
  Status s =
      engine_->RunUntil([&] { return action_->calls().size() >= 3; }, std::chrono::seconds(60));
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto calls = action_->calls();
  const TimeMs first = (kT0 / 300'000 + 1) * 300'000;  // the next multiple of 5 minutes
  EXPECT_EQ(calls[0].now, first);
  EXPECT_EQ(calls[1].now, first + 300'000);
  EXPECT_EQ(calls[2].now, first + 600'000);
  EXPECT_TRUE(calls[0].input["at"].is_string());
  EXPECT_NE(calls[0].input["at"].get<std::string>().find('T'), std::string::npos);
}

TEST_P(ScheduleTest, TwoEnginesFireEachDueTimeOnce) {
  if (!is_pg()) GTEST_SKIP() << "SQLite allows one engine per file";
  Load(kEveryFiveMinutes);
  ASSERT_TRUE(engine_->SyncSchedules().ok());
  auto other_store = OpenAnother();
  ASSERT_NE(other_store, nullptr);
  EngineOptions other_options = options_;
  other_options.owner = "other-engine";
  Engine other(*other_store, *clock_, actions_, other_options);
  ASSERT_TRUE(other.LoadWorkflowSource(kEveryFiveMinutes, "test.yaml").ok());
  ASSERT_TRUE(other.SyncSchedules().ok());
  const TimeMs first = (kT0 / 300'000 + 1) * 300'000;
  for (int round = 0; round < 3; ++round) {
    clock_->AdvanceTo(first + round * 300'000);
    ASSERT_TRUE(other.RunDueOnce().ok());
    ASSERT_TRUE(engine_->RunDueOnce().ok());
    ASSERT_TRUE(other.RunDueOnce().ok());
  }
  auto tx = Begin();
  store::RunFilter filter;
  filter.workflow = "ticker";
  auto runs = tx->ListRuns(filter);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->size(), 3u);
  EXPECT_EQ(action_->calls().size(), 3u);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(ScheduleTest);

}  // namespace
}  // namespace storeflow::runtime::testing
