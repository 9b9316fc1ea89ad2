// Group commit in the executor (RunExecutor::AdvanceBatch), on both backends: the
// runs of one claim share each round's commit, a failed step undoes only its own
// writes, a lost lease loses only its run, and a step that calls out of the
// engine never runs inside the shared transaction.

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;
using store::StepStatus;

// A quick transactional action that runs `body` with the step's transaction.
class QuickTxAction final : public Action {
 public:
  using Body = std::function<ActionResult(const Json&, store::Transaction&, const ActionContext&)>;
  QuickTxAction(std::string name, Body body) : name_(std::move(name)), body_(std::move(body)) {}
  std::string_view name() const override { return name_; }
  bool transactional() const override { return true; }
  ActionResult Invoke(const Json& input, const ActionContext& context) override {
    return body_(input, *context.tx, context);
  }

 private:
  std::string name_;
  Body body_;
};

// An action that calls out of the engine (not quick): here it reads the store
// through a transaction of its own.
class OutsideAction final : public Action {
 public:
  using Body = std::function<ActionResult(const Json&, const ActionContext&)>;
  explicit OutsideAction(Body body) : body_(std::move(body)) {}
  std::string_view name() const override { return "test.outside"; }
  ActionResult Invoke(const Json& input, const ActionContext& context) override {
    return body_(input, context);
  }

 private:
  Body body_;
};

class ExecutorBatchTest : public RuntimeTest {
 protected:
  void Register(std::shared_ptr<Action> action) {
    ASSERT_TRUE(actions_.Register(std::move(action)).ok());
    NewEngine();
  }

  // Registers test.outside as an action that reads its own run from a
  // transaction of its own (what another engine would see) and hands it to `seen`.
  void RegisterRunObserver(std::function<void(const store::RunRow&)> seen) {
    store::Store* store = store_.get();
    Register(std::make_shared<OutsideAction>(
        [store, seen = std::move(seen)](const Json&, const ActionContext& c) {
          auto tx = store->Begin();
          if (!tx.ok()) return ActionResult(ActionError::Permanent("test", tx.status().message()));
          auto run = (*tx)->GetRun(c.run_id);
          if (!run.ok() || !run->has_value()) {
            return ActionResult(ActionError::Permanent("test", "the run is gone"));
          }
          seen(**run);
          return ActionResult(Json{{"ok", true}});
        }));
  }
};

TEST_P(ExecutorBatchTest, RunsClaimedTogetherAllCompleteWithEveryStepInOrder) {
  Load(R"(workflow: batch
on: [{event: go}]
steps:
  - id: first
    uses: log
    with: { message: "n=${{ event.n }}" }
  - id: save
    uses: store.put
    with: { collection: batch, key: "${{ tostring(event.n) }}", value: { n: "${{ event.n }}" } }
  - id: last
    uses: log
    with: { message: "saved ${{ steps.save.output.key }}" }
)");
  std::vector<std::int64_t> ids;
  for (int n = 0; n < 12; ++n) ids.push_back(Start("batch", {{"n", n}}));
  Finish(ids);
  for (int n = 0; n < 12; ++n) {
    const auto run = GetRun(ids[n]);
    EXPECT_EQ(run.status, RunStatus::kCompleted) << "run " << ids[n];
    EXPECT_FALSE(run.lease_owner.has_value());
    auto steps = Steps(ids[n]);
    ASSERT_EQ(steps.size(), 3u) << "run " << ids[n];
    EXPECT_LT(steps["first"].seq, steps["save"].seq);
    EXPECT_LT(steps["save"].seq, steps["last"].seq);
    EXPECT_EQ(steps["last"].output["message"], "saved " + std::to_string(n));
    auto record = Record("batch", std::to_string(n));
    ASSERT_TRUE(record.has_value()) << n;
    EXPECT_EQ((*record)["n"], n);
  }
}

