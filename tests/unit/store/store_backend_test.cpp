// What only one backend does: SQLite's one-process-per-file lock, PostgreSQL's
// cross-process wake-ups, concurrent first start and connection errors.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("storeflow-sqlite-test-" + std::to_string(getpid()) + "-" +
            std::to_string(std::random_device()()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "engine.db").string();
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Opens the store in a forked child; returns "code|message" of the result.
  std::string OpenInChild() {
    int fds[2];
    if (pipe(fds) != 0) return "pipe failed";
    const pid_t child = fork();
    if (child == 0) {
      close(fds[0]);
      auto opened = Store::Open("sqlite:" + path_, OpenOptions());
      const std::string out = opened.ok() ? "ok|" : opened.status().ToString();
      [[maybe_unused]] auto n = write(fds[1], out.data(), out.size());
      close(fds[1]);
      _exit(0);
    }
    close(fds[1]);
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    return out;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, ASecondProcessIsRefusedWhileTheFileIsOpen) {
  auto first = Store::Open("sqlite:" + path_, OpenOptions());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string refused = OpenInChild();
  EXPECT_NE(refused.find("failed_precondition: database file " + path_ +
                         " is in use by another storeflow process (pid " +
                         std::to_string(getpid()) + ")"),
            std::string::npos)
      << refused;
  // The same process can't open it twice either.
  auto second = Store::Open("sqlite:" + path_, OpenOptions());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);

  first.value().reset();  // closing releases the lock
  EXPECT_EQ(OpenInChild(), "ok|");
  auto reopened = Store::Open("sqlite:" + path_, OpenOptions());
  EXPECT_TRUE(reopened.ok()) << reopened.status().ToString();
}

TEST_F(SqliteStoreTest, UsesWalAndSurvivesReopen) {
  {
    auto store = Store::Open("sqlite:" + path_, OpenOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto tx = (*store)->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->PutRecord("c", "k", {{"v", 1}}, kT0).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  internal::RegisterConnectors();
  Poco::Data::Session session("SQLite", path_);
  std::string mode;
  session << "PRAGMA journal_mode", Poco::Data::Keywords::into(mode), Poco::Data::Keywords::now;
  EXPECT_EQ(mode, "wal");
  auto store = Store::Open("sqlite:" + path_, OpenOptions());
  ASSERT_TRUE(store.ok());
  auto tx = (*store)->Begin();
  EXPECT_EQ((*(*tx)->GetRecord("c", "k"))->value, Json({{"v", 1}}));
}

TEST_F(SqliteStoreTest, InMemoryDatabaseWorks) {
  auto store = Store::Open("sqlite::memory:", OpenOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->display_url(), "sqlite::memory:");
  auto tx = (*store)->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->PutRecord("c", "k", {{"v", 1}}, kT0).ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  tx->reset();
  EXPECT_FALSE((*store)->NextDueAt()->has_value());  // another call shares the one session
  auto tx2 = (*store)->Begin();
  EXPECT_TRUE((*(*tx2)->GetRecord("c", "k")).has_value());
}

TEST_F(SqliteStoreTest, AMissingDirectoryIsAClearError) {
  auto store = Store::Open("sqlite:" + (dir_ / "no/such/dir/x.db").string(), OpenOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("does the directory exist"), std::string::npos)
      << store.status().message();
}

// --- PostgreSQL ---

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PgTestDatabase::ServerUrl() == nullptr) {
      if (PgTestDatabase::ExplicitlyOff()) GTEST_SKIP() << "STOREFLOW_TEST_PG=off";
      FAIL() << "STOREFLOW_TEST_PG_URL is not set: run tools/test.sh, or set it, or set "
                "STOREFLOW_TEST_PG=off to skip the PostgreSQL cases";
    }
    ASSERT_EQ(db_.Create(), "");
  }
  PgTestDatabase db_;
};

