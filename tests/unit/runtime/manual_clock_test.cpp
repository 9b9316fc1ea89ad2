// The manual clock (`serve --clock manual`): Engine::AdvanceManualClock moves it to a
// target through every due time on the way, waiting at each until the workers have
// done what was due, so timers fire at their own times.

#include <gtest/gtest.h>

#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;

constexpr TimeMs kHour = 3'600'000;

class ManualClockTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    engine_.reset();
    options_.workers = 2;
    manual_ = std::make_unique<ManualClock>(kT0);
    manual_engine_ = std::make_unique<Engine>(*store_, *manual_, actions_, options_);
  }
  void TearDown() override {
    if (manual_engine_) manual_engine_->Stop();
    manual_engine_.reset();
    RuntimeTest::TearDown();
  }

  std::unique_ptr<ManualClock> manual_;
  std::unique_ptr<Engine> manual_engine_;
};

TEST_P(ManualClockTest, EveryTimerFiresAtItsOwnTimeAndTheClockStopsAtTheTarget) {
  auto loaded = manual_engine_->LoadWorkflowSource(R"(workflow: timers
on: [{event: go}]
steps:
  - id: nap
    sleep: 1h
  - id: woke
    uses: test.act
    with: { at: "${{ now() }}" }
  - id: wait
    wait_for: { event: never, timeout: 90m }
  - id: done
    uses: test.act
    with: { at: "${{ now() }}" }
)",
                                                   "timers.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  manual_engine_->Start();
  auto run = manual_engine_->StartRun("timers", Json::object());
  ASSERT_TRUE(run.ok()) << run.status().ToString();

  // Nothing moves by itself: the run sleeps at kT0.
  auto none = manual_engine_->AdvanceManualClock(kT0, std::chrono::seconds(30));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(manual_->Now(), kT0);
  EXPECT_EQ(action_->count("woke"), 0);

  auto stops = manual_engine_->AdvanceManualClock(kT0 + 5 * kHour, std::chrono::seconds(60));
  ASSERT_TRUE(stops.ok()) << stops.status().ToString();
  EXPECT_GE(*stops, 3) << "the sleep's end, the wait's timeout and the target";
  EXPECT_EQ(manual_->Now(), kT0 + 5 * kHour);
  EXPECT_EQ(GetRun(run->id).status, RunStatus::kCompleted);
  const auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].now, kT0 + kHour) << "the sleep ended at its own time";
  EXPECT_EQ(calls[0].input["at"], (kT0 + kHour) / 1000);
  EXPECT_EQ(calls[1].now, kT0 + kHour + kHour * 3 / 2) << "the wait timed out at its own time";
}

TEST_P(ManualClockTest, ItNeverGoesBackAndOnlyAManualClockMoves) {
  manual_engine_->Start();
  ASSERT_TRUE(manual_engine_->AdvanceManualClock(kT0 + kHour, std::chrono::seconds(30)).ok());
  auto back = manual_engine_->AdvanceManualClock(kT0, std::chrono::seconds(30));
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(back.status().message().find("never goes back"), std::string::npos);

  VirtualClock jumping(kT0);
  Engine other(*store_, jumping, actions_, options_);
  auto refused = other.AdvanceManualClock(kT0 + kHour, std::chrono::seconds(1));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--clock manual"), std::string::npos);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(ManualClockTest);

}  // namespace
}  // namespace storeflow::runtime::testing