TEST_P(ExecutorBatchTest, AFailedStepUndoesOnlyItsOwnWrites) {
  Register(std::make_shared<QuickTxAction>(
      "test.write_then_fail",
      [](const Json& input, store::Transaction& tx, const ActionContext& c) -> ActionResult {
        const std::string key = input["key"].get<std::string>();
        auto put = tx.PutRecord("written", key, Json{{"by", c.run_id}}, c.now);
        if (!put.ok()) return ActionError::Retryable("store", put.status().message());
        if (input["fail"].get<bool>()) return ActionError::Permanent("refused", "told to fail");
        return Json{{"key", key}};
      }));
  Load(R"(workflow: partial
on: [{event: go}]
steps:
  - id: write
    uses: test.write_then_fail
    with: { key: "${{ event.key }}", fail: "${{ event.fail }}" }
)");
  std::vector<std::int64_t> ids;
  for (int n = 0; n < 6; ++n) {
    ids.push_back(Start("partial", {{"key", "k" + std::to_string(n)}, {"fail", n % 2 == 1}}));
  }
  Finish(ids);
  for (int n = 0; n < 6; ++n) {
    const bool fails = n % 2 == 1;
    const auto run = GetRun(ids[n]);
    EXPECT_EQ(run.status, fails ? RunStatus::kFailed : RunStatus::kCompleted) << "run " << n;
    auto record = Record("written", "k" + std::to_string(n));
    EXPECT_EQ(record.has_value(), !fails) << "run " << n;
    if (record) {
      EXPECT_EQ((*record)["by"], ids[n]);
    }
  }
}

TEST_P(ExecutorBatchTest, ALostLeaseLosesOnlyThatRunsStep) {
  // The first run's step takes the second run's lease away (as another engine
  // would after the lease expired) before the second run's step is committed.
  Register(std::make_shared<QuickTxAction>(
      "test.steal",
      [](const Json& input, store::Transaction& tx, const ActionContext& c) -> ActionResult {
        if (!input["steal"].get<bool>()) return Json{{"stole", false}};
        auto runs = tx.ListRuns({.workflow = "steal"});
        if (!runs.ok()) return ActionError::Permanent("test", runs.status().message());
        for (store::RunRow row : *runs) {
          if (row.id == c.run_id) continue;
          row.lease_owner = "another-engine";
          Status updated = tx.UpdateRun(row, std::nullopt);
          if (!updated.ok()) return ActionError::Permanent("test", updated.message());
          return Json{{"stole", true}};
        }
        return ActionError::Permanent("test", "no victim");
      }));
  // The theft is in the second round: in the first, the claim's own transaction
  // holds both runs locked, and nothing but that transaction can change them.
  Load(R"(workflow: steal
on: [{event: go}]
steps:
  - id: first
    uses: log
    with: { message: first }
  - id: act
    uses: test.steal
    with: { steal: "${{ event.steal }}" }
)");
  // Claimed in id order: the thief's step runs first in each round.
  const auto thief = Start("steal", {{"steal", true}});
  const auto victim = Start("steal", {{"steal", false}});
  auto advanced = engine_->RunDueOnce();
  ASSERT_TRUE(advanced.ok()) << advanced.status().ToString();
  EXPECT_EQ(GetRun(thief).status, RunStatus::kCompleted);
  EXPECT_EQ(Steps(thief)["act"].output["stole"], true);
  const auto lost = GetRun(victim);
  EXPECT_EQ(lost.status, RunStatus::kRunning);
  EXPECT_EQ(lost.lease_owner, "another-engine");
  EXPECT_EQ(Steps(victim).count("first"), 1u);
  EXPECT_EQ(Steps(victim).count("act"), 0u) << "the victim's step was committed without its lease";

  // Once that lease expires the run is claimed again and completes once.
  clock_->AdvanceTo(clock_->Now() + 60'000);
  const auto done = Finish(victim);
  EXPECT_EQ(done.status, RunStatus::kCompleted);
  EXPECT_EQ(Steps(victim)["act"].attempts, 1);
}

TEST_P(ExecutorBatchTest, AStepThatCallsOutRunsAfterThePreviousStepIsCommitted) {
  // From its own transaction the action must see its run's earlier step: a
  // step that calls out never waits inside a shared, uncommitted transaction
  // (on SQLite, its own Begin would not even get the write lock).
  std::vector<std::string> seen;
  std::mutex mu;
  store::Store* store = store_.get();
  Register(std::make_shared<OutsideAction>([&, store](const Json&, const ActionContext& c) {
    auto tx = store->Begin();
    if (!tx.ok()) return ActionResult(ActionError::Permanent("test", tx.status().message()));
    auto rows = (*tx)->ListSteps(c.run_id);
    if (!rows.ok()) return ActionResult(ActionError::Permanent("test", rows.status().message()));
    std::lock_guard lock(mu);
    for (const auto& row : *rows) {
      if (row.step_path == "first" && row.status == StepStatus::kCompleted) {
        seen.push_back(std::to_string(c.run_id));
      }
    }
    return ActionResult(Json{{"ok", true}});
  }));
  Load(R"(workflow: outside
on: [{event: go}]
steps:
  - id: first
    uses: log
    with: { message: first }
  - id: call
    uses: test.outside
    with: {}
)");
  std::vector<std::int64_t> ids;
  for (int n = 0; n < 4; ++n) ids.push_back(Start("outside", Json::object()));
  Finish(ids);
  for (auto id : ids) EXPECT_EQ(GetRun(id).status, RunStatus::kCompleted) << "run " << id;
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), ids.size());
}

