// The effect ledger and the lease heartbeat (issue 11, item 4): a step that calls
// out records its attempt before the call and its outcome with the step's result;
// an attempt that never finished counts as failed and the next one is told its
// outcome is unknown; the run's lease lives as long as the call, however long.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "runtime/run_cursor.h"
#include "runtime/steps/step_handler.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;
using store::StepStatus;

constexpr char kSend[] = R"(workflow: ledger
on: [{event: go}]
steps:
  - id: send
    uses: test.act
    with: { to: "a@example.com" }
    retry: { attempts: 3, backoff: constant, delay: 10s }
)";

// The test action held inside its call until released, on a worker thread that
// drives the engine once (RunDueOnce), as a slow plugin call would.
class HeldCall {
 public:
  explicit HeldCall(TestAction& action) {
    action.set_script([this](const Json& in, const ActionContext&, int) -> ActionResult {
      std::unique_lock lock(mu_);
      in_call_ = true;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(30), [&] { return release_; });
      return Json{{"echo", in}};
    });
  }
  ~HeldCall() { Finish(); }

  void Drive(Engine& engine) {
    worker_ = std::thread([&engine] { (void)engine.RunDueOnce(); });
  }
  bool WaitUntilInCall() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return in_call_; });
  }
  // Lets the call return and waits for the worker.
  void Finish() {
    {
      std::lock_guard lock(mu_);
      release_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool in_call_ = false;
  bool release_ = false;
  std::thread worker_;
};

class EffectLedgerTest : public RuntimeTest {
 protected:
  std::string Key(std::int64_t run_id, const std::string& path) {
    return store_->InstallationId() + "/" + std::to_string(run_id) + "/" + path;
  }
  std::optional<Json> Effect(const std::string& key) {
    auto tx = Begin();
    auto entry = tx->GetEffect(key);
    EXPECT_TRUE(entry.ok()) << entry.status().ToString();
    return entry.ok() ? *entry : std::nullopt;
  }
  // The state a crash during attempt `attempt` of `path` leaves: the attempt
  // recorded as started (step row and ledger), the run leased by an engine that
  // is gone.
  void CrashDuring(std::int64_t run_id, const std::string& path, int attempt) {
    auto claimed = store_->ClaimDueRuns("dead-engine", clock_->Now(), clock_->Now() + 30'000, 10);
    ASSERT_TRUE(claimed.ok());
    ASSERT_EQ(claimed->size(), 1u);
    auto tx = Begin();
    // The cursor the attempt's commit wrote: at the run's first step.
    store::RunRow run = (*claimed)[0];
    RunCursor().WriteTo(run.state);
    ASSERT_TRUE(tx->UpdateRun(run, std::string("dead-engine")).ok());
    store::StepRow row;
    row.run_id = run_id;
    row.step_path = path;
    row.seq = 1;
    row.status = StepStatus::kRunning;
    row.attempts = attempt;
    row.input = {{"to", "a@example.com"}};
    row.started_at = clock_->Now();
    row.error = {
        {"code", "interrupted"}, {"message", "never finished (test)"}, {"in_flight", true}};
    ASSERT_TRUE(tx->UpsertStep(row).ok());
    ASSERT_TRUE(
        tx->RecordEffect(Key(run_id, path), {{"attempt", attempt}, {"state", "started"}}, kT0)
            .ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
};

// `idempotency_key:` names the effect: the visits of a loop that render the same
// text are attempts of one effect, with one key and one ledger entry.
constexpr char kNamedLoop[] = R"(workflow: named
on: [{event: go}]
steps:
  - id: send
    uses: test.act
    idempotency_key: "mail-${{ event.n }}"
    with: { to: "a@example.com" }
    retry: { attempts: 1 }
    on_error: again
  - id: done
    uses: log
    with: { message: sent }
    then: end
  - id: again
    sleep: 10s
    then: send
)";

TEST_P(EffectLedgerTest, ANamedEffectKeepsOneKeyAcrossTheVisitsOfALoop) {
  action_->set_script([](const Json& in, const ActionContext&, int call) -> ActionResult {
    if (call == 1) return ActionError::Retryable("smtp_down", "connection refused");
    return Json{{"echo", in}};
  });
  Load(kNamedLoop);
  const auto id = Start("named", {{"n", 7}});
  EXPECT_EQ(Finish(id).status, RunStatus::kCompleted);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 2u);
  const std::string key = store_->InstallationId() + "/" + std::to_string(id) + "/key:mail-7";
  EXPECT_EQ(calls[0].idempotency_key, key);
  EXPECT_EQ(calls[1].idempotency_key, key) << "the second visit has a fresh path, not a new key";
  EXPECT_NE(calls[0].step_path, calls[1].step_path);
  EXPECT_EQ(calls[0].previous_attempt, PreviousAttempt::kNone);
  EXPECT_EQ(calls[1].previous_attempt, PreviousAttempt::kFailed)
      << "the ledger of the first visit says its attempt failed";
  auto entry = Effect(key);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ((*entry)["state"], "succeeded");
}

TEST_P(EffectLedgerTest, AVisitOfANamedEffectThatSucceededGetsItsOutputWithoutACall) {
  Load(R"(workflow: once
on: [{event: go}]
steps:
  - id: first
    uses: test.act
    idempotency_key: "welcome"
    with: { n: 1 }
  - id: second
    uses: test.act
    idempotency_key: "welcome"
    with: { n: 2 }
)");
  const auto id = Start("once");
  EXPECT_EQ(Finish(id).status, RunStatus::kCompleted);
  EXPECT_EQ(action_->calls().size(), 1u) << "the effect already happened";
  auto steps = Steps(id);
  EXPECT_EQ(steps["second"].output, steps["first"].output);
  EXPECT_EQ(steps["second"].output["echo"]["n"], 1);
}

TEST_P(EffectLedgerTest, ANamedKeyThatRendersEmptyFailsTheStep) {
  Load(R"(workflow: empty
on: [{event: go}]
steps:
  - id: send
    uses: test.act
    idempotency_key: "${{ event.missing }}"
    with: { n: 1 }
)");
  const auto id = Start("empty");
  EXPECT_EQ(Finish(id).status, RunStatus::kFailed);
  EXPECT_TRUE(action_->calls().empty());
  EXPECT_EQ(Steps(id)["send"].error.value("code", ""), "invalid_idempotency_key");
  // The failure is in the engine's log, naming the run, the step and the code.
  const std::string want = "warn: run " + std::to_string(id) +
                           " of workflow 'empty' failed at step 'send' (invalid_idempotency_key)";
  bool logged = false;
  for (const std::string& line : logs_) logged = logged || line.rfind(want, 0) == 0;
  EXPECT_TRUE(logged) << "no log line starting with: " << want;
}

TEST_P(EffectLedgerTest, AStepThatCallsOutRecordsItsOutcomeWithItsResult) {
  Load(kSend);
  const auto id = Start("ledger");
  EXPECT_EQ(Finish(id).status, RunStatus::kCompleted);
  auto entry = Effect(Key(id, "send"));
  ASSERT_TRUE(entry.has_value()) << "no ledger entry for the step";
  EXPECT_EQ((*entry)["state"], "succeeded");
  EXPECT_EQ((*entry)["attempt"], 1);
  EXPECT_EQ((*entry)["output"], Steps(id)["send"].output);
  ASSERT_EQ(action_->calls().size(), 1u);
  EXPECT_EQ(action_->calls()[0].previous_attempt, PreviousAttempt::kNone);
}

TEST_P(EffectLedgerTest, ARetryIsToldThatThePreviousAttemptFailed) {
  Load(kSend);
  action_->set_script([](const Json& in, const ActionContext& c, int) -> ActionResult {
    if (c.attempt == 1) return ActionError::Retryable("busy", "try later");
    return Json{{"echo", in}};
  });
  const auto id = Start("ledger");
  EXPECT_EQ(Finish(id).status, RunStatus::kCompleted);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].previous_attempt, PreviousAttempt::kFailed);
  EXPECT_EQ((*Effect(Key(id, "send")))["attempt"], 2);
}

