// Events, wait_for, keys and concurrency, dedupe, version pinning and
// exactly-once store effects, on both backends.

#include <gtest/gtest.h>

#include <set>

#include "common/metrics.h"
#include "runtime/dead_letters.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;
using store::StepStatus;

class EngineTest : public RuntimeTest {
 protected:
  void LoadWaiter() {
    Load(R"(workflow: waiter
on: [{event: cart}]
key: event.token
steps:
  - id: wait_order
    wait_for:
      event: order
      key: event.cart_token
      where: event.status ~= "voided"
      timeout: 2h
  - id: converted
    if: steps.wait_order.output ~= nil
    uses: log
    with: { message: converted }
  - id: after
    uses: test.act
    with: { order: "${{ steps.wait_order.output }}" }
)");
  }
};

TEST_P(EngineTest, WaitForTimesOutWithNilOnTheVirtualClock) {
  LoadWaiter();
  const auto id = Start("waiter", {{"token", "c1"}});
  DriveUntilStatus(id, RunStatus::kWaiting);
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  EXPECT_EQ(clock_->Now(), kT0 + 2 * 3600 * 1000);
  EXPECT_TRUE(Steps(id)["wait_order"].output.is_null());
  EXPECT_EQ(Steps(id)["converted"].status, StepStatus::kSkipped);  // output is nil
  EXPECT_TRUE(action_->calls().at(0).input["order"].is_null());
}

TEST_P(EngineTest, WaitForMatchesAnEventPublishedAfterwards) {
  LoadWaiter();
  const auto id = Start("waiter", {{"token", "c1"}});
  DriveUntilStatus(id, RunStatus::kWaiting);
  clock_->AdvanceTo(kT0 + 60'000);
  ASSERT_TRUE(Publish("order", {{"cart_token", "other"}, {"n", 1}}).ok());
  ASSERT_TRUE(Publish("order", {{"cart_token", "c1"}, {"status", "voided"}, {"n", 2}}).ok());
  EXPECT_EQ(GetRun(id).status, RunStatus::kReady);  // woken by key, then filtered by where
  ASSERT_TRUE(engine_->RunDueOnce().ok());
  EXPECT_EQ(GetRun(id).status, RunStatus::kWaiting);
  auto published = Publish("order", {{"cart_token", "c1"}, {"status", "paid"}, {"n", 3}});
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->woken, std::vector<std::int64_t>{id});
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  EXPECT_EQ(clock_->Now(), kT0 + 60'000);  // did not wait for the timeout
  EXPECT_EQ(Steps(id)["wait_order"].output["n"], 3);
  EXPECT_EQ(Steps(id)["converted"].status, StepStatus::kCompleted);
}

// A wait's key that fails on a payload must not drop the event silently: it is
// counted and logged (with where the key is written), the event is stored, and
// the waits it cannot name keep waiting for an event they can.
TEST_P(EngineTest, AWaitKeyThatFailsOnAnEventIsLoggedAndCountedAndTheEventKept) {
  Load(R"(workflow: nested-waiter
on: [{event: cart}]
key: event.token
steps:
  - id: wait_order
    wait_for:
      event: order
      key: event.cart.token
      timeout: 2h
)");
  const auto id = Start("nested-waiter", {{"token", "c1"}});
  DriveUntilStatus(id, RunStatus::kWaiting);
  const double before = metrics::Registry::Default().Value("storeflow_wait_key_errors_total",
                                                           {{"workflow", "nested-waiter"}});
  auto bad = Publish("order", {{"n", 1}});  // no `cart`: event.cart.token raises
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  ASSERT_TRUE(bad->event_id.has_value());  // stored, not lost
  EXPECT_TRUE(bad->woken.empty());
  EXPECT_EQ(metrics::Registry::Default().Value("storeflow_wait_key_errors_total",
                                               {{"workflow", "nested-waiter"}}),
            before + 1);
  bool logged = false;
  for (const std::string& line : logs_) {
    if (line.rfind("warn: event " + std::to_string(*bad->event_id), 0) == 0 &&
        line.find("nested-waiter") != std::string::npos &&
        line.find("test.yaml:8") != std::string::npos) {
      logged = true;
    }
  }
  EXPECT_TRUE(logged) << ::testing::PrintToString(logs_);
  auto good = Publish("order", {{"cart", {{"token", "c1"}}}, {"n", 2}});
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->woken, std::vector<std::int64_t>{id});
  Finish(id);
  EXPECT_EQ(Steps(id)["wait_order"].output["n"], 2);
}

