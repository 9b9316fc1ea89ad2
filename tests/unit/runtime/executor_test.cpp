// The step executor on both backends: persistence, replay, retries, errors,
// jumps, foreach, sleep.

#include <gtest/gtest.h>

#include <thread>

#include "runtime/dead_letters.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;
using store::StepStatus;

class ExecutorTest : public RuntimeTest {};

TEST_P(ExecutorTest, MultiStepRunCompletesAndPersistsEveryStep) {
  Load(R"(workflow: multi
on: [{event: go}]
steps:
  - id: first
    uses: test.act
    with: { n: "${{ event.n }}" }
  - id: second
    uses: test.act
    with: { prev: "${{ steps.first.output.echo.n }}", run: "${{ run.workflow }}" }
  - id: note
    uses: log
    with: { message: "done ${{ steps.second.output.echo.prev }}" }
)");
  const auto id = Start("multi", {{"n", 41}});
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  auto steps = Steps(id);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps["first"].status, StepStatus::kCompleted);
  EXPECT_EQ(steps["first"].attempts, 1);
  EXPECT_EQ(steps["first"].output["echo"]["n"], 41);
  EXPECT_EQ(steps["second"].output["echo"]["prev"], 41);
  EXPECT_EQ(steps["second"].output["echo"]["run"], "multi");
  EXPECT_EQ(steps["note"].output["message"], "done 41");
  EXPECT_LT(steps["first"].seq, steps["second"].seq);
  EXPECT_LT(steps["second"].seq, steps["note"].seq);
  EXPECT_FALSE(run.lease_owner.has_value());
  EXPECT_TRUE(run.finished_at.has_value());
}

TEST_P(ExecutorTest, CompletedStepDoesNotRunAgainAfterTheEngineIsReplaced) {
  options_.executor.max_steps_per_claim = 1;
  NewEngine();
  Load(R"(workflow: crashy
on: [{event: go}]
steps:
  - id: one
    uses: test.act
    with: { step: 1 }
  - id: two
    uses: test.act
    with: { from_one: "${{ steps.one.output.echo.step }}" }
)");
  const auto id = Start("crashy");
  auto advanced = engine_->RunDueOnce();  // step one commits, then the engine "dies"
  ASSERT_TRUE(advanced.ok());
  EXPECT_EQ(action_->count("one"), 1);
  EXPECT_EQ(action_->count("two"), 0);
  options_.executor.max_steps_per_claim = 1000;
  NewEngine();  // a new engine on the same database; the workflow comes from the store
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  EXPECT_EQ(action_->count("one"), 1);
  EXPECT_EQ(action_->count("two"), 1);
  EXPECT_EQ(Steps(id)["two"].output["echo"]["from_one"], 1);
}