TEST_P(EffectLedgerTest,
       AnAttemptThatNeverFinishedCountsAsFailedAndTheNextKnowsItsOutcomeIsUnknown) {
  Load(kSend);
  const auto id = Start("ledger");
  CrashDuring(id, "send", 1);
  const auto run = Finish(id);  // the virtual clock passes the dead engine's lease
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 1u) << "the interrupted attempt counts: only attempt 2 runs";
  EXPECT_EQ(calls[0].attempt, 2);
  EXPECT_EQ(calls[0].previous_attempt, PreviousAttempt::kUnknown);
  EXPECT_EQ(calls[0].idempotency_key, Key(id, "send")) << "the same key as the lost attempt";
  EXPECT_EQ(Steps(id)["send"].attempts, 2);
}

TEST_P(EffectLedgerTest, AStepThatKeepsCrashingEndsInTheDeadLettersAfterItsRetries) {
  Load(kSend);
  const auto id = Start("ledger");
  CrashDuring(id, "send", 3);  // its last attempt (attempts: 3)
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error.value("code", ""), "interrupted") << run.error.dump();
  EXPECT_TRUE(action_->calls().empty()) << "no fourth attempt";
  auto row = Steps(id)["send"];
  EXPECT_EQ(row.status, StepStatus::kFailed);
  EXPECT_FALSE(row.error.contains("in_flight")) << row.error.dump();
  EXPECT_EQ((*Effect(Key(id, "send")))["state"], "interrupted");
}

