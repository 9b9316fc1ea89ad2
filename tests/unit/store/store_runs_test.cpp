// Contract: runs, claiming and leases, steps, waits — on both backends.

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

class StoreRunsTest : public StoreTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(StoreRunsTest);

TEST_P(StoreRunsTest, InsertedRunReadsBackWithEveryField) {
  RunRow run = MakeRun("orders", kT0 + 5, RunStatus::kSleeping, "cart-1");
  run.input = {{"order", {{"id", 1}}}};
  run.output = {{"ok", true}};
  run.error = {{"step", "pay"}, {"message", "declined"}};
  run.state = {{"cursor", 3}};
  run.event_id = 42;
  run.lease_owner = "engine-a";
  run.lease_until = kT0 + 100;
  run.updated_at = kT0 + 1;
  run.finished_at = kT0 + 2;
  const std::int64_t id = InsertRun(run);
  ASSERT_GT(id, 0);

  const RunRow got = GetRun(id);
  EXPECT_EQ(got.id, id);
  EXPECT_EQ(got.workflow, "orders");
  EXPECT_EQ(got.version_hash, "hash-orders");
  EXPECT_EQ(got.key, "cart-1");
  EXPECT_EQ(got.status, RunStatus::kSleeping);
  EXPECT_EQ(got.input, run.input);
  EXPECT_EQ(got.output, run.output);
  EXPECT_EQ(got.error, run.error);
  EXPECT_EQ(got.state, run.state);
  EXPECT_EQ(got.event_id, 42);
  EXPECT_EQ(got.due_at, kT0 + 5);
  EXPECT_EQ(got.lease_owner, "engine-a");
  EXPECT_EQ(got.lease_until, kT0 + 100);
  EXPECT_EQ(got.created_at, kT0);
  EXPECT_EQ(got.updated_at, kT0 + 1);
  EXPECT_EQ(got.finished_at, kT0 + 2);

  // Nulls stay null.
  const RunRow bare = GetRun(InsertRun(MakeRun("orders", std::nullopt)));
  EXPECT_FALSE(bare.key.has_value());
  EXPECT_TRUE(bare.output.is_null());
  EXPECT_TRUE(bare.error.is_null());
  EXPECT_FALSE(bare.event_id.has_value());
  EXPECT_FALSE(bare.due_at.has_value());
  EXPECT_FALSE(bare.lease_owner.has_value());
  EXPECT_FALSE(bare.finished_at.has_value());

  auto tx = Begin();
  auto missing = tx->GetRun(id + 1000);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StoreRunsTest, ListRunsFiltersAndPagesNewestFirst) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(InsertRun(MakeRun(i % 2 == 0 ? "a" : "b", std::nullopt,
                                    i < 3 ? RunStatus::kCompleted : RunStatus::kFailed,
                                    "k" + std::to_string(i % 3), kT0 + i * 10)));
  }
  auto tx = Begin();
  auto list = [&](RunFilter f) {
    auto rows = tx->ListRuns(f);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::int64_t> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out.push_back(r.id);
    }
    return out;
  };
  EXPECT_EQ(list({}), (std::vector<std::int64_t>{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}));
  EXPECT_EQ(list({.workflow = "a"}), (std::vector<std::int64_t>{ids[4], ids[2], ids[0]}));
  EXPECT_EQ(list({.status = RunStatus::kFailed}),
            (std::vector<std::int64_t>{ids[5], ids[4], ids[3]}));
  EXPECT_EQ(list({.workflow = "b", .status = RunStatus::kFailed}),
            (std::vector<std::int64_t>{ids[5], ids[3]}));
  EXPECT_EQ(list({.key = "k1"}), (std::vector<std::int64_t>{ids[4], ids[1]}));
  EXPECT_EQ(list({.created_from = kT0 + 10, .created_until = kT0 + 40}),
            (std::vector<std::int64_t>{ids[3], ids[2], ids[1]}));
  EXPECT_EQ(list({.limit = 2}), (std::vector<std::int64_t>{ids[5], ids[4]}));
  EXPECT_EQ(list({.before_id = ids[4], .limit = 2}), (std::vector<std::int64_t>{ids[3], ids[2]}));
  EXPECT_EQ(list({.before_id = ids[0]}), std::vector<std::int64_t>{});

  auto bad = tx->ListRuns({.limit = 0});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreRunsTest, ActiveRunsForKeyAreTheNonTerminalOnesOldestFirst) {
  const auto done = InsertRun(MakeRun("w", std::nullopt, RunStatus::kCompleted, "k"));
  const auto queued = InsertRun(MakeRun("w", std::nullopt, RunStatus::kQueued, "k"));
  const auto waiting = InsertRun(MakeRun("w", kT0, RunStatus::kWaiting, "k"));
  InsertRun(MakeRun("w", kT0, RunStatus::kReady, "other"));
  InsertRun(MakeRun("v", kT0, RunStatus::kReady, "k"));
  const auto failed = InsertRun(MakeRun("w", std::nullopt, RunStatus::kFailed, "k"));
  InsertRun(MakeRun("w", std::nullopt, RunStatus::kCancelled, "k"));
  auto tx = Begin();
  auto active = tx->ActiveRunsForKey("w", "k", false);
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  ASSERT_EQ(active->size(), 2u);
  EXPECT_EQ((*active)[0].id, queued);
  EXPECT_EQ((*active)[1].id, waiting);
  // With the dead letters that hold the key (concurrency.on_failure: hold).
  auto holding = tx->ActiveRunsForKey("w", "k", true);
  ASSERT_TRUE(holding.ok()) << holding.status().ToString();
  ASSERT_EQ(holding->size(), 3u);
  EXPECT_EQ((*holding)[2].id, failed);
  (void)done;
}