TEST_P(ExecutorTest, ARunWhoseLeaseExpiredIsResumedByAnotherEngine) {
  Load(R"(workflow: lease
on: [{event: go}]
steps:
  - id: one
    uses: test.act
  - id: two
    uses: test.act
)");
  const auto id = Start("lease");
  // Another engine claims it and dies holding the lease.
  auto claimed = store_->ClaimDueRuns("dead-engine", kT0, kT0 + 30'000, 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  const auto run = Finish(id);  // the virtual clock jumps past the lease
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  EXPECT_GT(clock_->Now(), kT0 + 30'000);
  EXPECT_EQ(action_->count("one"), 1);
}

TEST_P(ExecutorTest, ConstantBackoffRetriesAtExactDueTimes) {
  Load(R"(workflow: retry-constant
on: [{event: go}]
steps:
  - id: flaky
    uses: test.act
    retry: { attempts: 3, backoff: constant, delay: 10s }
)");
  action_->set_script([](const Json&, const ActionContext& c, int) -> ActionResult {
    if (c.attempt < 3) return ActionError::Retryable("busy", "try later");
    return Json("ok");
  });
  const auto id = Start("retry-constant");
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].now, kT0);
  EXPECT_EQ(calls[1].now, kT0 + 10'000);
  EXPECT_EQ(calls[2].now, kT0 + 20'000);
  EXPECT_EQ(Steps(id)["flaky"].attempts, 3);
}

TEST_P(ExecutorTest, ExponentialBackoffDoublesAndIsCapped) {
  Load(R"(workflow: retry-exp
on: [{event: go}]
steps:
  - id: flaky
    uses: test.act
    retry: { attempts: 5, backoff: exponential, delay: 10s, max_delay: 30s }
)");
  action_->set_script([](const Json&, const ActionContext& c, int) -> ActionResult {
    if (c.attempt < 5) return ActionError::Retryable("busy", "try later");
    return Json("ok");
  });
  const auto id = Start("retry-exp");
  {
    const auto finished = Finish(id);
    EXPECT_EQ(finished.status, RunStatus::kCompleted) << finished.error.dump();
  }
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[1].now - calls[0].now, 10'000);
  EXPECT_EQ(calls[2].now - calls[1].now, 20'000);
  EXPECT_EQ(calls[3].now - calls[2].now, 30'000);  // capped (would be 40s)
  EXPECT_EQ(calls[4].now - calls[3].now, 30'000);
}

TEST_P(ExecutorTest, FullJitterWaitsStayWithinTheirBounds) {
  Load(R"(workflow: retry-jitter
on: [{event: go}]
steps:
  - id: flaky
    uses: test.act
    retry: { attempts: 6, backoff: exponential, delay: 10s, max_delay: 40s, jitter: full }
)");
  action_->set_script([](const Json&, const ActionContext& c, int) -> ActionResult {
    if (c.attempt < 6) return ActionError::Retryable("busy", "try later");
    return Json("ok");
  });
  EXPECT_EQ(Finish(Start("retry-jitter")).status, RunStatus::kCompleted);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 6u);
  const std::int64_t bounds[] = {10'000, 20'000, 40'000, 40'000, 40'000};
  for (int i = 0; i < 5; ++i) {
    const auto gap = calls[i + 1].now - calls[i].now;
    EXPECT_GE(gap, 0) << "retry " << i + 1;
    EXPECT_LE(gap, bounds[i]) << "retry " << i + 1;
  }
}

TEST_P(ExecutorTest, WorkflowDefaultRetryAppliesToStepsWithoutOne) {
  Load(R"(workflow: retry-default
on: [{event: go}]
retry: { attempts: 2, backoff: constant, delay: 5s }
steps:
  - id: flaky
    uses: test.act
)");
  action_->set_script([](const Json&, const ActionContext& c, int) -> ActionResult {
    if (c.attempt < 2) return ActionError::Retryable("busy", "try later");
    return Json("ok");
  });
  EXPECT_EQ(Finish(Start("retry-default")).status, RunStatus::kCompleted);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].now, kT0 + 5'000);
}

TEST_P(ExecutorTest, PermanentErrorIsNotRetriedAndDeadLetters) {
  Load(R"(workflow: permanent
on: [{event: go}]
steps:
  - id: bad
    uses: test.act
    with: { x: 1 }
    retry: { attempts: 5, delay: 1s }
)");
  action_->set_script([](const Json&, const ActionContext&, int) -> ActionResult {
    return ActionError::Permanent("invalid", "will never work");
  });
  const auto id = Start("permanent");
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(action_->calls().size(), 1u);
  EXPECT_EQ(run.error["step"], "bad");
  EXPECT_EQ(run.error["code"], "invalid");
  EXPECT_EQ(run.error["message"], "will never work");
  EXPECT_EQ(run.error["attempts"], 1);
  EXPECT_EQ(run.error["input"]["x"], 1);
  auto dlq = ListDeadLetters(*store_, std::nullopt);
  ASSERT_TRUE(dlq.ok());
  ASSERT_EQ(dlq->size(), 1u);
  EXPECT_EQ((*dlq)[0].id, id);
  EXPECT_EQ(Steps(id)["bad"].status, StepStatus::kFailed);
}

TEST_P(ExecutorTest, RetriesExhaustedDeadLetterWithTheAttemptCount) {
  Load(R"(workflow: exhausted
on: [{event: go}]
steps:
  - id: flaky
    uses: test.act
    retry: { attempts: 3, backoff: constant, delay: 1s }
)");
  action_->set_script([](const Json&, const ActionContext&, int) -> ActionResult {
    return ActionError::Retryable("busy", "still busy");
  });
  const auto run = Finish(Start("exhausted"));
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error["attempts"], 3);
  EXPECT_EQ(action_->calls().size(), 3u);
}

TEST_P(ExecutorTest, RetryAfterHintIsHonoured) {
  Load(R"(workflow: retry-after
on: [{event: go}]
steps:
  - id: limited
    uses: test.act
    retry: { attempts: 2, backoff: constant, delay: 1s }
)");
  action_->set_script([](const Json&, const ActionContext& c, int) -> ActionResult {
    if (c.attempt == 1) return ActionError::Retryable("429", "slow down", Duration(60'000));
    return Json("ok");
  });
  EXPECT_EQ(Finish(Start("retry-after")).status, RunStatus::kCompleted);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].now - calls[0].now, 60'000);
}

TEST_P(ExecutorTest, IdempotencyKeyIsStableAcrossRetries) {
  Load(R"(workflow: idem
on: [{event: go}]
steps:
  - id: charge
    uses: test.act
    retry: { attempts: 3, backoff: constant, delay: 1s }
)");
  action_->set_script([](const Json&, const ActionContext& c, int) -> ActionResult {
    if (c.attempt < 3) return ActionError::Retryable("busy", "again");
    return Json("ok");
  });
  const auto id = Start("idem");
  Finish(id);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 3u);
  // "<installation id>/<run id>/<step path>", the same on every attempt.
  ASSERT_EQ(store_->InstallationId().size(), 32u);
  for (const auto& c : calls) {
    EXPECT_EQ(c.idempotency_key, store_->InstallationId() + "/" + std::to_string(id) + "/charge");
  }
  EXPECT_EQ(calls[2].attempt, 3);
}

TEST_P(ExecutorTest, DeadLetterRetryResumesAtTheFailedStep) {
  Load(R"(workflow: dlq
on: [{event: go}]
steps:
  - id: first
    uses: test.act
    with: { v: 7 }
  - id: second
    uses: test.act
    with: { from_first: "${{ steps.first.output.echo.v }}", attempt: "${{ run.attempt }}" }
)");
  bool broken = true;
  action_->set_script([&broken](const Json&, const ActionContext& c, int) -> ActionResult {
    if (c.step_path == "second" && broken) return ActionError::Permanent("down", "peer down");
    return Json{{"ok", true}, {"echo", Json{{"v", 7}}}};
  });
  const auto id = Start("dlq");
  EXPECT_EQ(Finish(id).status, RunStatus::kFailed);
  broken = false;
  ASSERT_TRUE(RetryDeadLetter(*store_, id, clock_->Now()).ok());
  EXPECT_EQ(RetryDeadLetter(*store_, id, clock_->Now()).code(), StatusCode::kFailedPrecondition);
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  EXPECT_EQ(action_->count("first"), 1);
  EXPECT_EQ(action_->count("second"), 2);
  auto calls = action_->calls();
  EXPECT_EQ(calls.back().input["from_first"], 7);
  EXPECT_EQ(calls.back().input["attempt"], 2);
  EXPECT_EQ(Steps(id)["second"].status, StepStatus::kCompleted);
  auto dlq = ListDeadLetters(*store_, std::nullopt);
  ASSERT_TRUE(dlq.ok());
  EXPECT_TRUE(dlq->empty());
}

TEST_P(ExecutorTest, DiscardRemovesFromTheDeadLetterList) {
  Load(R"(workflow: discard
on: [{event: go}]
steps:
  - id: boom
    fail: "no way ${{ event.n }}"
)");
  const auto id = Start("discard", {{"n", 3}});
  const auto failed = Finish(id);
  EXPECT_EQ(failed.status, RunStatus::kFailed);
  EXPECT_EQ(failed.error["message"], "no way 3");
  EXPECT_EQ(failed.error["code"], "fail");
  ASSERT_TRUE(DiscardDeadLetter(*store_, id, clock_->Now()).ok());
  EXPECT_EQ(GetRun(id).status, RunStatus::kCancelled);
  auto dlq = ListDeadLetters(*store_, std::nullopt);
  ASSERT_TRUE(dlq.ok());
  EXPECT_TRUE(dlq->empty());
}

TEST_P(ExecutorTest, OnErrorContinueExposesTheError) {
  Load(R"(workflow: cont
on: [{event: go}]
steps:
  - id: bad
    uses: test.act
    on_error: continue
  - id: after
    uses: log
    with: { message: "error was ${{ steps.bad.error }}" }
)");
  action_->set_script([](const Json&, const ActionContext&, int) -> ActionResult {
    return ActionError::Permanent("nope", "it broke");
  });
  const auto id = Start("cont");
  {
    const auto finished = Finish(id);
    EXPECT_EQ(finished.status, RunStatus::kCompleted) << finished.error.dump();
  }
  auto steps = Steps(id);
  EXPECT_EQ(steps["bad"].status, StepStatus::kFailed);
  EXPECT_EQ(steps["after"].output["message"], "error was it broke");
}

TEST_P(ExecutorTest, OnErrorGotoJumpsToTheHandler) {
  Load(R"(workflow: goto-handler
on: [{event: go}]
steps:
  - id: bad
    uses: test.act
    on_error: handler
  - id: skipped_over
    uses: log
    with: { message: "not me" }
  - id: handler
    uses: log
    with: { message: "handled" }
)");
  action_->set_script([](const Json&, const ActionContext&, int) -> ActionResult {
    return ActionError::Permanent("nope", "it broke");
  });
  const auto id = Start("goto-handler");
  {
    const auto finished = Finish(id);
    EXPECT_EQ(finished.status, RunStatus::kCompleted) << finished.error.dump();
  }
  auto steps = Steps(id);
  EXPECT_EQ(steps.count("skipped_over"), 0u);
  EXPECT_EQ(steps["handler"].output["message"], "handled");
}

TEST_P(ExecutorTest, IfSkipsAndThenEndStops) {
  Load(R"(workflow: branch
on: [{event: go}]
steps:
  - id: maybe
    if: event.flag == true
    uses: test.act
  - id: stop
    if: event.n > 1
    uses: log
    with: { message: "stopping" }
    then: end
  - id: never
    uses: test.act
)");
  const auto id = Start("branch", {{"flag", false}, {"n", 2}});
  {
    const auto finished = Finish(id);
    EXPECT_EQ(finished.status, RunStatus::kCompleted) << finished.error.dump();
  }
  auto steps = Steps(id);
  EXPECT_EQ(steps["maybe"].status, StepStatus::kSkipped);
  EXPECT_EQ(steps["stop"].status, StepStatus::kCompleted);
  EXPECT_EQ(steps.count("never"), 0u);
  EXPECT_EQ(action_->calls().size(), 0u);
}

TEST_P(ExecutorTest, ThenGotoLoopsWithFreshStepPaths) {
  Load(R"(workflow: loop
on: [{event: go}]
steps:
  - id: count
    uses: store.patch
    with: { collection: loops, key: "${{ run.id }}", inc: { n: 1 } }
  - id: again
    if: steps.count.output.value.n < 3
    uses: log
    with: { message: "again" }
    then: count
)");
  const auto id = Start("loop");
  {
    const auto finished = Finish(id);
    EXPECT_EQ(finished.status, RunStatus::kCompleted) << finished.error.dump();
  }
  auto record = Record("loops", std::to_string(id));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ((*record)["n"], 3);
  auto steps = Steps(id);
  EXPECT_EQ(steps.count("count"), 1u);
  EXPECT_EQ(steps.count("count#1"), 1u);
  EXPECT_EQ(steps.count("count#2"), 1u);
}

TEST_P(ExecutorTest, ForeachGivesIndexedPathsAndAListOfOutputs) {
  Load(R"(workflow: each
on: [{event: go}]
steps:
  - id: emails
    foreach: "${{ event.to }}"
    as: address
    steps:
      - id: send
        uses: test.act
        with: { to: "${{ address }}", position: "${{ loop.index }}" }
  - id: summary
    uses: log
    with: { message: "sent ${{ #steps.emails.output }}" }
)");
  const auto id = Start("each", {{"to", {"a@x", "b@x", "c@x"}}});
  {
    const auto finished = Finish(id);
    EXPECT_EQ(finished.status, RunStatus::kCompleted) << finished.error.dump();
  }
  auto steps = Steps(id);
  EXPECT_EQ(steps["emails[0].send"].output["echo"]["to"], "a@x");
  EXPECT_EQ(steps["emails[2].send"].output["echo"]["position"], 3);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].idempotency_key,
            store_->InstallationId() + "/" + std::to_string(id) + "/emails[1].send");
  const Json out = steps["emails"].output;
  ASSERT_TRUE(out.is_array());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1]["send"]["echo"]["to"], "b@x");
  EXPECT_EQ(steps["summary"].output["message"], "sent 3");
}