TEST_P(EffectLedgerTest, TheLeaseLivesAsLongAsTheCallAndNoOtherWorkerTakesTheRun) {
  options_.executor.lease = std::chrono::milliseconds(1000);
  NewEngine();
  Load(kSend);
  HeldCall call(*action_);
  const auto id = Start("ledger");
  call.Drive(*engine_);
  ASSERT_TRUE(call.WaitUntilInCall());
  const TimeMs first_lease = *GetRun(id).lease_until;
  // Twice 80 % of the lease goes by while the call lasts: without a heartbeat
  // the lease ran out after the first second and the run could be claimed.
  for (int round = 0; round < 2; ++round) {
    clock_->AdvanceTo(clock_->Now() + 800);
    const TimeMs now = clock_->Now();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (*GetRun(id).lease_until <= now && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GT(*GetRun(id).lease_until, now) << "round " << round << ": the lease was not renewed";
  }
  EXPECT_GT(clock_->Now(), first_lease);
  auto stolen = store_->ClaimDueRuns("other-worker", clock_->Now(), clock_->Now() + 1000, 10);
  ASSERT_TRUE(stolen.ok());
  EXPECT_TRUE(stolen->empty()) << "another worker claimed a run whose step was in flight";
  call.Finish();
  EXPECT_EQ(Finish(id).status, RunStatus::kCompleted);
  EXPECT_EQ(action_->calls().size(), 1u);
}

TEST_P(EffectLedgerTest, AWorkerThatLostTheLeaseDuringTheCallDropsTheResult) {
  options_.executor.lease = std::chrono::milliseconds(1000);
  NewEngine();
  Load(kSend);
  HeldCall call(*action_);
  const auto id = Start("ledger");
  call.Drive(*engine_);
  ASSERT_TRUE(call.WaitUntilInCall());
  // Another engine takes the run over (as after a network partition).
  {
    auto tx = Begin();
    auto run = tx->GetRun(id);
    ASSERT_TRUE(run.ok() && run->has_value());
    store::RunRow taken = **run;
    taken.lease_owner = "other-engine";
    taken.lease_until = clock_->Now() + 60'000;
    ASSERT_TRUE(tx->UpdateRun(taken, std::nullopt).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  // Let the heartbeat find out (it may; the step's commit finds out anyway).
  clock_->AdvanceTo(clock_->Now() + 500);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  call.Finish();
  auto row = Steps(id)["send"];
  EXPECT_EQ(row.status, StepStatus::kRunning) << "the result of a lost lease was recorded";
  EXPECT_EQ((*Effect(Key(id, "send")))["state"], "started");
  EXPECT_EQ(GetRun(id).lease_owner, "other-engine");
}

STOREFLOW_INSTANTIATE_STORE_TESTS(EffectLedgerTest);

}  // namespace
}  // namespace storeflow::runtime::testing
