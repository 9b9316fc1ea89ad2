#pragma once

// Shared fixture of the store contract tests: every case runs against SQLite
// (a file in a fresh temporary directory) and PostgreSQL (a fresh database on
// the server named by STOREFLOW_TEST_PG_URL, dropped afterwards; tools/test.sh
// starts a throwaway server and sets it).

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>

#include "store/backends.h"
#include "store/store.h"

namespace storeflow::store::testing {

inline constexpr TimeMs kT0 = 1'700'000'000'000;

// A fresh database on the test PostgreSQL server, dropped on destruction.
class PgTestDatabase {
 public:
  // The server URL, or nullptr when STOREFLOW_TEST_PG_URL is not set.
  static const char* ServerUrl() {
    const char* url = std::getenv("STOREFLOW_TEST_PG_URL");
    return url != nullptr && *url != '\0' ? url : nullptr;
  }
  static bool ExplicitlyOff() {
    const char* off = std::getenv("STOREFLOW_TEST_PG");
    return off != nullptr && std::string(off) == "off";
  }

  // Creates the database; returns "" on success or the error.
  std::string Create() {
    server_ = ServerUrl();
    static std::atomic<int> counter{0};
    std::random_device rd;
    name_ = "sf_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
            std::to_string(rd() % 100000);
    return Exec(server_, "CREATE DATABASE " + name_);
  }

  ~PgTestDatabase() {
    if (!name_.empty()) Exec(server_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }

  // The URL of the server with the database replaced by ours.
  std::string url() const { return WithDatabase(server_, name_); }

  static std::string WithDatabase(const std::string& url, const std::string& db) {
    const auto authority = url.find("://") + 3;
    const auto slash = url.find('/', authority);
    const auto query = url.find('?', authority);
    std::string out = url.substr(0, slash == std::string::npos ? query : slash) + "/" + db;
    if (query != std::string::npos) out += url.substr(query);
    return out;
  }

  // Runs `sql` on the database at `url` (libpq accepts URLs); "" or the error.
  static std::string Exec(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
      error = PQerrorMessage(conn);
    } else {
      PGresult* res = PQexec(conn, sql.c_str());
      const auto status = PQresultStatus(res);
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) error = PQerrorMessage(conn);
      PQclear(res);
    }
    PQfinish(conn);
    return error;
  }

