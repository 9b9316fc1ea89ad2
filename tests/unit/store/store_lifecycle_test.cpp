// Contract: opening and migrations, transactions, JSON fidelity, wake-ups — on
// both backends.

#include <chrono>
#include <cstdint>
#include <limits>
#include <thread>

#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class StoreLifecycleTest : public StoreTest {
 protected:
  // Makes writing a step of a run with an id above `max_run_id` fail in the
  // database: a statement error to test with. SQLite refuses such steps by the
  // foreign key on runs (there is no such run); PostgreSQL has no such key since
  // schema version 4, so the test adds a CHECK.
  void RejectStepsOfRunsAbove(std::int64_t max_run_id) {
    if (!is_pg()) return;
    ExecRaw("ALTER TABLE steps ADD CONSTRAINT test_steps_run_id CHECK (run_id <= " +
            std::to_string(max_run_id) + ")");
  }

 protected:
  // Closes the store and opens it again with `options`.
  Result<std::unique_ptr<Store>> Reopen(const OpenOptions& options) {
    store_.reset();
    return Store::Open(url_, options);
  }
};
STOREFLOW_INSTANTIATE_STORE_TESTS(StoreLifecycleTest);

TEST_P(StoreLifecycleTest, OpenMigratesToTheLatestVersionIdempotently) {
  EXPECT_GE(Store::LatestSchemaVersion(), 1);
  EXPECT_EQ(store_->backend(), GetParam());
  auto version = store_->SchemaVersion();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, Store::LatestSchemaVersion());
  EXPECT_EQ(InsertRun(MakeRun("w", kT0)), 1);

  for (int i = 0; i < 2; ++i) {
    auto again = Reopen(OpenOptions());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    store_ = std::move(again).value();
    EXPECT_EQ(*store_->SchemaVersion(), Store::LatestSchemaVersion());
  }
  EXPECT_EQ(GetRun(1).workflow, "w");  // data kept
  // Without migrating, an up-to-date database opens too.
  auto checked = Reopen({.migrate = false});
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
}

TEST_P(StoreLifecycleTest, ANewerSchemaIsRefused) {
  const int future = Store::LatestSchemaVersion() + 7;
  ExecRaw("INSERT INTO storeflow_schema (version, applied_at, storeflow_version) VALUES (" +
          std::to_string(future) + ", 0, '99.0.0')");
  for (const bool migrate : {true, false}) {
    auto refused = Reopen({.migrate = migrate});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
    const std::string expected = "has schema version " + std::to_string(future) +
                                 "; this storeflow knows versions up to " +
                                 std::to_string(Store::LatestSchemaVersion()) +
                                 " — upgrade storeflow or use another database";
    EXPECT_NE(refused.status().message().find(expected), std::string::npos)
        << refused.status().message();
    EXPECT_NE(refused.status().message().find("database " + url_), std::string::npos)
        << refused.status().message();
  }
}

TEST_P(StoreLifecycleTest, AnUnmigratedDatabaseIsRefusedWithoutMigrate) {
  if (is_pg()) {
    ExecRaw("DROP SCHEMA public CASCADE");
    ExecRaw("CREATE SCHEMA public");
  } else {
    store_.reset();
    std::filesystem::remove(db_path_);
    std::filesystem::remove(db_path_ + "-wal");
    std::filesystem::remove(db_path_ + "-shm");
  }
  auto refused = Reopen({.migrate = false});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("has schema version 0; this storeflow needs version"),
            std::string::npos)
      << refused.status().message();
  auto migrated = Reopen(OpenOptions());
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
}