TEST_F(PostgresStoreTest, NotifyWakesAnotherStoreInstance) {
  auto a = Store::Open(db_.url(), OpenOptions());
  auto b = Store::Open(db_.url(), OpenOptions());
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << b.status().ToString();
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> woke{false};
    std::atomic<bool> waiting{false};
    std::thread waiter([&] {
      waiting = true;
      woke = (*a)->WaitForWork(milliseconds(10'000));
    });
    while (!waiting) std::this_thread::yield();
    std::this_thread::sleep_for(milliseconds(20));
    const auto start = steady_clock::now();
    (*b)->Notify();
    waiter.join();
    EXPECT_TRUE(woke) << "round " << round;
    EXPECT_LT(steady_clock::now() - start, milliseconds(2000)) << "round " << round;
  }
  // b's own notifications don't echo back to it through PostgreSQL...
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_TRUE((*b)->WaitForWork(milliseconds(0)));  // ...but the local signal is remembered
  EXPECT_FALSE((*b)->WaitForWork(milliseconds(300)));
}

TEST_F(PostgresStoreTest, EnginesStartingTogetherMigrateOnce) {
  constexpr int kEngines = 4;
  std::vector<std::thread> threads;
  std::vector<Status> results(kEngines);
  std::vector<std::unique_ptr<Store>> stores(kEngines);
  for (int i = 0; i < kEngines; ++i) {
    threads.emplace_back([&, i] {
      auto opened = Store::Open(db_.url(), OpenOptions());
      results[i] = opened.status();
      if (opened.ok()) stores[i] = std::move(opened).value();
    });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  const std::string count = PgTestDatabase::Exec(
      db_.url(), "DO $$ BEGIN IF (SELECT count(*) FROM storeflow_schema) <> " +
                     std::to_string(Store::LatestSchemaVersion()) +
                     " THEN RAISE EXCEPTION 'wrong migration count'; END IF; END $$");
  EXPECT_EQ(count, "");
}

TEST_F(PostgresStoreTest, LostConnectionsAreReplaced) {
  auto a = Store::Open(db_.url(), OpenOptions());
  auto b = Store::Open(db_.url(), OpenOptions());
  ASSERT_TRUE(a.ok() && b.ok());
  // Warm several sessions in the pool.
  {
    std::vector<std::unique_ptr<Transaction>> open;
    for (int i = 0; i < 3; ++i) open.push_back(std::move((*a)->Begin()).value());
  }
  // What a server restart does to every connection.
  ASSERT_EQ(PgTestDatabase::Exec(
                PgTestDatabase::WithDatabase(db_.url(), "postgres"),
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                    db_.url().substr(db_.url().rfind('/') + 1) + "' AND pid <> pg_backend_pid()"),
            "");
  // The call that finds its session dead says so; the next ones get new sessions.
  int unavailable = 0;
  for (int i = 0; i < 4; ++i) {
    auto tx = (*a)->Begin();
    if (!tx.ok()) {
      EXPECT_EQ(tx.status().code(), StatusCode::kUnavailable) << tx.status().ToString();
      EXPECT_NE(tx.status().message().find("PostgreSQL at "), std::string::npos);
      ++unavailable;
      continue;
    }
    ASSERT_TRUE((*tx)->PutRecord("c", "k", {{"i", i}}, kT0).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_LE(unavailable, 1);
  auto next = (*a)->NextDueAt();
  EXPECT_TRUE(next.ok()) << next.status().ToString();
  // The LISTEN connections come back too: cross-process wake-ups work again.
  bool woke = false;
  for (int attempt = 0; attempt < 50 && !woke; ++attempt) {
    while ((*a)->WaitForWork(milliseconds(0))) {
    }
    (*b)->Notify();
    woke = (*a)->WaitForWork(milliseconds(200));
  }
  EXPECT_TRUE(woke);
}

TEST_F(PostgresStoreTest, AMissingDatabaseIsRefusedNotUnreachable) {
  auto store = Store::Open(PgTestDatabase::WithDatabase(db_.url(), "no_such_db"), OpenOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition) << store.status().ToString();
  EXPECT_NE(store.status().message().find("\"no_such_db\" does not exist"), std::string::npos)
      << store.status().message();
}

TEST(PostgresConnectTest, AnUnreachableServerIsUnavailableAndThePasswordMasked) {
  const auto start = steady_clock::now();
  auto store =
      Store::Open("postgresql://storeflow:S3cr%3Et-pw@127.0.0.1:1/storeflow", OpenOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
  EXPECT_NE(store.status().message().find("PostgreSQL at 127.0.0.1:1 unreachable"),
            std::string::npos)
      << store.status().message();
  EXPECT_EQ(store.status().message().find("S3cr"), std::string::npos) << store.status().message();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(15));
}

TEST(PostgresConnectTest, BadUrlsNameTheWrongPartWithoutThePassword) {
  auto no_db = Store::Open("postgresql://u:hunter22@localhost:5432", OpenOptions());
  EXPECT_EQ(no_db.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_db.status().message().find("database name is missing"), std::string::npos)
      << no_db.status().message();
  EXPECT_EQ(no_db.status().message().find("hunter22"), std::string::npos);

  auto bad_port = Store::Open("postgresql://u:hunter22@localhost:99999/db", OpenOptions());
  EXPECT_EQ(bad_port.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_port.status().message().find("port '99999'"), std::string::npos);
  EXPECT_EQ(bad_port.status().message().find("hunter22"), std::string::npos);
  EXPECT_NE(bad_port.status().message().find("u:***@localhost"), std::string::npos)
      << bad_port.status().message();

  auto spaced = Store::Open("postgresql://u:two%20words@localhost/db", OpenOptions());
  EXPECT_EQ(spaced.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spaced.status().message().find("~/.pgpass"), std::string::npos);
  EXPECT_EQ(spaced.status().message().find("two words"), std::string::npos);

  auto scheme = Store::Open("mysql://u@h/db", OpenOptions());
  EXPECT_EQ(scheme.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(scheme.status().message().find("unsupported scheme 'mysql'"), std::string::npos);
}

}  // namespace
}  // namespace storeflow::store::testing