TEST_P(ExecutorTest, ForeachOverAnEmptyListOutputsAnEmptyList) {
  Load(R"(workflow: each-empty
on: [{event: go}]
steps:
  - id: none
    foreach: "${{ event.items }}"
    steps:
      - id: x
        uses: test.act
)");
  const auto id = Start("each-empty", {{"items", Json::array()}});
  {
    const auto finished = Finish(id);
    EXPECT_EQ(finished.status, RunStatus::kCompleted) << finished.error.dump();
  }
  EXPECT_EQ(Steps(id)["none"].output, Json::array());
}

TEST_P(ExecutorTest, SleepIsFastForwardedByTheVirtualClock) {
  Load(R"(workflow: nap
on: [{event: go}]
steps:
  - id: nap
    sleep: 4h
  - id: after
    uses: test.act
)");
  const auto id = Start("nap");
  DriveUntilStatus(id, RunStatus::kSleeping);
  EXPECT_EQ(*GetRun(id).due_at, kT0 + 4 * 3600 * 1000);
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].now, kT0 + 4 * 3600 * 1000);
}

TEST_P(ExecutorTest, SleepUntilATimestamp) {
  Load(R"(workflow: until
on: [{event: go}]
steps:
  - id: nap
    sleep: { until: "${{ event.at }}" }
  - id: after
    uses: test.act
)");
  const auto id = Start("until", {{"at", (kT0 + 90'000) / 1000}});
  {
    const auto finished = Finish(id);
    EXPECT_EQ(finished.status, RunStatus::kCompleted) << finished.error.dump();
  }
  EXPECT_EQ(action_->calls().at(0).now, kT0 + 90'000);
}

TEST_P(ExecutorTest, RuleStepCallsTheLuaFunction) {
  Load(R"(workflow: ruled
on: [{event: go}]
steps:
  - id: plan
    rule: scripts/email_timing.lua#next_email
    with: { cart_value: 120, items: 2, emails_sent: 0, abandoned_at: "${{ run.started_at }}" }
)");
  const auto id = Start("ruled");
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
  EXPECT_FALSE(Steps(id)["plan"].output.is_null());
}

TEST_P(ExecutorTest, AnAttemptLongerThanTheStepTimeoutIsARetryableTimeout) {
  Load(R"(workflow: slow
on: [{event: go}]
steps:
  - id: slow
    uses: test.act
    timeout: 20ms
    retry: { attempts: 2, backoff: constant, delay: 1s }
)");
  action_->set_script([](const Json&, const ActionContext& c, int) -> ActionResult {
    EXPECT_TRUE(c.deadline.has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    return Json("late");
  });
  const auto run = Finish(Start("slow"));
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error["code"], "timeout");
  EXPECT_EQ(run.error["attempts"], 2);
}

TEST_P(ExecutorTest, RespondIsRecordedAsTheRunOutput) {
  Load(R"(workflow: responder
on: [{http: POST /orders}]
steps:
  - id: answer
    respond: { status: 202, body: { id: "${{ run.id }}" } }
  - id: more
    uses: test.act
)");
  const auto id = Start("responder");
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  EXPECT_EQ(run.output["status"], 202);
  EXPECT_EQ(run.output["body"]["id"], id);
  EXPECT_EQ(action_->calls().size(), 1u);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(ExecutorTest);

}  // namespace
}  // namespace storeflow::runtime::testing