TEST_P(StoreLifecycleTest, UncommittedTransactionsRollBack) {
  std::int64_t id = 0;
  {
    auto tx = Begin();
    auto inserted = tx->InsertRun(MakeRun("w", kT0));
    ASSERT_TRUE(inserted.ok());
    id = *inserted;
    ASSERT_TRUE(tx->PutRecord("c", "k", {{"v", 1}}, kT0).ok());
    auto seen = tx->GetRun(id);  // visible inside the transaction
    ASSERT_TRUE(seen.ok() && seen->has_value());
  }  // destroyed without Commit
  auto tx = Begin();
  EXPECT_FALSE(tx->GetRun(id)->has_value());
  EXPECT_FALSE(tx->GetRecord("c", "k")->has_value());
  auto claimed = tx->Commit();
  EXPECT_TRUE(claimed.ok());
  // After Commit the transaction is finished.
  EXPECT_EQ(tx->Commit().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(tx->GetRun(id).status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(StoreLifecycleTest, ErrorsComeBackAsStatusNotExceptions) {
  RejectStepsOfRunsAbove(100'000);
  auto tx = Begin();
  // A constraint violation: a step of a run that does not exist.
  const Status bad = tx->UpsertStep({.run_id = 424242,
                                     .step_path = "s",
                                     .seq = 1,
                                     .status = StepStatus::kRunning,
                                     .started_at = kT0});
  EXPECT_EQ(bad.code(), StatusCode::kInternal) << bad.ToString();
  EXPECT_NE(bad.message().find("UpsertStep"), std::string::npos) << bad.message();
  // Invalid UTF-8 in JSON can't be stored.
  const Status utf8 = tx->RecordEffect("k", Json("\xff\xfe"), kT0);
  EXPECT_EQ(utf8.code(), StatusCode::kInvalidArgument) << utf8.ToString();
}

TEST_P(StoreLifecycleTest, AStatementKeepsWorkingAfterItFailed) {
  // The same prepared statement on the same session: succeeds, fails (a
  // constraint violation), and succeeds again, several times over.
  RejectStepsOfRunsAbove(100'000);
  const auto run_id = InsertRun(MakeRun("w", kT0));
  for (int round = 0; round < 3; ++round) {
    {
      auto tx = Begin();
      ASSERT_TRUE(tx->UpsertStep({.run_id = run_id,
                                  .step_path = "s" + std::to_string(round),
                                  .seq = round,
                                  .started_at = kT0})
                      .ok());
      ASSERT_TRUE(tx->Commit().ok());
    }
    {
      auto tx = Begin();
      const Status failed =
          tx->UpsertStep({.run_id = 200'000, .step_path = "x", .seq = 1, .started_at = kT0});
      EXPECT_EQ(failed.code(), StatusCode::kInternal) << failed.ToString();
    }
  }
  auto tx = Begin();
  EXPECT_EQ(tx->ListSteps(run_id)->size(), 3u);
}

TEST_P(StoreLifecycleTest, ATransactionWithAFailedCallOnlyRollsBack) {
  RejectStepsOfRunsAbove(100'000);
  const auto run_id = InsertRun(MakeRun("w", kT0));
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->PutRecord("c", "before", {{"v", 1}}, kT0).ok());
    EXPECT_FALSE(
        tx->UpsertStep({.run_id = 200'000, .step_path = "x", .seq = 1, .started_at = kT0}).ok());
    const Status commit = tx->Commit();
    EXPECT_EQ(commit.code(), StatusCode::kAborted) << commit.ToString();
    EXPECT_NE(commit.message().find("rolled back"), std::string::npos) << commit.message();
  }
  {
    // A lost lease, too: the caller must not commit what it did under it.
    auto tx = Begin();
    ASSERT_TRUE(tx->PutRecord("c", "during", {{"v", 1}}, kT0).ok());
    RunRow run = **tx->GetRun(run_id);
    EXPECT_EQ(tx->UpdateRun(run, std::string("not-the-owner")).code(), StatusCode::kAborted);
    EXPECT_EQ(tx->Commit().code(), StatusCode::kAborted);
  }
  auto tx = Begin();
  EXPECT_FALSE(tx->GetRecord("c", "before")->has_value());
  EXPECT_FALSE(tx->GetRecord("c", "during")->has_value());
}

TEST_P(StoreLifecycleTest, JsonRoundTripsExactly) {
  const Json payload = {
      {"max", std::numeric_limits<std::int64_t>::max()},
      {"min", std::numeric_limits<std::int64_t>::min()},
      {"umax", std::numeric_limits<std::uint64_t>::max()},
      {"beyond_double", (std::int64_t{1} << 53) + 1},
      {"shopify_id", 7'654'321'098'765'432'101LL},
      {"fraction", 0.1},
      {"text", "caf\u00e9 \u65e5\u672c\u8a9e \U0001F6D2 \"quoted\" 'single' \\ \n"},
      {"nested", {{"list", {1, "two", nullptr, true}}}},
  };
  std::int64_t event_id = 0;
  RunRow run = MakeRun("\u00fcnicode-\u30ef\u30fc\u30af\u30d5\u30ed\u30fc", kT0, RunStatus::kReady,
                       "\u30ab\u30fc\u30c8-1");
  run.input = payload;
  run.state = Json::object();
  {
    auto tx = Begin();
    auto id = tx->InsertEvent({.topic = "orders/cr\u00e9\u00e9",
                               .source = "http",
                               .dedup_key = "\U0001F511",
                               .payload = payload,
                               .created_at = kT0});
    ASSERT_TRUE(id.ok() && id->has_value()) << id.status().ToString();
    event_id = **id;
    ASSERT_TRUE(tx->PutRecord("c", "k", payload, kT0).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  run.id = InsertRun(run);
  auto tx = Begin();
  const EventRow event = **tx->GetEvent(event_id);
  EXPECT_EQ(event.payload, payload);
  EXPECT_EQ(event.payload.dump(), payload.dump());
  EXPECT_EQ(event.payload["max"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(event.payload["beyond_double"].get<std::int64_t>(), (std::int64_t{1} << 53) + 1);
  EXPECT_EQ(event.topic, "orders/cr\u00e9\u00e9");
  EXPECT_EQ(event.dedup_key, "\U0001F511");
  EXPECT_EQ((*tx->GetRecord("c", "k"))->value.dump(), payload.dump());
  const RunRow got = **tx->GetRun(run.id);
  EXPECT_EQ(got.input.dump(), payload.dump());
  EXPECT_EQ(got.workflow, run.workflow);
  EXPECT_EQ(got.key, run.key);
}

TEST_P(StoreLifecycleTest, NotifyWakesAWaiter) {
  // Nothing notified: the wait times out.
  auto start = steady_clock::now();
  EXPECT_FALSE(store_->WaitForWork(milliseconds(50)));
  EXPECT_GE(steady_clock::now() - start, milliseconds(45));

  // A notify while nobody waits is remembered (once).
  store_->Notify();
  EXPECT_TRUE(store_->WaitForWork(milliseconds(0)));
  EXPECT_FALSE(store_->WaitForWork(milliseconds(0)));

  // A waiting thread wakes promptly.
  std::atomic<bool> woke{false};
  std::thread waiter([&] { woke = store_->WaitForWork(milliseconds(10'000)); });
  std::this_thread::sleep_for(milliseconds(50));
  start = steady_clock::now();
  store_->Notify();
  waiter.join();
  EXPECT_TRUE(woke);
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
}

TEST_P(StoreLifecycleTest, ThreadsShareTheStore) {
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto tx = store_->Begin();
        if (!tx.ok()) {
          ++failures;
          continue;
        }
        // Read-modify-write of one shared record: serialised writers keep it exact.
        auto rev = (*tx)->PutRecord("counters", "shared", {{"t", t}}, kT0);
        auto own = (*tx)->PutRecord("counters", "t" + std::to_string(t), {{"i", i}}, kT0);
        if (!rev.ok() || !own.ok() || !(*tx)->Commit().ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  // PostgreSQL: concurrent upserts of one row wait on its row lock; SQLite: writers queue.
  EXPECT_EQ(failures.load(), 0);
  auto tx = Begin();
  EXPECT_EQ((*tx->GetRecord("counters", "shared"))->revision, kThreads * kEach);
  EXPECT_EQ((*tx->GetRecord("counters", "t3"))->revision, kEach);
}

}  // namespace
}  // namespace storeflow::store::testing