  // The first column of `sql`'s rows on the database at `url`; {"ERROR: ..."} when
  // it fails.
  static std::vector<std::string> Column(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    std::vector<std::string> out;
    if (PQstatus(conn) != CONNECTION_OK) {
      out.push_back(std::string("ERROR: ") + PQerrorMessage(conn));
    } else {
      PGresult* res = PQexec(conn, sql.c_str());
      if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        out.push_back(std::string("ERROR: ") + PQerrorMessage(conn));
      } else {
        for (int r = 0; r < PQntuples(res); ++r) out.emplace_back(PQgetvalue(res, r, 0));
      }
      PQclear(res);
    }
    PQfinish(conn);
    return out;
  }

  // The comment on database `name` of the server at `url`, "(absent)" when there is
  // no such database.
  static std::string DatabaseComment(const std::string& url, const std::string& name) {
    const auto rows = Column(url,
                             "SELECT COALESCE(shobj_description(oid, 'pg_database'), '') FROM "
                             "pg_database WHERE datname = '" +
                                 name + "'");
    return rows.empty() ? "(absent)" : rows[0];
  }

 private:
  std::string server_;
  std::string name_;
};

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool is_pg() const { return GetParam() == "postgresql"; }

  void SetUp() override {
    if (is_pg()) {
      if (PgTestDatabase::ServerUrl() == nullptr) {
        if (PgTestDatabase::ExplicitlyOff()) GTEST_SKIP() << "STOREFLOW_TEST_PG=off";
        FAIL() << "STOREFLOW_TEST_PG_URL is not set: run tools/test.sh (it starts a throwaway "
                  "PostgreSQL), or set STOREFLOW_TEST_PG_URL=postgresql://user@host:port/db, "
                  "or set STOREFLOW_TEST_PG=off to skip the PostgreSQL cases";
      }
      pg_ = std::make_unique<PgTestDatabase>();
      const std::string error = pg_->Create();
      ASSERT_EQ(error, "") << "cannot create a test database";
      url_ = pg_->url();
    } else {
      dir_ = std::filesystem::temp_directory_path() /
             ("storeflow-store-test-" + std::to_string(getpid()) + "-" +
              std::to_string(std::random_device()()));
      std::filesystem::create_directories(dir_);
      db_path_ = (dir_ / "store.db").string();
      url_ = "sqlite:" + db_path_;
    }
    auto opened = Store::Open(url_, OpenOptions());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  void TearDown() override {
    store_.reset();
    pg_.reset();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  // Another Store on the same database (PostgreSQL; SQLite refuses a second one).
  std::unique_ptr<Store> OpenAnother() {
    auto opened = Store::Open(url_, OpenOptions());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  std::unique_ptr<Transaction> Begin(Store* store = nullptr) {
    auto tx = (store != nullptr ? store : store_.get())->Begin();
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    return tx.ok() ? std::move(tx).value() : nullptr;
  }

  // Every event (newest first, at most 1000).
  std::vector<EventRow> Events() {
    auto tx = Begin();
    EventFilter filter;
    filter.limit = 1000;
    auto events = tx->ListEvents(filter);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    return events.ok() ? *events : std::vector<EventRow>{};
  }

  // The runs of `workflow` (newest first, at most 1000).
  std::vector<RunRow> Runs(const std::string& workflow) {
    auto tx = Begin();
    RunFilter filter;
    filter.workflow = workflow;
    filter.limit = 1000;
    auto runs = tx->ListRuns(filter);
    EXPECT_TRUE(runs.ok()) << runs.status().ToString();
    return runs.ok() ? *runs : std::vector<RunRow>{};
  }

  // Runs raw SQL on the database behind the store's back.
  void ExecRaw(const std::string& sql) {
    if (is_pg()) {
      ASSERT_EQ(PgTestDatabase::Exec(url_, sql), "");
      return;
    }
    internal::RegisterConnectors();
    Poco::Data::Session session("SQLite", db_path_);
    session << sql, Poco::Data::Keywords::now;
  }

  static RunRow MakeRun(const std::string& workflow, std::optional<TimeMs> due_at,
                        RunStatus status = RunStatus::kReady,
                        std::optional<std::string> key = std::nullopt, TimeMs created_at = kT0) {
    RunRow run;
    run.workflow = workflow;
    run.version_hash = "hash-" + workflow;
    run.key = std::move(key);
    run.status = status;
    run.input = {{"n", 1}};
    run.due_at = due_at;
    run.created_at = created_at;
    run.updated_at = created_at;
    return run;
  }

  std::int64_t InsertRun(const RunRow& run) {
    auto tx = Begin();
    auto id = tx->InsertRun(run);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_TRUE(tx->Commit().ok());
    return id.ok() ? *id : 0;
  }

  RunRow GetRun(std::int64_t id) {
    auto tx = Begin();
    auto run = tx->GetRun(id);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_TRUE(run.ok() && run->has_value()) << "run " << id << " missing";
    return run.ok() && run->has_value() ? **run : RunRow();
  }

  std::string url_;
  std::string db_path_;
  std::filesystem::path dir_;
  std::unique_ptr<PgTestDatabase> pg_;
  std::unique_ptr<Store> store_;
};

inline std::string BackendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

#define STOREFLOW_INSTANTIATE_STORE_TESTS(suite)                                       \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::Values("sqlite", "postgresql"), \
                           ::storeflow::store::testing::BackendName)

}  // namespace storeflow::store::testing