// A key over the Lua time limit (the limit can trip on a loaded machine) fails
// the publish, so its sender retries, instead of leaving the event unmatched.
TEST_P(EngineTest, AWaitKeyOverTheTimeLimitFailsThePublishInsteadOfSkippingTheWait) {
  options_.lua.time_per_call = std::chrono::milliseconds(40);
  NewEngine();
  Load(R"yaml(workflow: slow-waiter
on: [{event: cart}]
key: event.token
steps:
  - id: wait_order
    wait_for:
      event: order
      key: "(function() while event.spin do end return event.cart_token end)()"
      timeout: 2h
)yaml");
  const auto id = Start("slow-waiter", {{"token", "c1"}});
  DriveUntilStatus(id, RunStatus::kWaiting);
  auto slow = Publish("order", {{"cart_token", "c1"}, {"spin", true}});
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().code(), StatusCode::kDeadlineExceeded) << slow.status().ToString();
  EXPECT_NE(slow.status().message().find("slow-waiter"), std::string::npos)
      << slow.status().ToString();
  EXPECT_EQ(GetRun(id).status, RunStatus::kWaiting);
  auto quick = Publish("order", {{"cart_token", "c1"}, {"spin", false}});
  ASSERT_TRUE(quick.ok()) << quick.status().ToString();
  EXPECT_EQ(quick->woken, std::vector<std::int64_t>{id});
}

// A step whose expression runs over the Lua time limit is tried once more at
// once (a loaded machine can deschedule a call past the limit); a loop that
// never ends fails the second time, and the action is never called.
TEST_P(EngineTest, AStepOverTheLuaTimeLimitIsTriedOnceMoreThenFails) {
  options_.lua.time_per_call = std::chrono::milliseconds(40);
  NewEngine();
  Load(R"yaml(workflow: spinner
on: [{event: go}]
steps:
  - id: spin
    if: "(function() while event.spin do end return true end)()"
    uses: test.act
    with: { n: 1 }
)yaml");
  const double before = metrics::Registry::Default().Value("storeflow_lua_time_limit_retries_total",
                                                           {{"workflow", "spinner"}});
  const auto id = Start("spinner", {{"spin", true}});
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_NE(run.error.dump().find("time limit of 40 ms exceeded"), std::string::npos)
      << run.error.dump();
  EXPECT_EQ(metrics::Registry::Default().Value("storeflow_lua_time_limit_retries_total",
                                               {{"workflow", "spinner"}}),
            before + 1);
  EXPECT_TRUE(action_->calls().empty());
}

