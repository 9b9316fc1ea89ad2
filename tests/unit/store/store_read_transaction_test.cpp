// Store::BeginRead: a transaction that only reads takes no write lock (on SQLite
// it runs beside the one writer instead of queueing behind it) and refuses writes.

#include <gtest/gtest.h>

#include <chrono>

#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

class StoreReadTransactionTest : public StoreTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(StoreReadTransactionTest);

TEST_P(StoreReadTransactionTest, AReadRunsBesideAnOpenWriterAndSeesOnlyCommittedRows) {
  const std::int64_t committed = InsertRun(MakeRun("wf", kT0));
  auto writer = Begin();
  ASSERT_NE(writer, nullptr);
  auto pending = writer->InsertRun(MakeRun("wf", kT0));
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  // On SQLite, Begin() here would wait for the writer slot this thread holds
  // (and fail after 30 s); a read transaction does not take it.
  const auto started = std::chrono::steady_clock::now();
  auto reader = store_->BeginRead();
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  auto seen = (*reader)->GetRun(committed);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_TRUE(seen->has_value());
  auto unseen = (*reader)->GetRun(*pending);
  ASSERT_TRUE(unseen.ok()) << unseen.status().ToString();
  EXPECT_FALSE(unseen->has_value());  // not committed yet
  EXPECT_TRUE((*reader)->Commit().ok());
  EXPECT_TRUE(writer->Commit().ok());
}

TEST_P(StoreReadTransactionTest, AWriteInAReadTransactionFailsAndLaterWritesWork) {
  for (int round = 0; round < 3; ++round) {
    auto reader = store_->BeginRead();
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    auto written = (*reader)->InsertRun(MakeRun("wf", kT0));
    EXPECT_FALSE(written.ok()) << "a read transaction accepted a write";
    EXPECT_FALSE((*reader)->Commit().ok());  // it can only roll back
    // The session went back to the pool able to write again.
    const std::int64_t id = InsertRun(MakeRun("wf", kT0));
    EXPECT_GT(id, 0);
  }
  auto tx = Begin();
  RunFilter filter;
  filter.limit = 10;
  auto runs = tx->ListRuns(filter);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->size(), 3u);  // the refused writes left nothing behind
}

}  // namespace
}  // namespace storeflow::store::testing
