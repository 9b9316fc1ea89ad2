// PostgreSQL sessions are bounded: connect timeout, TCP keepalives and
// tcp_user_timeout in the connection string, statement_timeout and
// idle_in_transaction_session_timeout set on every session, sslmode=prefer by
// default; a URL's query overrides each. Against the real server named by
// STOREFLOW_TEST_PG_URL.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "store/pg_connection.h"
#include "store/store_error.h"
#include "store/url.h"
#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

using internal::ParseStoreUrl;
using internal::PgConnection;
using internal::PostgresConnInfo;
using internal::StoreError;

// PGSSLMODE unset while alive (libpq's variable would stand in for the default).
class NoPgSslModeEnv {
 public:
  NoPgSslModeEnv() {
    if (const char* v = std::getenv("PGSSLMODE")) saved_ = v;
    unsetenv("PGSSLMODE");
  }
  ~NoPgSslModeEnv() {
    if (saved_) setenv("PGSSLMODE", saved_->c_str(), 1);
  }

 private:
  std::optional<std::string> saved_;
};

std::string ConnInfo(const std::string& url) {
  auto parsed = ParseStoreUrl(url);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return "";
  auto info = PostgresConnInfo(parsed->postgres);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return info.ok() ? *info : "";
}

TEST(PgConnInfoTest, TimeoutsKeepalivesAndSslmodePreferByDefault) {
  NoPgSslModeEnv no_env;
  const std::string info = ConnInfo("postgresql://u:pw@db.example:5432/shop");
  for (const char* part :
       {" connect_timeout=10", " keepalives=1", " keepalives_idle=30", " keepalives_interval=10",
        " keepalives_count=3", " tcp_user_timeout=30000", " sslmode=prefer"}) {
    EXPECT_NE(info.find(part), std::string::npos) << part << " missing from " << info;
  }
  // Session settings are not libpq keywords: they are SET on each session.
  EXPECT_EQ(info.find("statement_timeout"), std::string::npos) << info;
  auto parsed = ParseStoreUrl("postgresql://u@h/db");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->postgres.session, internal::DefaultSessionSettings());
}

TEST(PgConnInfoTest, TheUrlsQueryWins) {
  NoPgSslModeEnv no_env;
  const std::string info = ConnInfo(
      "postgresql://u@h/db?sslmode=verify-full&keepalives_idle=5&tcp_user_timeout=1000"
      "&connect_timeout=3");
  for (const char* part :
       {"sslmode=verify-full", "keepalives_idle=5", "tcp_user_timeout=1000", "connect_timeout=3"}) {
    EXPECT_NE(info.find(part), std::string::npos) << part << " missing from " << info;
  }
  for (const char* part :
       {"sslmode=prefer", "keepalives_idle=30", "tcp_user_timeout=30000", "connect_timeout=10"}) {
    EXPECT_EQ(info.find(part), std::string::npos) << part << " should be overridden: " << info;
  }
  auto parsed = ParseStoreUrl(
      "postgresql://u@h/db?statement_timeout=2s&idle_in_transaction_session_timeout=0");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->postgres.session,
            (std::vector<std::pair<std::string, std::string>>{
                {"statement_timeout", "2s"}, {"idle_in_transaction_session_timeout", "0"}}));
}

TEST(PgConnInfoTest, PgSslModeStandsInForTheDefault) {
  NoPgSslModeEnv no_env;
  setenv("PGSSLMODE", "require", 1);
  const std::string info = ConnInfo("postgresql://u@h/db");
  unsetenv("PGSSLMODE");
  EXPECT_EQ(info.find("sslmode"), std::string::npos) << info;
}

TEST(PgConnInfoTest, BadSessionSettingNamesTheOption) {
  auto parsed = ParseStoreUrl("postgresql://u:secret@h/db?statement_timeout=1;DROP");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("'statement_timeout' must be a whole number"),
            std::string::npos)
      << parsed.status().message();
  EXPECT_EQ(parsed.status().message().find("secret"), std::string::npos);
}

class PgSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PgTestDatabase::ServerUrl() == nullptr) {
      if (PgTestDatabase::ExplicitlyOff()) GTEST_SKIP() << "STOREFLOW_TEST_PG=off";
      FAIL() << "STOREFLOW_TEST_PG_URL is not set (or set STOREFLOW_TEST_PG=off to skip)";
    }
    pg_ = std::make_unique<PgTestDatabase>();
    ASSERT_EQ(pg_->Create(), "") << "cannot create a test database";
  }

  // A session as the store opens one, on our database with `query` appended.
  std::unique_ptr<PgConnection> Connect(const std::string& query = "") {
    std::string url = pg_->url();
    if (!query.empty()) url += (url.find('?') == std::string::npos ? "?" : "&") + query;
    auto parsed = ParseStoreUrl(url);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (!parsed.ok()) return nullptr;
    auto info = PostgresConnInfo(parsed->postgres);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    if (!info.ok()) return nullptr;
    return std::make_unique<PgConnection>(*info, "PostgreSQL under test", parsed->postgres.session);
  }

  static std::string Setting(PgConnection& conn, const std::string& name) {
    auto rows = conn.Query("SELECT current_setting(?)", 1, {internal::TextParam(name)});
    return rows.empty() ? "" : rows.Text(0, 0);
  }

  std::unique_ptr<PgTestDatabase> pg_;
};

TEST_F(PgSessionTest, EverySessionHasTheTimeouts) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(Setting(*conn, "statement_timeout"), "30s");
  EXPECT_EQ(Setting(*conn, "idle_in_transaction_session_timeout"), "1min");
  EXPECT_EQ(Setting(*conn, "application_name"), "storeflow");
}

TEST_F(PgSessionTest, AUrlOverrideWins) {
  auto conn = Connect("statement_timeout=2s&idle_in_transaction_session_timeout=0");
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(Setting(*conn, "statement_timeout"), "2s");
  EXPECT_EQ(Setting(*conn, "idle_in_transaction_session_timeout"), "0");
}

TEST_F(PgSessionTest, AStatementLongerThanTheTimeoutFailsWithADeadlineError) {
  auto conn = Connect("statement_timeout=200ms");
  ASSERT_NE(conn, nullptr);
  const auto started = std::chrono::steady_clock::now();
  try {
    conn->Query("SELECT pg_sleep(5)", 1, {});
    ADD_FAILURE() << "pg_sleep(5) was not cancelled";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.status().code(), StatusCode::kDeadlineExceeded) << e.status().ToString();
    EXPECT_NE(e.status().message().find("statement timeout"), std::string::npos)
        << e.status().message();
    EXPECT_NE(e.status().message().find("statement_timeout"), std::string::npos)
        << e.status().message();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  EXPECT_FALSE(conn->broken());
  EXPECT_EQ(Setting(*conn, "statement_timeout"), "200ms");  // the session goes on
}

// Migrations wait for another engine's migration lock and may run long: the
// session's statement_timeout does not apply to them.
TEST_F(PgSessionTest, MigrationsAreNotBoundByTheStatementTimeout) {
  PGconn* holder = PQconnectdb(pg_->url().c_str());
  ASSERT_EQ(PQstatus(holder), CONNECTION_OK) << PQerrorMessage(holder);
  PQclear(PQexec(holder, "BEGIN"));
  // The migration lock key ("storeflo"), as another engine migrating holds it.
  PGresult* locked = PQexec(holder, "SELECT pg_advisory_xact_lock(8319396948778314863)");
  ASSERT_EQ(PQresultStatus(locked), PGRES_TUPLES_OK) << PQerrorMessage(holder);
  PQclear(locked);
  std::thread release([holder] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    PQclear(PQexec(holder, "COMMIT"));
  });
  auto opened = Store::Open(pg_->url() + "?statement_timeout=300ms", OpenOptions());
  release.join();
  PQfinish(holder);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
}

}  // namespace
}  // namespace storeflow::store::testing