// Admission of a new run and release of a finished one both read the key's
// active runs and then write. If the two transactions interleaved, each would
// miss the other's uncommitted row and a queued run would wait forever; the
// second reader must see what the first one committed.
TEST_P(StoreRunsTest, ActiveRunsForKeyWaitsForAConcurrentTransactionOnTheSameKey) {
  auto first = Begin();
  auto seen_first = first->ActiveRunsForKey("w", "k", false);
  ASSERT_TRUE(seen_first.ok()) << seen_first.status().ToString();
  EXPECT_TRUE(seen_first->empty());

  std::atomic<bool> second_read_done{false};
  Result<std::vector<RunRow>> seen_second = std::vector<RunRow>{};
  std::thread second([&] {
    auto tx = store_->Begin();
    if (!tx.ok()) {
      seen_second = tx.status();
    } else {
      seen_second = (*tx)->ActiveRunsForKey("w", "k", false);
    }
    second_read_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(second_read_done.load()) << "the second transaction read the key while the first "
                                           "one held it";
  auto inserted = first->InsertRun(MakeRun("w", std::nullopt, RunStatus::kQueued, "k"));
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
  ASSERT_TRUE(first->Commit().ok());
  second.join();
  ASSERT_TRUE(seen_second.ok()) << seen_second.status().ToString();
  ASSERT_EQ(seen_second->size(), 1u);
  EXPECT_EQ(seen_second->front().id, *inserted);
}

TEST_P(StoreRunsTest, RollbackToSavepointUndoesOnlyWhatFollowedIt) {
  auto tx = Begin();
  auto kept = tx->InsertRun(MakeRun("w", kT0));
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(tx->Savepoint().ok());
  auto undone = tx->InsertRun(MakeRun("w", kT0));
  ASSERT_TRUE(undone.ok());
  // A failure after the savepoint is undone with it: the transaction commits.
  RunRow missing = MakeRun("w", kT0);
  missing.id = *undone + 1000;
  EXPECT_EQ(tx->UpdateRun(missing, std::nullopt).code(), StatusCode::kNotFound);
  ASSERT_TRUE(tx->RollbackToSavepoint().ok());
  ASSERT_TRUE(tx->Savepoint().ok());  // a newer savepoint, rolled back to at once
  ASSERT_TRUE(tx->RollbackToSavepoint().ok());
  ASSERT_TRUE(tx->Commit().ok());

  auto check = Begin();
  auto got_kept = check->GetRun(*kept);
  auto got_undone = check->GetRun(*undone);
  ASSERT_TRUE(got_kept.ok() && got_undone.ok());
  EXPECT_TRUE(got_kept->has_value());
  EXPECT_FALSE(got_undone->has_value());
}

TEST_P(StoreRunsTest, AClaimInATransactionLocksRunsAndHoldsOnlyWhatIsWrittenWithIt) {
  const std::int64_t due2 = InsertRun(MakeRun("w", kT0 + 2));
  const std::int64_t due1 = InsertRun(MakeRun("w", kT0 + 1));
  RunRow expired_row = MakeRun("w", kT0);
  expired_row.status = RunStatus::kRunning;
  expired_row.lease_owner = "engine-dead";
  expired_row.lease_until = kT0 + 5;
  const std::int64_t expired = InsertRun(expired_row);
  RunRow held_row = expired_row;
  held_row.lease_owner = "engine-b";
  held_row.lease_until = kT0 + 10'000;
  const std::int64_t held = InsertRun(held_row);  // a live lease: not claimable
  const std::int64_t later = InsertRun(MakeRun("w", kT0 + 500));
  const std::int64_t cancelled = InsertRun(MakeRun("w", kT0 + 3));
  (void)held;
  (void)later;

  const TimeMs now = kT0 + 10;
  auto tx = Begin();
  auto claimed = tx->LockDueRuns("engine-a", now, now + 1000, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  std::vector<std::int64_t> ids;
  for (const auto& run : *claimed) {
    ids.push_back(run.id);
    EXPECT_EQ(run.status, RunStatus::kRunning);
    EXPECT_EQ(run.lease_owner, "engine-a");
    EXPECT_EQ(run.lease_until, now + 1000);
  }
  // Due order; the expired lease is taken over, the live one and the future run are not.
  EXPECT_EQ(ids, (std::vector<std::int64_t>{expired, due1, due2, cancelled}));

  // Nothing is written yet: the rows still read as they were. On PostgreSQL they
  // are locked: another engine's claim passes them by.
  if (is_pg()) {
    auto other = OpenAnother();
    ASSERT_NE(other, nullptr);
    EXPECT_EQ(GetRun(due1).lease_owner, std::nullopt);
    auto raced = other->ClaimDueRuns("engine-c", now, now + 1000, 10);
    ASSERT_TRUE(raced.ok()) << raced.status().ToString();
    EXPECT_TRUE(raced->empty()) << raced->size() << " locked runs claimed twice";
  }

  // A `replace` in this transaction cancels one of them: it is not written over.
  RunRow cancel = (*claimed)[3];
  cancel.status = RunStatus::kCancelled;
  cancel.lease_owner.reset();
  cancel.lease_until.reset();
  cancel.due_at.reset();
  ASSERT_TRUE(tx->UpdateRun(cancel, std::nullopt).ok());

  // Written: the expired one (claim only), due1 (a step taken) and the cancelled
  // one; due2 is left unwritten.
  RunRow stepped = (*claimed)[1];
  stepped.state = {{"cursor", 1}};
  std::vector<const RunRow*> rows = {&(*claimed)[0], &stepped, &(*claimed)[3]};
  auto written = tx->UpdateLeasedRuns(rows, "engine-a", Transaction::LeaseCheck::kLockedHere);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  std::vector<std::int64_t> sorted = *written;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> expected = {expired, due1};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(sorted, expected);
  ASSERT_TRUE(tx->Commit().ok());

  for (std::int64_t id : {expired, due1}) {
    const RunRow got = GetRun(id);
    EXPECT_EQ(got.status, RunStatus::kRunning) << id;
    EXPECT_EQ(got.lease_owner, "engine-a") << id;
    EXPECT_EQ(got.lease_until, now + 1000) << id;
  }
  EXPECT_EQ(GetRun(due1).state, (Json{{"cursor", 1}}));
  EXPECT_EQ(GetRun(cancelled).status, RunStatus::kCancelled);
  // The unwritten run was never claimed: the next claim takes it at once.
  const RunRow untouched = GetRun(due2);
  EXPECT_EQ(untouched.status, RunStatus::kReady);
  EXPECT_FALSE(untouched.lease_owner.has_value());
  auto next = store_->ClaimDueRuns("engine-c", now, now + 1000, 10);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ(next->front().id, due2);
}

TEST_P(StoreRunsTest, AClaimInATransactionThatRollsBackClaimsNothing) {
  const std::int64_t id = InsertRun(MakeRun("w", kT0));
  {
    auto tx = Begin();
    auto claimed = tx->LockDueRuns("engine-a", kT0 + 1, kT0 + 1000, 5);
    ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
    ASSERT_EQ(claimed->size(), 1u);
    std::vector<const RunRow*> rows = {&claimed->front()};
    ASSERT_TRUE(tx->UpdateLeasedRuns(rows, "engine-a", Transaction::LeaseCheck::kLockedHere).ok());
  }  // destroyed without a commit: rolled back
  const RunRow got = GetRun(id);
  EXPECT_EQ(got.status, RunStatus::kReady);
  EXPECT_FALSE(got.lease_owner.has_value());
  auto again = store_->ClaimDueRuns("engine-b", kT0 + 1, kT0 + 1000, 5);
  ASSERT_TRUE(again.ok() && again->size() == 1u);
  EXPECT_EQ(again->front().lease_owner, "engine-b");
}

TEST_P(StoreRunsTest, LeasedRunsAreLockedAndUpdatedTogetherOnlyWhileTheLeaseHolds) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(InsertRun(MakeRun("w", kT0)));
  auto claimed = store_->ClaimDueRuns("engine-a", kT0, kT0 + 1000, 10);
  ASSERT_TRUE(claimed.ok() && claimed->size() == 3u);
  // The third run's lease went to another engine.
  {
    RunRow taken = GetRun(ids[2]);
    taken.lease_owner = "engine-b";
    auto tx = Begin();
    ASSERT_TRUE(tx->UpdateRun(taken, std::nullopt).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }

  std::vector<RunRow> rows;
  for (auto id : ids) rows.push_back(GetRun(id));
  auto tx = Begin();
  auto held = tx->LockLeasedRuns("engine-a", ids);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(*held, (std::vector<std::int64_t>{ids[0], ids[1]}));

  for (RunRow& row : rows) {
    const std::int64_t id = row.id;
    row.status = RunStatus::kCompleted;
    row.output = {{"n", id}};
    row.state = {{"frames", Json::array()}};
    row.due_at.reset();
    row.lease_owner.reset();
    row.lease_until.reset();
    row.updated_at = kT0 + 5;
    row.finished_at = kT0 + 5;
  }
  std::vector<const RunRow*> pointers;
  for (const auto& row : rows) pointers.push_back(&row);
  auto updated = tx->UpdateLeasedRuns(pointers, "engine-a", Transaction::LeaseCheck::kOwner);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  std::vector<std::int64_t> written = *updated;
  std::sort(written.begin(), written.end());
  EXPECT_EQ(written, (std::vector<std::int64_t>{ids[0], ids[1]}));

  std::vector<StepRow> steps(2);
  for (int i = 0; i < 2; ++i) {
    steps[i].run_id = ids[i];
    steps[i].step_path = "only";
    steps[i].seq = 1;
    steps[i].status = StepStatus::kCompleted;
    steps[i].attempts = 1;
    steps[i].output = {{"i", i}};
    steps[i].started_at = kT0;
    steps[i].finished_at = kT0 + 5;
  }
  ASSERT_TRUE(tx->UpsertSteps({&steps[0], &steps[1]}).ok());
  steps[1].output = {{"i", "again"}};  // an upsert keeps one row per (run, path)
  ASSERT_TRUE(tx->UpsertSteps({&steps[1]}).ok());
  ASSERT_TRUE(tx->Commit().ok());

  for (int i = 0; i < 2; ++i) {
    const RunRow got = GetRun(ids[i]);
    EXPECT_EQ(got.status, RunStatus::kCompleted);
    EXPECT_EQ(got.output, (Json{{"n", ids[i]}}));
    EXPECT_FALSE(got.lease_owner.has_value());
    EXPECT_EQ(got.finished_at, kT0 + 5);
    auto check = Begin();
    auto listed = check->ListSteps(ids[i]);
    ASSERT_TRUE(listed.ok() && listed->size() == 1u);
    const Json expected = i == 0 ? Json{{"i", 0}} : Json{{"i", "again"}};
    EXPECT_EQ(listed->front().output, expected);
  }
  const RunRow untouched = GetRun(ids[2]);
  EXPECT_EQ(untouched.status, RunStatus::kRunning);
  EXPECT_EQ(untouched.lease_owner, "engine-b");
}

TEST_P(StoreRunsTest, UpdateRunIsConditionalOnTheLease) {
  RunRow run = MakeRun("w", kT0);
  run.id = InsertRun(run);
  auto claimed = store_->ClaimDueRuns("engine-a", kT0, kT0 + 1000, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  ASSERT_EQ(claimed->size(), 1u);
  RunRow mine = claimed->front();

  mine.status = RunStatus::kCompleted;
  mine.output = {{"done", true}};
  mine.due_at.reset();
  mine.lease_owner.reset();
  mine.lease_until.reset();
  mine.finished_at = kT0 + 5;
  {
    auto tx = Begin();
    const Status lost = tx->UpdateRun(mine, std::string("engine-b"));
    EXPECT_EQ(lost.code(), StatusCode::kAborted) << lost.ToString();
    EXPECT_NE(lost.message().find("lease lost"), std::string::npos) << lost.message();
  }
  EXPECT_EQ(GetRun(run.id).status, RunStatus::kRunning);
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->UpdateRun(mine, std::string("engine-a")).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  const RunRow after = GetRun(run.id);
  EXPECT_EQ(after.status, RunStatus::kCompleted);
  EXPECT_EQ(after.output, mine.output);
  EXPECT_FALSE(after.lease_owner.has_value());
  EXPECT_FALSE(after.due_at.has_value());
  EXPECT_EQ(after.finished_at, kT0 + 5);

  // The lease was released: the old owner can't write any more; an unconditional write can.
  {
    auto tx = Begin();
    EXPECT_EQ(tx->UpdateRun(mine, std::string("engine-a")).code(), StatusCode::kAborted);
  }
  {
    auto tx = Begin();
    mine.state = {{"operator", "edit"}};
    EXPECT_TRUE(tx->UpdateRun(mine, std::nullopt).ok());
    RunRow ghost = mine;
    ghost.id = run.id + 1000;
    EXPECT_EQ(tx->UpdateRun(ghost, std::nullopt).code(), StatusCode::kNotFound);
  }
}

TEST_P(StoreRunsTest, ClaimTakesOnlyDueUnleasedRunsInDueOrder) {
  const auto late = InsertRun(MakeRun("w", kT0 - 10));
  const auto early = InsertRun(MakeRun("w", kT0 - 30, RunStatus::kSleeping));
  const auto exact = InsertRun(MakeRun("w", kT0, RunStatus::kWaiting));
  InsertRun(MakeRun("w", kT0 + 1));                           // not due yet
  InsertRun(MakeRun("w", std::nullopt, RunStatus::kQueued));  // not scheduled
  InsertRun(MakeRun("w", kT0 - 50, RunStatus::kCompleted));   // terminal
  RunRow live = MakeRun("w", kT0 - 40, RunStatus::kRunning);  // leased by another engine
  live.lease_owner = "engine-b";
  live.lease_until = kT0 + 500;
  InsertRun(live);
  RunRow expired = MakeRun("w", kT0 - 20, RunStatus::kRunning);  // its engine died
  expired.lease_owner = "engine-dead";
  expired.lease_until = kT0 - 1;
  const auto reclaimed = InsertRun(expired);

  auto first = store_->ClaimDueRuns("engine-a", kT0, kT0 + 1000, 3);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].id, early);
  EXPECT_EQ((*first)[1].id, reclaimed);
  EXPECT_EQ((*first)[2].id, late);
  for (const RunRow& r : *first) {
    EXPECT_EQ(r.status, RunStatus::kRunning);
    EXPECT_EQ(r.lease_owner, "engine-a");
    EXPECT_EQ(r.lease_until, kT0 + 1000);
  }
  auto second = store_->ClaimDueRuns("engine-a", kT0, kT0 + 1000, 10);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].id, exact);
  auto none = store_->ClaimDueRuns("engine-c", kT0, kT0 + 1000, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // Once the leases expire, the runs are claimable again.
  auto again = store_->ClaimDueRuns("engine-c", kT0 + 1001, kT0 + 2000, 10);
  ASSERT_TRUE(again.ok());
  // engine-a's 4, engine-b's (expired now) and the one due at kT0 + 1.
  EXPECT_EQ(again->size(), 6u);
}

TEST_P(StoreRunsTest, ConcurrentClaimersClaimEveryRunExactlyOnce) {
  constexpr int kRuns = 1000;
  constexpr int kClaimers = 4;
  {
    auto tx = Begin();
    for (int i = 0; i < kRuns; ++i) {
      ASSERT_TRUE(tx->InsertRun(MakeRun("w", kT0 - kRuns + i)).ok());
    }
    ASSERT_TRUE(tx->Commit().ok());
  }
  // PostgreSQL: one Store per claimer, as separate engines would have.
  // SQLite: one Store (one process per file), claimers are threads.
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kClaimers && is_pg(); ++i) stores.push_back(OpenAnother());
  std::mutex mu;
  std::map<std::int64_t, int> claims;
  std::vector<std::string> errors;
  std::barrier start(kClaimers);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClaimers; ++c) {
    threads.emplace_back([&, c] {
      Store* store = is_pg() ? stores[c].get() : store_.get();
      const std::string owner = "engine-" + std::to_string(c);
      start.arrive_and_wait();
      while (true) {
        auto batch = store->ClaimDueRuns(owner, kT0, kT0 + 60'000, 50);
        std::lock_guard lock(mu);
        if (!batch.ok()) {
          errors.push_back(batch.status().ToString());
          return;
        }
        if (batch->empty()) return;
        EXPECT_LE(batch->size(), 50u);
        for (const RunRow& r : *batch) {
          ++claims[r.id];
          EXPECT_EQ(r.lease_owner, owner);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(claims.size(), static_cast<std::size_t>(kRuns));
  for (const auto& [id, count] : claims) EXPECT_EQ(count, 1) << "run " << id;
}

TEST_P(StoreRunsTest, ExtendLeasesOnlyTouchesTheOwnersLeases) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(InsertRun(MakeRun("w", kT0)));
  auto a = store_->ClaimDueRuns("engine-a", kT0, kT0 + 100, 2);
  ASSERT_TRUE(a.ok());
  auto b = store_->ClaimDueRuns("engine-b", kT0, kT0 + 100, 1);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 1u);

  auto extended = store_->ExtendLeases("engine-a", ids, kT0 + 900);
  ASSERT_TRUE(extended.ok()) << extended.status().ToString();
  EXPECT_EQ(*extended, 2);
  for (const RunRow& r : *a) EXPECT_EQ(GetRun(r.id).lease_until, kT0 + 900);
  EXPECT_EQ(GetRun(b->front().id).lease_until, kT0 + 100);

  auto stranger = store_->ExtendLeases("engine-z", ids, kT0 + 900);
  ASSERT_TRUE(stranger.ok());
  EXPECT_EQ(*stranger, 0);
  auto empty = store_->ExtendLeases("engine-a", {}, kT0 + 900);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, 0);
}

TEST_P(StoreRunsTest, NextDueAtIsTheEarliestClaimableTime) {
  auto none = store_->NextDueAt();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());

  InsertRun(MakeRun("w", kT0 + 500));
  InsertRun(MakeRun("w", kT0 + 300, RunStatus::kSleeping));
  InsertRun(MakeRun("w", kT0 - 5, RunStatus::kCompleted));  // terminal: ignored
  auto next = store_->NextDueAt();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, kT0 + 300);

  // A leased run counts from the instant its lease expires.
  RunRow leased = MakeRun("w", kT0 + 10, RunStatus::kRunning);
  leased.lease_owner = "engine-b";
  leased.lease_until = kT0 + 200;
  InsertRun(leased);
  next = store_->NextDueAt();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, kT0 + 201);
}