TEST_P(ExecutorBatchTest, AClaimIsStoredWithTheFirstRoundEvenForARunThatTookNoStepInIt) {
  // The claim is made in the first round's transaction. A run whose first step
  // calls out takes no step in that round, yet its claim (the lease) must be
  // committed before the step runs, or another engine could take it meanwhile.
  std::vector<std::string> seen;
  std::mutex mu;
  RegisterRunObserver([&](const store::RunRow& run) {
    std::lock_guard lock(mu);
    seen.push_back(std::string(store::RunStatusName(run.status)) + "/" +
                   run.lease_owner.value_or("-"));
  });
  Load(R"(workflow: calls_first
on: [{event: go}]
steps:
  - id: call
    uses: test.outside
    with: {}
)");
  Load(R"(workflow: quick
on: [{event: go}]
steps:
  - id: only
    uses: log
    with: { message: quick }
)");
  const auto caller = Start("calls_first", Json::object());
  const auto quick = Start("quick", Json::object());
  auto advanced = engine_->RunDueOnce();
  ASSERT_TRUE(advanced.ok()) << advanced.status().ToString();
  EXPECT_EQ(GetRun(quick).status, RunStatus::kCompleted);
  EXPECT_EQ(GetRun(caller).status, RunStatus::kCompleted);
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "running/" + options_.owner);
}

TEST_P(ExecutorBatchTest, EachWorkerHoldsLeasesUnderANameOfItsOwn) {
  // Two workers of one engine must not pass for each other: a run whose lease ran
  // out between one worker's rounds and that another worker claimed is then no
  // longer the first one's (with one name per engine it was, and the first ran
  // the step the second had run). The action reads its run's lease owner.
  std::set<std::string> owners;
  std::mutex mu;
  RegisterRunObserver([&](const store::RunRow& run) {
    std::lock_guard lock(mu);
    owners.insert(run.lease_owner.value_or("-"));
  });
  options_.workers = 2;
  NewEngine();
  Load(R"(workflow: owners
on: [{event: go}]
steps:
  - id: call
    uses: test.outside
    with: {}
)");
  std::vector<std::int64_t> ids;
  for (int n = 0; n < 40; ++n) ids.push_back(Start("owners", Json::object()));
  engine_->Start();
  const bool all = WaitUntilAllEnded(ids, std::chrono::seconds(60));
  engine_->Stop();
  ASSERT_TRUE(all);
  std::lock_guard lock(mu);
  ASSERT_FALSE(owners.empty());
  for (const auto& owner : owners) {
    EXPECT_TRUE(owner == options_.owner + "/0" || owner == options_.owner + "/1") << owner;
  }
}

STOREFLOW_INSTANTIATE_STORE_TESTS(ExecutorBatchTest);

}  // namespace
}  // namespace storeflow::runtime::testing