TEST_P(EngineTest, WaitForFindsAnEventThatArrivedShortlyBefore) {
  LoadWaiter();
  ASSERT_TRUE(Publish("order", {{"cart_token", "c2"}, {"n", 9}}).ok());
  clock_->AdvanceTo(kT0 + 10'000);
  const auto id = Start("waiter", {{"token", "c2"}});
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  EXPECT_EQ(clock_->Now(), kT0 + 10'000);
  EXPECT_EQ(Steps(id)["wait_order"].output["n"], 9);
}

TEST_P(EngineTest, AnEventThatMissedItsWakeUpIsFoundAtTheRecheck) {
  LoadWaiter();
  const auto id = Start("waiter", {{"token", "c5"}});
  DriveUntilStatus(id, RunStatus::kWaiting);
  EXPECT_EQ(*GetRun(id).due_at, kT0 + 2'000);
  // An event committed while the wait was being registered: indexed, never woke it.
  const auto* step = engine_->catalog().Current("waiter")->workflow->FindStep("wait_order");
  const auto& wait = std::get<workflow::WaitForStep>(step->kind);
  {
    auto tx = Begin();
    store::EventRow event;
    event.topic = "order";
    event.source = "test";
    event.payload = {{"cart_token", "c5"}, {"n", 4}};
    event.created_at = kT0;
    auto eid = tx->InsertEvent(event);
    ASSERT_TRUE(eid.ok() && eid->has_value());
    ASSERT_TRUE(tx->InsertEventKeys(**eid, "order", {{ExpressionId(&*wait.key), "c5"}}, kT0).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kCompleted);
  EXPECT_EQ(clock_->Now(), kT0 + 2'000);
  EXPECT_EQ(Steps(id)["wait_order"].output["n"], 4);
}

TEST_P(EngineTest, WaitForIgnoresEventsOlderThanTheLookBack) {
  options_.executor.wait_lookback = Duration(5'000);
  NewEngine();
  LoadWaiter();
  ASSERT_TRUE(Publish("order", {{"cart_token", "c3"}}).ok());
  clock_->AdvanceTo(kT0 + 10'000);
  const auto id = Start("waiter", {{"token", "c3"}});
  Finish(id);
  EXPECT_TRUE(Steps(id)["wait_order"].output.is_null());
}

TEST_P(EngineTest, EmitStartsRunsOfEventTriggersAndWakesWaits) {
  LoadWaiter();
  Load(R"(workflow: emitter
on: [{event: kick}]
steps:
  - id: announce
    emit: { event: order, data: { cart_token: "${{ event.token }}", n: 5 } }
  - id: start
    emit: { event: cart, data: { token: other } }
)");
  const auto waiting = Start("waiter", {{"token", "c9"}});
  DriveUntilStatus(waiting, RunStatus::kWaiting);
  auto published = Publish("kick", {{"token", "c9"}});
  ASSERT_TRUE(published.ok());
  ASSERT_EQ(published->runs.size(), 1u);
  const auto emitter = published->runs[0];
  Finish(std::vector<std::int64_t>{emitter, waiting});
  EXPECT_EQ(GetRun(emitter).status, RunStatus::kCompleted);
  EXPECT_EQ(GetRun(waiting).status, RunStatus::kCompleted);
  EXPECT_EQ(Steps(waiting)["wait_order"].output["n"], 5);
  const auto started = Steps(emitter)["start"].output["runs"];
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(GetRun(started[0].get<std::int64_t>()).key, "other");
}

TEST_P(EngineTest, PerKeyQueueRunsInArrivalOrder) {
  Load(R"(workflow: fifo
on: [{event: e}]
key: event.k
concurrency: { per_key: 1, on_new: queue }
steps:
  - id: work
    uses: test.act
    with: { n: "${{ event.n }}" }
  - id: nap
    sleep: 1m
)");
  std::vector<std::int64_t> ids;
  for (int n = 1; n <= 3; ++n) ids.push_back(Start("fifo", {{"k", "same"}, {"n", n}}));
  const auto other = Start("fifo", {{"k", "different"}, {"n", 99}});
  EXPECT_EQ(GetRun(ids[0]).status, RunStatus::kReady);
  EXPECT_EQ(GetRun(ids[1]).status, RunStatus::kQueued);
  EXPECT_EQ(GetRun(ids[2]).status, RunStatus::kQueued);
  EXPECT_EQ(GetRun(other).status, RunStatus::kReady);
  ids.push_back(other);
  Finish(ids);
  std::vector<int> order;
  for (const auto& c : action_->calls()) {
    if (c.input["n"] != 99) order.push_back(c.input["n"].get<int>());
  }
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_LT(*GetRun(ids[0]).finished_at, *GetRun(ids[1]).finished_at);
  EXPECT_LT(*GetRun(ids[1]).finished_at, *GetRun(ids[2]).finished_at);
  EXPECT_EQ(*GetRun(other).finished_at, kT0 + 60'000);  // not held back by the other key
}

TEST_P(EngineTest, ReplaceCancelsTheActiveRunOfTheKey) {
  Load(R"(workflow: debounce
on: [{event: e}]
key: event.k
concurrency: { per_key: 1, on_new: replace }
steps:
  - id: nap
    sleep: 10m
  - id: work
    uses: test.act
    with: { n: "${{ event.n }}" }
)");
  const auto first = Start("debounce", {{"k", "a"}, {"n", 1}});
  DriveUntilStatus(first, RunStatus::kSleeping);
  const auto second = Start("debounce", {{"k", "a"}, {"n", 2}});
  EXPECT_EQ(GetRun(first).status, RunStatus::kCancelled);
  EXPECT_EQ(Finish(second).status, RunStatus::kCompleted);
  auto calls = action_->calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].input["n"], 2);
}

TEST_P(EngineTest, ReplaceWhileAWorkerHoldsTheLeaseLosesTheLease) {
  Load(R"(workflow: debounce2
on: [{event: e}]
key: event.k
concurrency: { per_key: 1, on_new: replace }
steps:
  - id: work
    uses: test.act
)");
  const auto first = Start("debounce2", {{"k", "a"}});
  auto claimed = store_->ClaimDueRuns(engine_->owner(), kT0, kT0 + 30'000, 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  const auto second = Start("debounce2", {{"k", "a"}});
  // The worker advances the run it claimed before the replace: its commit is refused.
  EventRouter router(engine_->catalog());
  RunExecutor executor(*store_, engine_->catalog(), router, actions_, *clock_,
                       ExecutorOptions{.owner = engine_->owner()});
  script::Sandbox sandbox;
  auto outcome = executor.Advance((*claimed)[0], sandbox);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->lost_lease);
  EXPECT_EQ(GetRun(first).status, RunStatus::kCancelled);
  EXPECT_TRUE(Steps(first).empty());
  EXPECT_EQ(Finish(second).status, RunStatus::kCompleted);
}

TEST_P(EngineTest, SkipDropsANewRunWhileOneIsActive) {
  Load(R"(workflow: skipper
on: [{event: e}]
key: event.k
concurrency: { per_key: 1, on_new: skip }
steps:
  - id: nap
    sleep: 1m
)");
  const auto first = Start("skipper", {{"k", "a"}});
  const auto second = Start("skipper", {{"k", "a"}});
  EXPECT_EQ(GetRun(second).status, RunStatus::kSkipped);
  EXPECT_EQ(Finish(first).status, RunStatus::kCompleted);
  const auto third = Start("skipper", {{"k", "a"}});
  EXPECT_EQ(GetRun(third).status, RunStatus::kReady);
}

TEST_P(EngineTest, DedupeDropsRepeatsUntilTheTtlExpires) {
  Load(R"(workflow: deduped
on: [{event: e}]
dedupe: event.id
dedupe_ttl: 1h
steps:
  - id: work
    uses: test.act
)");
  auto first = Publish("e", {{"id", "x1"}});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->runs.size(), 1u);
  EXPECT_EQ(GetRun(first->runs[0]).status, RunStatus::kReady);
  auto repeat = Publish("e", {{"id", "x1"}});
  ASSERT_TRUE(repeat.ok());
  ASSERT_EQ(repeat->runs.size(), 1u);
  EXPECT_EQ(GetRun(repeat->runs[0]).status, RunStatus::kSkipped);
  auto other = Publish("e", {{"id", "x2"}});
  EXPECT_EQ(GetRun(other->runs[0]).status, RunStatus::kReady);
  clock_->AdvanceTo(kT0 + 3600 * 1000 + 1);
  auto later = Publish("e", {{"id", "x1"}});
  EXPECT_EQ(GetRun(later->runs[0]).status, RunStatus::kReady);
}

TEST_P(EngineTest, DedupeTtlDefaultsTo24Hours) {
  Load(R"(workflow: deduped24
on: [{event: e}]
dedupe: event.id
steps:
  - id: work
    uses: test.act
)");
  EXPECT_EQ(GetRun(Publish("e", {{"id", "a"}})->runs[0]).status, RunStatus::kReady);
  clock_->AdvanceTo(kT0 + 23 * 3600 * 1000);
  EXPECT_EQ(GetRun(Publish("e", {{"id", "a"}})->runs[0]).status, RunStatus::kSkipped);
  clock_->AdvanceTo(kT0 + 24 * 3600 * 1000 + 1);
  EXPECT_EQ(GetRun(Publish("e", {{"id", "a"}})->runs[0]).status, RunStatus::kReady);
}

TEST_P(EngineTest, ARunKeepsItsVersionAfterTheWorkflowChanges) {
  const auto v1 = Load(R"(workflow: pinned
version: 1
on: [{event: e}]
steps:
  - id: nap
    sleep: 1h
  - id: old_step
    uses: test.act
)");
  const auto old_run = Start("pinned");
  DriveUntilStatus(old_run, RunStatus::kSleeping);
  const auto v2 = Load(R"(workflow: pinned
version: 2
on: [{event: e}]
steps:
  - id: nap
    sleep: 1h
  - id: new_step
    uses: test.act
)");
  ASSERT_NE(v1->hash, v2->hash);
  const auto new_run = Start("pinned");
  EXPECT_EQ(GetRun(old_run).version_hash, v1->hash);
  EXPECT_EQ(GetRun(new_run).version_hash, v2->hash);
  NewEngine();  // and after a restart, from the stored definition
  Load(v2->source);
  Finish(std::vector<std::int64_t>{old_run, new_run});
  EXPECT_EQ(action_->count("old_step"), 1);
  EXPECT_EQ(action_->count("new_step"), 1);
  EXPECT_EQ(Steps(old_run).count("old_step"), 1u);
  EXPECT_EQ(Steps(new_run).count("new_step"), 1u);
}

TEST_P(EngineTest, StorePatchIncrementsExactlyOnceDespiteRetriesAndRestarts) {
  options_.executor.max_steps_per_claim = 1;
  NewEngine();
  Load(R"(workflow: counter
on: [{event: e}]
steps:
  - id: bump
    uses: store.patch
    with: { collection: counters, key: "${{ run.id }}", inc: { n: 1 }, set: { seen: true } }
  - id: flaky
    uses: test.act
    retry: { attempts: 3, backoff: constant, delay: 1s }
)");
  action_->set_script([](const Json&, const ActionContext& c, int) -> ActionResult {
    if (c.attempt < 3) return ActionError::Retryable("busy", "again");
    return Json("ok");
  });
  const auto id = Start("counter");
  ASSERT_TRUE(engine_->RunDueOnce().ok());
  NewEngine();  // "crash" after the first step committed
  {
    const auto finished = Finish(id);
    EXPECT_EQ(finished.status, RunStatus::kCompleted) << finished.error.dump();
  }
  auto record = Record("counters", std::to_string(id));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ((*record)["n"], 1);
  EXPECT_EQ((*record)["seen"], true);
}

// A transactional action whose attempt fails after writing: the write is rolled back.
class WriteThenFail final : public Action {
 public:
  std::string_view name() const override { return "test.write_then_fail"; }
  bool transactional() const override { return true; }
  ActionResult Invoke(const Json&, const ActionContext& c) override {
    auto row = c.tx->GetRecord("tx", "k");
    std::int64_t n = row.ok() && row->has_value() ? (*row)->value.value("n", 0) : 0;
    (void)c.tx->PutRecord("tx", "k", {{"n", n + 1}}, c.now);
    if (c.attempt < 3) return ActionError::Retryable("later", "after writing");
    return Json{{"n", n + 1}};
  }
};

TEST_P(EngineTest, TransactionalWritesOfAFailedAttemptAreRolledBack) {
  ASSERT_TRUE(actions_.Register(std::make_shared<WriteThenFail>()).ok());
  Load(R"(workflow: txw
on: [{event: e}]
steps:
  - id: write
    uses: test.write_then_fail
    retry: { attempts: 3, backoff: constant, delay: 1s }
)");
  const auto id = Start("txw");
  {
    const auto finished = Finish(id);
    EXPECT_EQ(finished.status, RunStatus::kCompleted) << finished.error.dump();
  }
  EXPECT_EQ((*Record("tx", "k"))["n"], 1);
}

TEST_P(EngineTest, WorkerThreadsDriveRunsOnTheVirtualClock) {
  options_.workers = 3;
  NewEngine();
  Load(R"(workflow: threaded
on: [{event: e}]
steps:
  - id: nap
    sleep: 2h
  - id: bump
    uses: store.patch
    with: { collection: threaded, key: all, inc: { n: 1 } }
)");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(Start("threaded"));
  engine_->Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool all = false;
  while (!all && std::chrono::steady_clock::now() < deadline) {
    all = true;
    for (auto id : ids) all = all && IsEnded(id);
    if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  engine_->Stop();
  ASSERT_TRUE(all);
  EXPECT_EQ((*Record("threaded", "all"))["n"], 20);
  EXPECT_GE(clock_->Now(), kT0 + 2 * 3600 * 1000);
}

TEST_P(EngineTest, AWakeUpMakesOneIdleWorkerClaimNotEveryWorker) {
  // The gate works on the real clock only (a virtual clock's workers never sleep long).
  SystemClock real;
  EngineOptions options = options_;
  options.workers = 8;
  Engine engine(*store_, real, actions_, options);
  ASSERT_TRUE(engine
                  .LoadWorkflowSource(R"(workflow: woken
on: [{event: go}]
steps:
  - id: only
    uses: log
    with: { message: "woken" }
)",
                                      "woken.yaml")
                  .ok());
  auto& registry = metrics::Registry::Default();
  engine.Start();
  // Let every worker make its first claim and fall asleep.
  double settled = -1;
  for (int i = 0; i < 100 && registry.Value("storeflow_claims_empty_total") != settled; ++i) {
    settled = registry.Value("storeflow_claims_empty_total");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double before = registry.Value("storeflow_claims_empty_total");
  constexpr int kRuns = 20;
  for (int n = 0; n < kRuns; ++n) {
    auto run = engine.StartRun("woken", Json::object());  // commits, then wakes the workers
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!IsEnded(run->id) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(IsEnded(run->id)) << "run " << run->id;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // everyone back asleep
  }
  const double empty = registry.Value("storeflow_claims_empty_total") - before;
  engine.Stop();
  // Each wake-up: the claimer takes the run, and its next claim comes back empty.
  // Were every woken worker to claim, each run would cost at least 8 empty claims
  // (7 workers finding nothing, and the claimer's next claim).
  EXPECT_GE(empty, kRuns);
  EXPECT_LT(empty, 4 * kRuns);
}

TEST_P(EngineTest, ClaimsGrowThroughABacklogAndShrinkWhenItIsGone) {
  options_.claim_batch = 4;
  options_.max_claim_batch = 16;
  NewEngine();
  Load(R"(workflow: backlog
on: [{event: go}]
steps:
  - id: only
    uses: log
    with: { message: "n=${{ event.n }}" }
)");
  auto& registry = metrics::Registry::Default();
  std::vector<std::int64_t> ids;
  for (int n = 0; n < 60; ++n) ids.push_back(Start("backlog", {{"n", n}}));
  const double before = registry.Value("storeflow_claim_size");
  Finish(ids);
  for (auto id : ids) EXPECT_EQ(GetRun(id).status, store::RunStatus::kCompleted) << id;
  // 4 + 8 + 16 + 16 + 16: five claims; at a fixed 4 per claim it would take 15.
  EXPECT_EQ(registry.Value("storeflow_claim_size") - before, 5);

  // A claim that comes back short (6 of 16) makes the next one small again.
  for (int n = 0; n < 6; ++n) Start("backlog", {{"n", n}});
  auto advanced = engine_->RunDueOnce();
  ASSERT_TRUE(advanced.ok()) << advanced.status().ToString();
  EXPECT_EQ(*advanced, 6);
  for (int n = 0; n < 10; ++n) Start("backlog", {{"n", n}});
  advanced = engine_->RunDueOnce();
  ASSERT_TRUE(advanced.ok()) << advanced.status().ToString();
  EXPECT_EQ(*advanced, 4);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(EngineTest);

// concurrency.on_failure: a dead letter holds its key (hold) or frees it (release).
class KeyHoldTest : public RuntimeTest {
 protected:
  // A workflow whose only step fails permanently for the numbers in `broken_`.
  void LoadSync(const std::string& on_failure) {
    Load(R"(workflow: sync
on: [{event: e}]
key: event.k
concurrency: { per_key: 1, on_new: queue, on_failure: )" +
         on_failure + R"( }
steps:
  - id: apply
    uses: test.act
    with: { n: "${{ event.n }}" }
)");
    action_->set_script([this](const Json& input, const ActionContext&, int) -> ActionResult {
      if (broken_.count(input["n"].get<int>()) != 0) {
        return ActionError::Permanent("down", "peer down");
      }
      return Json{{"n", input["n"]}};
    });
  }

  std::set<int> broken_;
};

TEST_P(KeyHoldTest, HoldKeepsLaterRunsOfTheKeyQueuedUntilTheRetrySucceeds) {
  LoadSync("hold");
  broken_ = {1};
  const auto first = Start("sync", {{"k", "p1"}, {"n", 1}});
  EXPECT_EQ(Finish(first).status, RunStatus::kFailed);
  const auto second = Start("sync", {{"k", "p1"}, {"n", 2}});
  const auto other = Start("sync", {{"k", "p2"}, {"n", 9}});
  EXPECT_EQ(GetRun(second).status, RunStatus::kQueued);    // held behind the dead letter
  EXPECT_EQ(Finish(other).status, RunStatus::kCompleted);  // other keys go on
  EXPECT_EQ(GetRun(second).status, RunStatus::kQueued);
  broken_.clear();
  ASSERT_TRUE(RetryDeadLetter(*store_, first, clock_->Now()).ok());
  EXPECT_EQ(GetRun(second).status, RunStatus::kQueued);  // the retried run holds it still
  Finish({first, second});
  EXPECT_EQ(GetRun(first).status, RunStatus::kCompleted);
  EXPECT_EQ(GetRun(second).status, RunStatus::kCompleted);
  std::vector<int> order;
  for (const auto& c : action_->calls()) order.push_back(c.input["n"]);
  EXPECT_EQ(order, (std::vector<int>{1, 9, 1, 2}));  // 1 failed, 9 other key, then 1 before 2
  const Json dl = GetRun(first).state["dead_letter"];
  EXPECT_EQ(dl["resolution"], "retried");
  EXPECT_EQ(dl["resolved_by"], "operator");
  EXPECT_EQ(dl["retries"], 1);
  EXPECT_EQ(dl["last_error"]["code"], "down");
}

TEST_P(KeyHoldTest, AFailedRetryHoldsTheKeyAgainAndDiscardReleasesIt) {
  LoadSync("hold");
  broken_ = {1};
  const auto first = Start("sync", {{"k", "p1"}, {"n", 1}});
  EXPECT_EQ(Finish(first).status, RunStatus::kFailed);
  const auto second = Start("sync", {{"k", "p1"}, {"n", 2}});
  const auto third = Start("sync", {{"k", "p1"}, {"n", 3}});
  ASSERT_TRUE(RetryDeadLetter(*store_, first, clock_->Now()).ok());
  EXPECT_EQ(Finish(first).status, RunStatus::kFailed);  // still broken: held again
  EXPECT_EQ(GetRun(second).status, RunStatus::kQueued);
  EXPECT_TRUE(GetRun(first).state["dead_letter"]["resolution"].is_null());
  ASSERT_TRUE(DiscardDeadLetter(*store_, first, clock_->Now()).ok());
  EXPECT_EQ(GetRun(first).state["dead_letter"]["resolution"], "discarded");
  EXPECT_EQ(GetRun(second).status, RunStatus::kReady);
  EXPECT_EQ(GetRun(third).status, RunStatus::kQueued);  // per_key 1: one at a time, in order
  Finish({second, third});
  std::vector<int> order;
  for (const auto& c : action_->calls()) order.push_back(c.input["n"]);
  EXPECT_EQ(order, (std::vector<int>{1, 1, 2, 3}));
}

TEST_P(KeyHoldTest, ReleaseLetsTheNextRunOvertakeTheDeadLetter) {
  LoadSync("release");
  broken_ = {1};
  const auto first = Start("sync", {{"k", "p1"}, {"n", 1}});
  const auto second = Start("sync", {{"k", "p1"}, {"n", 2}});
  EXPECT_EQ(GetRun(second).status, RunStatus::kQueued);  // FIFO while the first runs
  Finish({first, second});
  EXPECT_EQ(GetRun(first).status, RunStatus::kFailed);
  EXPECT_EQ(GetRun(second).status, RunStatus::kCompleted);  // released by the failure
  const auto third = Start("sync", {{"k", "p1"}, {"n", 3}});
  EXPECT_EQ(GetRun(third).status, RunStatus::kReady);  // the dead letter does not hold it
  Finish(third);
}

TEST_P(KeyHoldTest, HeldDeadLetterFreedWithoutReleaseLetsQueuedRunsGoFirst) {
  LoadSync("hold");
  broken_ = {1};
  const auto first = Start("sync", {{"k", "p1"}, {"n", 1}});
  EXPECT_EQ(Finish(first).status, RunStatus::kFailed);
  const auto second = Start("sync", {{"k", "p1"}, {"n", 2}});
  EXPECT_EQ(GetRun(second).status, RunStatus::kQueued);
  // Retention deletes the dead letter (no release): the next admission of the
  // key starts the queued run first and queues itself behind it.
  {
    auto tx = Begin();
    auto purged = tx->PurgeRuns({RunStatus::kFailed}, clock_->Now() + 1, 10);
    ASSERT_TRUE(purged.ok());
    ASSERT_EQ(*purged, 1);
    ASSERT_TRUE(tx->Commit().ok());
  }
  const auto third = Start("sync", {{"k", "p1"}, {"n", 3}});
  EXPECT_EQ(GetRun(second).status, RunStatus::kReady);
  EXPECT_EQ(GetRun(third).status, RunStatus::kQueued);
  Finish({second, third});
  std::vector<int> order;
  for (const auto& c : action_->calls()) order.push_back(c.input["n"]);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST_P(KeyHoldTest, AnInvalidPayloadCanBeADeadLetterThatHoldsItsKey) {
  Load(R"(workflow: strict
on: [{event: e}]
input:
  schema: { type: object, required: [n], properties: { n: { type: integer } } }
  on_invalid: dead_letter
key: event.k
concurrency: { on_failure: hold }
steps:
  - id: apply
    uses: test.act
    with: { n: "${{ event.n }}" }
)");
  const auto bad = Start("strict", {{"k", "p1"}, {"n", "x"}});
  const auto run = GetRun(bad);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error["code"], "invalid_input");
  EXPECT_EQ(run.error["violations"][0]["path"], "$.n");
  EXPECT_EQ(run.error["retryable"], false);
  EXPECT_EQ(run.key, "p1");
  const auto next = Start("strict", {{"k", "p1"}, {"n", 2}});
  EXPECT_EQ(GetRun(next).status, RunStatus::kQueued);
  ASSERT_TRUE(DiscardDeadLetter(*store_, bad, clock_->Now()).ok());
  EXPECT_EQ(Finish(next).status, RunStatus::kCompleted);
  EXPECT_EQ(action_->calls().size(), 1u);  // the invalid payload was never applied
}

STOREFLOW_INSTANTIATE_STORE_TESTS(KeyHoldTest);

}  // namespace
}  // namespace storeflow::runtime::testing
