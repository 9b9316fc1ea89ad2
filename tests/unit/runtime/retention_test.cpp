// Retention: the janitor deletes what its policy no longer keeps, in batches,
// and nothing else — on both backends, with runs the engine really ran.

#include "runtime/retention.h"

#include <gtest/gtest.h>

#include "common/metrics.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using std::chrono::hours;
using store::RunStatus;

constexpr TimeMs kHourMs = 3'600'000;
constexpr TimeMs kDayMs = 24 * kHourMs;

class RetentionTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    Load(R"(workflow: done
on: [{event: retention_done}]
steps:
  - id: act
    uses: test.act
)");
    Load(R"(workflow: broken
on: [{event: retention_broken}]
steps:
  - id: boom
    fail: "nothing to do"
)");
  }

  // Three completed runs, one dead letter and one stored event, all at kT0.
  void MakeHistory() {
    completed_ = {Start("done"), Start("done"), Start("done")};
    dead_letter_ = Start("broken");
    std::vector<std::int64_t> all = completed_;
    all.push_back(dead_letter_);
    Finish(all);
    ASSERT_EQ(GetRun(dead_letter_).status, RunStatus::kFailed);
    auto published = Publish("cart", {{"token", "c-1"}});
    ASSERT_TRUE(published.ok()) << published.status().ToString();
    auto tx = Begin();
    auto events = tx->ListEvents({.limit = 10});
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 1u);
    event_id_ = events->front().id;
    ASSERT_TRUE(tx->RecordEffect("effect-1", {{"sent", true}}, clock_->Now()).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }

  bool RunExists(std::int64_t id) {
    auto tx = Begin();
    return tx->GetRun(id)->has_value();
  }
  bool EventExists(std::int64_t id) {
    auto tx = Begin();
    return tx->GetEvent(id)->has_value();
  }
  bool EffectExists(const std::string& key) {
    auto tx = Begin();
    return tx->GetEffect(key)->has_value();
  }

  static double Deleted(const std::string& kind) {
    return metrics::Registry::Default().Value("storeflow_retention_deleted_total",
                                              {{"kind", kind}});
  }

  std::vector<std::int64_t> completed_;
  std::int64_t dead_letter_ = 0;
  std::int64_t event_id_ = 0;
};
STOREFLOW_INSTANTIATE_STORE_TESTS(RetentionTest);

TEST_P(RetentionTest, EachKindGoesWhenPastItsHorizonInBatches) {
  ASSERT_NO_FATAL_FAILURE(MakeHistory());
  const TimeMs start = clock_->Now();
  RetentionPolicy policy;
  policy.runs = hours(24);
  policy.dead_letters = hours(24 * 7);
  policy.events = hours(48);
  policy.batch = 2;  // three runs: two batches
  ASSERT_TRUE(policy.Check().ok());
  RetentionJanitor janitor(*store_, *clock_, policy);
  const double runs_before = Deleted("runs");

  // Young: nothing goes.
  auto counts = janitor.PurgeOnce();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->total(), 0) << counts->Summary();
  EXPECT_TRUE(counts->complete);

  // A day and an hour later: the completed runs and their steps go, nothing else.
  clock_->AdvanceTo(start + kDayMs + kHourMs);
  counts = janitor.PurgeOnce();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->runs, 3);
  EXPECT_EQ(counts->total(), 3) << counts->Summary();
  EXPECT_EQ(counts->Summary(), "3 runs");
  EXPECT_EQ(Deleted("runs") - runs_before, 3);
  for (std::int64_t id : completed_) {
    EXPECT_FALSE(RunExists(id)) << "run " << id;
    EXPECT_TRUE(Steps(id).empty()) << "steps of run " << id;
  }
  EXPECT_TRUE(RunExists(dead_letter_));
  EXPECT_FALSE(Steps(dead_letter_).empty());
  EXPECT_TRUE(EventExists(event_id_));

  // Three days: the event goes; the dead letter (7 days) and the effect stay.
  clock_->AdvanceTo(start + 3 * kDayMs);
  counts = janitor.PurgeOnce();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->Summary(), "1 event");
  EXPECT_FALSE(EventExists(event_id_));
  EXPECT_TRUE(RunExists(dead_letter_));
  EXPECT_TRUE(EffectExists("effect-1"));

  // Eight days: the dead letter goes, and with it every run the effect could
  // belong to, so the effect goes too.
  clock_->AdvanceTo(start + 8 * kDayMs);
  counts = janitor.PurgeOnce();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->dead_letters, 1);
  // effect-1 and the ledger entries of the three completed runs' `act` steps.
  EXPECT_EQ(counts->effects, 4);
  EXPECT_FALSE(RunExists(dead_letter_));
  EXPECT_TRUE(Steps(dead_letter_).empty());
  EXPECT_FALSE(EffectExists("effect-1"));
}