TEST_P(StoreRunsTest, StepsUpsertAndListInSeqOrder) {
  const auto run_id = InsertRun(MakeRun("w", kT0));
  {
    auto tx = Begin();
    StepRow b{.run_id = run_id,
              .step_path = "b",
              .seq = 2,
              .status = StepStatus::kRunning,
              .attempts = 1,
              .input = {{"x", 1}},
              .started_at = kT0 + 2};
    StepRow a{.run_id = run_id,
              .step_path = "a",
              .seq = 1,
              .status = StepStatus::kCompleted,
              .attempts = 1,
              .output = {{"y", 2}},
              .started_at = kT0 + 1,
              .finished_at = kT0 + 1};
    StepRow c{.run_id = run_id,
              .step_path = "items[2].charge",
              .seq = 3,
              .status = StepStatus::kSkipped,
              .started_at = kT0 + 3};
    ASSERT_TRUE(tx->UpsertStep(b).ok());
    ASSERT_TRUE(tx->UpsertStep(a).ok());
    ASSERT_TRUE(tx->UpsertStep(c).ok());
    // A retry of b: attempts and outcome change, its seq stays that of the first run.
    b.seq = 99;
    b.attempts = 2;
    b.status = StepStatus::kFailed;
    b.error = {{"code", "unavailable"}};
    b.finished_at = kT0 + 9;
    ASSERT_TRUE(tx->UpsertStep(b).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  auto steps = tx->ListSteps(run_id);
  ASSERT_TRUE(steps.ok()) << steps.status().ToString();
  ASSERT_EQ(steps->size(), 3u);
  EXPECT_EQ((*steps)[0].step_path, "a");
  EXPECT_EQ((*steps)[0].output, Json({{"y", 2}}));
  EXPECT_TRUE((*steps)[0].input.is_null());
  EXPECT_EQ((*steps)[1].step_path, "b");
  EXPECT_EQ((*steps)[1].seq, 2);
  EXPECT_EQ((*steps)[1].attempts, 2);
  EXPECT_EQ((*steps)[1].status, StepStatus::kFailed);
  EXPECT_EQ((*steps)[1].error, Json({{"code", "unavailable"}}));
  EXPECT_EQ((*steps)[1].finished_at, kT0 + 9);
  EXPECT_EQ((*steps)[2].step_path, "items[2].charge");
  EXPECT_EQ((*steps)[2].status, StepStatus::kSkipped);
  auto other = tx->ListSteps(run_id + 1000);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

TEST_P(StoreRunsTest, WaitsPutGetDeleteAndWakeOnlyMatchingWaitingRuns) {
  const auto r1 = InsertRun(MakeRun("w", kT0 + 9999, RunStatus::kWaiting, "cart-1"));
  const auto r2 = InsertRun(MakeRun("w", std::nullopt, RunStatus::kWaiting, "cart-1"));
  const auto r3 = InsertRun(MakeRun("w", kT0 + 9999, RunStatus::kWaiting, "cart-2"));
  const auto r4 = InsertRun(MakeRun("w", kT0 + 9999, RunStatus::kRunning, "cart-1"));
  auto wait = [](std::int64_t run, const std::string& key) {
    return WaitRow{.run_id = run,
                   .step_path = "wait_order",
                   .topic = "shopify/orders/create",
                   .expr_id = "e1",
                   .wait_key = key,
                   .after_event_id = 7,
                   .expires_at = kT0 + 9999,
                   .created_at = kT0};
  };
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->PutWait(wait(r1, "old-key")).ok());
    ASSERT_TRUE(tx->PutWait(wait(r1, "cart-1")).ok());  // replaces
    WaitRow no_timeout = wait(r2, "cart-1");
    no_timeout.expires_at.reset();
    ASSERT_TRUE(tx->PutWait(no_timeout).ok());
    ASSERT_TRUE(tx->PutWait(wait(r3, "cart-2")).ok());
    ASSERT_TRUE(tx->PutWait(wait(r4, "cart-1")).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    auto tx = Begin();
    auto got = tx->GetWait(r1);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->wait_key, "cart-1");
    EXPECT_EQ((*got)->after_event_id, 7);
    EXPECT_EQ((*got)->expires_at, kT0 + 9999);
    auto got2 = tx->GetWait(r2);
    ASSERT_TRUE(got2.ok() && got2->has_value());
    EXPECT_FALSE((*got2)->expires_at.has_value());

    auto woken = tx->WakeWaits("shopify/orders/create", "e1", "cart-1", kT0 + 50);
    ASSERT_TRUE(woken.ok()) << woken.status().ToString();
    EXPECT_EQ(*woken, (std::vector<std::int64_t>{r1, r2}));  // r4 is running, r3 other key
    auto nothing = tx->WakeWaits("shopify/orders/create", "e2", "cart-1", kT0 + 50);
    ASSERT_TRUE(nothing.ok());
    EXPECT_TRUE(nothing->empty());
    ASSERT_TRUE(tx->DeleteWait(r3).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  for (const auto id : {r1, r2}) {
    const RunRow r = GetRun(id);
    EXPECT_EQ(r.status, RunStatus::kReady);
    EXPECT_EQ(r.due_at, kT0 + 50);
  }
  EXPECT_EQ(GetRun(r3).status, RunStatus::kWaiting);
  EXPECT_EQ(GetRun(r4).status, RunStatus::kRunning);
  auto tx = Begin();
  auto gone = tx->GetWait(r3);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto kept = tx->GetWait(r1);  // woken waits stay until the runtime deletes them
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->has_value());
}

TEST_P(StoreRunsTest, PurgeRunsDeletesOnlyEndedRunsPastTheHorizonWithTheirSteps) {
  auto ended = [&](RunStatus status, TimeMs finished_at) {
    RunRow run = MakeRun("w", std::nullopt, status);
    run.finished_at = finished_at;
    return InsertRun(run);
  };
  const std::int64_t done_first = ended(RunStatus::kCompleted, kT0 + 10);
  const std::int64_t done_second = ended(RunStatus::kCompleted, kT0 + 20);
  const std::int64_t cancelled = ended(RunStatus::kCancelled, kT0 + 30);
  const std::int64_t dead_letter = ended(RunStatus::kFailed, kT0 + 15);
  const std::int64_t recent = ended(RunStatus::kCompleted, kT0 + 200);
  const std::int64_t in_flight = InsertRun(MakeRun("w", kT0, RunStatus::kRunning));
  const std::vector<std::int64_t> all = {done_first,  done_second, cancelled,
                                         dead_letter, recent,      in_flight};
  {
    auto tx = Begin();
    for (std::int64_t id : all) {
      StepRow step{.run_id = id,
                   .step_path = "only",
                   .seq = 1,
                   .status = StepStatus::kCompleted,
                   .attempts = 1,
                   .started_at = kT0};
      ASSERT_TRUE(tx->UpsertStep(step).ok());
    }
    ASSERT_TRUE(tx->PutWait({.run_id = done_first,
                             .step_path = "only",
                             .topic = "t",
                             .expr_id = "e",
                             .wait_key = "k",
                             .created_at = kT0})
                    .ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  const std::vector<RunStatus> finished = {RunStatus::kCompleted, RunStatus::kCancelled};
  {
    auto tx = Begin();
    auto purged = tx->PurgeRuns(finished, kT0 + 100, 2);  // the two oldest
    ASSERT_TRUE(purged.ok()) << purged.status().ToString();
    EXPECT_EQ(*purged, 2);
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    auto tx = Begin();
    EXPECT_FALSE(tx->GetRun(done_first)->has_value());
    EXPECT_FALSE(tx->GetRun(done_second)->has_value());
    EXPECT_TRUE(tx->GetRun(cancelled)->has_value());
    auto purged = tx->PurgeRuns(finished, kT0 + 100, 10);
    ASSERT_TRUE(purged.ok()) << purged.status().ToString();
    EXPECT_EQ(*purged, 1);
    EXPECT_EQ(*tx->PurgeRuns(finished, kT0 + 100, 10), 0);
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  for (std::int64_t id : all) {
    const bool gone = id == done_first || id == done_second || id == cancelled;
    EXPECT_EQ(tx->GetRun(id)->has_value(), !gone) << "run " << id;
    EXPECT_EQ(tx->ListSteps(id)->size(), gone ? 0u : 1u) << "steps of run " << id;
  }
  EXPECT_FALSE(tx->GetWait(done_first)->has_value());

  // Runs in flight are never purged: asking is a mistake.
  auto refused = tx->PurgeRuns({RunStatus::kCompleted, RunStatus::kRunning}, kT0 + 1000, 10);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("running"), std::string::npos);
}

TEST_P(StoreRunsTest, PurgeRunsLeavesADeadLetterThatWasRetried) {
  RunRow run = MakeRun("w", std::nullopt, RunStatus::kFailed);
  run.finished_at = kT0 + 10;
  run.id = InsertRun(run);
  {
    // `dlq retry`: the run is due again and no longer finished.
    auto tx = Begin();
    run.status = RunStatus::kReady;
    run.due_at = kT0 + 500;
    run.finished_at.reset();
    ASSERT_TRUE(tx->UpdateRun(run, std::nullopt).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  EXPECT_EQ(*tx->PurgeRuns({RunStatus::kFailed}, kT0 + 1000, 10), 0);
  EXPECT_TRUE(tx->GetRun(run.id)->has_value());
}

TEST_P(StoreRunsTest, CountRunsByStatusCountsOnlyTheStatusesAskedFor) {
  InsertRun(MakeRun("a", kT0, RunStatus::kReady));
  InsertRun(MakeRun("a", kT0, RunStatus::kReady));
  InsertRun(MakeRun("b", kT0, RunStatus::kReady));
  InsertRun(MakeRun("b", kT0, RunStatus::kSleeping));
  InsertRun(MakeRun("c", std::nullopt, RunStatus::kFailed));
  InsertRun(MakeRun("c", std::nullopt, RunStatus::kCompleted));
  auto tx = Begin();
  auto counts = tx->CountRunsByStatus(
      {RunStatus::kReady, RunStatus::kSleeping, RunStatus::kWaiting, RunStatus::kFailed});
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  const std::map<RunStatus, std::int64_t> expected = {
      {RunStatus::kReady, 3}, {RunStatus::kSleeping, 1}, {RunStatus::kFailed, 1}};
  EXPECT_EQ(*counts, expected);  // no waiting runs: absent; completed: not asked for
  EXPECT_TRUE(tx->CountRunsByStatus({})->empty());
}

}  // namespace
}  // namespace storeflow::store::testing
