// store::OpenReadOnly: a store that reads beside the engine holding the
// database (the CLI's runs/events/dlq/records while `serve` runs): it sees what the
// holder committed, writes nothing, takes no lock, migrates nothing.

#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/read_only.h"
#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

class StoreReadOnlyTest : public StoreTest {
 protected:
  static Result<std::unique_ptr<Store>> OpenReadOnly(const std::string& url) {
    return store::OpenReadOnly(url, 2);
  }

  // Run `id` as a read transaction of `store` sees it (nullopt: absent).
  static std::optional<RunRow> ReadRun(Store& store, std::int64_t id) {
    auto tx = store.BeginRead();
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    if (!tx.ok()) return std::nullopt;
    auto run = (*tx)->GetRun(id);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    return run.ok() ? *run : std::nullopt;
  }
};
STOREFLOW_INSTANTIATE_STORE_TESTS(StoreReadOnlyTest);

TEST_P(StoreReadOnlyTest, SeesWhatTheHolderCommitsAndWritesNothing) {
  const std::int64_t first = InsertRun(MakeRun("wf", kT0));
  // store_ holds the database (on SQLite its file lock): a read-only store opens beside it.
  auto reader = OpenReadOnly(url_);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Store& ro = **reader;
  EXPECT_EQ(ro.InstallationId(), store_->InstallationId());
  ASSERT_TRUE(ReadRun(ro, first).has_value());
  EXPECT_EQ(ReadRun(ro, first)->workflow, "wf");

  // Uncommitted writes of the holder stay invisible; committed ones show in the
  // next read transaction.
  auto writer = Begin();
  ASSERT_NE(writer, nullptr);
  auto pending = writer->InsertRun(MakeRun("wf", kT0));
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_FALSE(ReadRun(ro, *pending).has_value());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_TRUE(ReadRun(ro, *pending).has_value());

  // Nothing that writes works on it; the holder keeps writing.
  auto begin = ro.Begin();
  ASSERT_FALSE(begin.ok());
  EXPECT_EQ(begin.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(begin.status().message().find("opened read-only"), std::string::npos)
      << begin.status().message();
  EXPECT_FALSE(ro.ClaimDueRuns("ro", kT0 + 1, kT0 + 1000, 10).ok());
  EXPECT_FALSE(ro.ExtendLeases("ro", {first}, kT0 + 1000).ok());
  auto read = ro.BeginRead();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_FALSE((*read)->InsertRun(MakeRun("wf", kT0)).ok());
  read->reset();
  EXPECT_EQ(Runs("wf").size(), 2u);
  EXPECT_GT(InsertRun(MakeRun("wf", kT0)), 0);
  EXPECT_EQ(Runs("wf").size(), 3u);
}

TEST_P(StoreReadOnlyTest, ASchemaOtherThanThisBuildsIsRefusedSayingWhatToDo) {
  const int latest = Store::LatestSchemaVersion();
  ExecRaw("INSERT INTO storeflow_schema (version, applied_at, storeflow_version) VALUES (" +
          std::to_string(latest + 1) + ", 0, '99.0.0')");
  auto newer = OpenReadOnly(url_);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("has schema version " + std::to_string(latest + 1) +
                                          "; this storeflow knows versions up to " +
                                          std::to_string(latest)),
            std::string::npos)
      << newer.status().message();
  EXPECT_NE(newer.status().message().find("with the storeflow that runs the engine"),
            std::string::npos)
      << newer.status().message();

  ExecRaw("DELETE FROM storeflow_schema WHERE version >= " + std::to_string(latest));
  auto older = OpenReadOnly(url_);
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(older.status().message().find("has schema version " + std::to_string(latest - 1) +
                                          "; this storeflow needs version " +
                                          std::to_string(latest) + ", and it is opened read-only"),
            std::string::npos)
      << older.status().message();
  EXPECT_NE(older.status().message().find("`storeflow migrate`"), std::string::npos)
      << older.status().message();
}

TEST_P(StoreReadOnlyTest, SqliteHolderNamesTheHolderAndAReaderHoldsNothing) {
  if (is_pg()) {
    EXPECT_EQ(SqliteHolder(url_), std::nullopt);
    return;
  }
  EXPECT_EQ(SqliteHolder(url_), std::to_string(getpid()));
  EXPECT_EQ(SqliteHolder("sqlite::memory:"), std::nullopt);
  const std::string never = (dir_ / "never.db").string();
  EXPECT_EQ(SqliteHolder("sqlite:" + never), std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(never + "-lock")) << "the probe created the lock file";

  store_.reset();  // the holder goes: nobody holds the file
  EXPECT_EQ(SqliteHolder(url_), std::nullopt);
  auto reader = OpenReadOnly(url_);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(SqliteHolder(url_), std::nullopt) << "a read-only store took the lock";
  // So an engine can start (take the file) while a reader is open.
  auto engine = Store::Open(url_, OpenOptions());
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  store_ = std::move(engine).value();
  const std::int64_t id = InsertRun(MakeRun("after", kT0));
  EXPECT_TRUE(ReadRun(**reader, id).has_value());
}

TEST_P(StoreReadOnlyTest, ASqlitePathThatNeedsEscapingAndAMissingFile) {
  if (is_pg()) GTEST_SKIP() << "SQLite files only";
  const std::string odd = (dir_ / "a b?c#d%e.db").string();
  {
    auto engine = Store::Open("sqlite:" + odd, OpenOptions());
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    auto tx = (*engine)->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->InsertRun(MakeRun("odd", kT0)).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
    auto reader = OpenReadOnly("sqlite:" + odd);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    auto run = ReadRun(**reader, 1);
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(run->workflow, "odd");
  }
  const std::string missing = (dir_ / "missing.db").string();
  auto refused = OpenReadOnly("sqlite:" + missing);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(missing + " read-only: there is no such file"),
            std::string::npos)
      << refused.status().message();
  EXPECT_FALSE(std::filesystem::exists(missing));
  EXPECT_EQ(OpenReadOnly("sqlite::memory:").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace storeflow::store::testing