TEST_P(RetentionTest, DefaultPolicyKeepsDeadLettersAndEffectsForEver) {
  ASSERT_NO_FATAL_FAILURE(MakeHistory());
  RetentionJanitor janitor(*store_, *clock_, RetentionPolicy{});
  clock_->AdvanceTo(clock_->Now() + 400 * kDayMs);
  auto counts = janitor.PurgeOnce();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->runs, 3);
  EXPECT_EQ(counts->events, 1);
  EXPECT_EQ(counts->dead_letters, 0);
  EXPECT_EQ(counts->effects, 0);
  EXPECT_TRUE(RunExists(dead_letter_));
  EXPECT_TRUE(EffectExists("effect-1"));
}

TEST_P(RetentionTest, RunsInFlightAreNeverPurged) {
  Load(R"(workflow: sleeper
on: [{event: retention_sleeper}]
steps:
  - id: nap
    sleep: 90d
)");
  const std::int64_t sleeping = Start("sleeper");
  DriveUntilStatus(sleeping, RunStatus::kSleeping);
  RetentionPolicy policy;
  policy.runs = hours(1);
  policy.dead_letters = hours(1);
  RetentionJanitor janitor(*store_, *clock_, policy);
  clock_->AdvanceTo(clock_->Now() + 60 * kDayMs);
  auto counts = janitor.PurgeOnce();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->runs + counts->dead_letters, 0);
  EXPECT_EQ(GetRun(sleeping).status, RunStatus::kSleeping);
  EXPECT_FALSE(Steps(sleeping).empty());
}

TEST_P(RetentionTest, APassStopsAtItsBudgetAndSaysSo) {
  ASSERT_NO_FATAL_FAILURE(MakeHistory());
  RetentionPolicy policy;
  policy.runs = hours(1);
  RetentionJanitor janitor(*store_, *clock_, policy);
  clock_->AdvanceTo(clock_->Now() + 2 * kDayMs);
  auto counts = janitor.PurgeOnce(std::chrono::steady_clock::duration::zero());
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_FALSE(counts->complete);
  EXPECT_EQ(counts->total(), 0);
  for (std::int64_t id : completed_) EXPECT_TRUE(RunExists(id));
}

TEST_P(RetentionTest, TheJanitorThreadPassesAtStartAndStopsPromptly) {
  ASSERT_NO_FATAL_FAILURE(MakeHistory());
  RetentionPolicy policy;
  policy.runs = hours(1);
  policy.interval = std::chrono::hours(1);  // only the pass at start happens here
  std::mutex mu;
  std::vector<std::string> lines;
  RetentionJanitor janitor(*store_, *clock_, policy,
                           [&](std::string_view level, std::string_view message) {
                             std::lock_guard lock(mu);
                             lines.push_back(std::string(level) + ": " + std::string(message));
                           });
  clock_->AdvanceTo(clock_->Now() + 2 * kDayMs);
  janitor.Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  // The pass at start is over once it has logged (waiting only for the runs to
  // go could Stop() it while it still drains other kinds: "more next pass").
  const auto logged = [&] {
    std::lock_guard lock(mu);
    return !lines.empty();
  };
  while (!logged() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (std::int64_t id : completed_) EXPECT_FALSE(RunExists(id)) << "run " << id;
  const auto stop_started = std::chrono::steady_clock::now();
  janitor.Stop();  // wakes the thread out of its hour-long wait
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(5));
  std::lock_guard lock(mu);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front(), "info: retention: deleted 3 runs");  // the event is kept 30 days
}

TEST(RetentionPolicyTest, UnsafeHorizonsAreRefusedNamingTheKey) {
  RetentionPolicy policy;
  EXPECT_TRUE(policy.Check().ok());
  policy.events = hours(24);
  Status s = policy.Check();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("retention.events: must be keep (or 0) or at least 2d", 0), 0u)
      << s.message();
  policy.events = hours(0);  // keep for ever
  EXPECT_TRUE(policy.Check().ok());
  policy.dead_letters = std::chrono::minutes(5);
  s = policy.Check();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("retention.dead_letters: must be keep (or 0) or at least 1h", 0), 0u)
      << s.message();
}

}  // namespace
}  // namespace storeflow::runtime::testing
