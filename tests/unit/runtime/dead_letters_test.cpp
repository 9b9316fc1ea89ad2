// Dead letters: their resolution (retried, discarded, superseded) and the
// auto-redrive of retryable ones, on both backends.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "runtime/clock.h"
#include "runtime/dead_letter_redrive.h"
#include "runtime/dead_letters.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;

class DeadLettersTest : public RuntimeTest {
 protected:
  // `apply` fails for the numbers in `broken_`: permanently for those also in
  // `permanent_`, else retryably.
  void LoadFlaky() {
    Load(R"(workflow: flaky
on: [{event: go}]
steps:
  - id: apply
    uses: test.act
    with: { n: "${{ event.n }}" }
)");
    action_->set_script([this](const Json& input, const ActionContext&, int) -> ActionResult {
      const int n = input["n"].get<int>();
      if (broken_.count(n) == 0) return Json{{"n", n}};
      if (permanent_.count(n) != 0) return ActionError::Permanent("bad", "refused");
      return ActionError::Retryable("busy", "try later");
    });
  }

  std::set<int> broken_;
  std::set<int> permanent_;
};

TEST_P(DeadLettersTest, TheErrorSaysWhetherItWasRetryable) {
  LoadFlaky();
  broken_ = {1, 2};
  permanent_ = {2};
  const auto retryable = Finish(Start("flaky", {{"n", 1}}));
  const auto permanent = Finish(Start("flaky", {{"n", 2}}));
  EXPECT_EQ(retryable.status, RunStatus::kFailed);
  EXPECT_EQ(retryable.error["retryable"], true);
  EXPECT_EQ(permanent.error["retryable"], false);
  Load(R"(workflow: failing
on: [{event: go}]
steps:
  - id: stop
    fail: "no"
)");
  EXPECT_EQ(Finish(Start("failing")).error["retryable"], false);
}

TEST_P(DeadLettersTest, RedriveRetriesRetryableDeadLettersOldestFirstWithinItsCaps) {
  LoadFlaky();
  broken_ = {1, 2, 3, 4};
  permanent_ = {4};
  std::vector<std::int64_t> ids;
  for (int n = 1; n <= 4; ++n) ids.push_back(Start("flaky", {{"n", n}}));
  Finish(ids);
  broken_ = {2, 4};  // 1 and 3 would now succeed, 2 still fails
  permanent_ = {4};
  const RedriveOptions options{.max_per_pass = 2, .max_redrives = 1};
  auto retried = RedriveDeadLetters(*store_, clock_->Now(), options);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(*retried, 2);  // 1 and 2, the oldest two retryable ones
  Finish(ids);
  EXPECT_EQ(GetRun(ids[0]).status, RunStatus::kCompleted);
  EXPECT_EQ(GetRun(ids[0]).state["dead_letter"]["resolution"], "retried");
  EXPECT_EQ(GetRun(ids[0]).state["dead_letter"]["resolved_by"], "auto_redrive");
  EXPECT_EQ(GetRun(ids[1]).status, RunStatus::kFailed);  // failed again
  EXPECT_EQ(GetRun(ids[1]).state["dead_letter"]["redrives"], 1);
  EXPECT_EQ(GetRun(ids[2]).status, RunStatus::kFailed);  // over the pass's cap
  retried = RedriveDeadLetters(*store_, clock_->Now(), options);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(*retried, 1);  // 3; 2 has used its one redrive, 4 was permanent
  Finish(ids);
  EXPECT_EQ(GetRun(ids[2]).status, RunStatus::kCompleted);
  EXPECT_EQ(GetRun(ids[1]).status, RunStatus::kFailed);
  EXPECT_EQ(GetRun(ids[3]).status, RunStatus::kFailed);
  EXPECT_FALSE(GetRun(ids[3]).state.contains("dead_letter"));
  EXPECT_EQ(*RedriveDeadLetters(*store_, clock_->Now(), options), 0);
}

// `serve --clock manual` (the e2e tests): the auto-redrive's interval is measured on
// the engine's clock, so a test moves it on with the clock instead of waiting.
TEST_P(DeadLettersTest, TheAutoRedriveFollowsAManualClock) {
  LoadFlaky();
  broken_ = {1};
  const auto id = Start("flaky", {{"n", 1}});
  EXPECT_EQ(Finish(id).status, RunStatus::kFailed);
  broken_.clear();
  ManualClock manual(clock_->Now());
  DeadLetterRedriver redriver(*store_, manual, {std::chrono::minutes(5), RedriveOptions{}});
  redriver.Start();
  auto resolution = [&] {
    return GetRun(id).state.value("dead_letter", Json::object()).value("resolution", "");
  };
  // Wall time passes, the engine's does not: no pass.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(resolution(), "");
  manual.AdvanceTo(manual.Now() + 5 * 60 * 1000);
  for (int i = 0; i < 200 && resolution().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  redriver.Stop();
  EXPECT_EQ(resolution(), "retried");
  EXPECT_EQ(GetRun(id).state["dead_letter"]["resolved_by"], "auto_redrive");
  EXPECT_EQ(Finish(id).status, RunStatus::kCompleted);
}

TEST_P(DeadLettersTest, ARetryWhoseFencedWriteFindsANewerVersionIsSuperseded) {
  Load(R"(workflow: sync
on: [{event: go}]
steps:
  - id: check
    uses: test.act
    with: { n: "${{ event.n }}" }
  - id: save
    uses: store.put
    with: { collection: items, key: a, value: "${{ event }}", if_newer: "${{ event.n }}" }
)");
  broken_ = {1};
  action_->set_script([this](const Json& input, const ActionContext&, int) -> ActionResult {
    if (broken_.count(input["n"].get<int>()) != 0) return ActionError::Permanent("bad", "no");
    return Json{{"ok", true}};
  });
  const auto older = Start("sync", {{"n", 1}});
  EXPECT_EQ(Finish(older).status, RunStatus::kFailed);
  EXPECT_EQ(Finish(Start("sync", {{"n", 2}})).status, RunStatus::kCompleted);
  broken_.clear();
  ASSERT_TRUE(RetryDeadLetter(*store_, older, clock_->Now()).ok());
  const auto run = Finish(older);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  EXPECT_EQ(run.state["dead_letter"]["resolution"], "superseded");
  EXPECT_EQ(Steps(older)["save"].output["applied"], false);
  EXPECT_EQ((*Record("items", "a"))["n"], 2);  // the newer version stays
}

STOREFLOW_INSTANTIATE_STORE_TESTS(DeadLettersTest);

}  // namespace
}  // namespace storeflow::runtime::testing
