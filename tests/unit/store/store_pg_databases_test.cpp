// Databases a tool makes for itself on a PostgreSQL server (store/pg_databases.h,
// what `storeflow demo --db postgresql://...` uses): the URLs naming them, and on
// the real server of STOREFLOW_TEST_PG_URL that only marked databases are ever
// dropped, that a name taken by another database stops everything before any
// change, and that failures name the URL without its password.

#include "store/pg_databases.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

constexpr char kMark[] = "made by the pg_databases test";

TEST(PgDatabaseUrlTest, AnotherDatabaseKeepsEveryOtherPartOfTheUrl) {
  EXPECT_EQ(*PostgresUrlWithDatabase("postgresql://u:p%40ss@db.internal:6432/shop?sslmode=require",
                                     "shop_demo"),
            "postgresql://u:p%40ss@db.internal:6432/shop_demo?sslmode=require");
  EXPECT_EQ(*PostgresUrlWithDatabase("postgres://u@[::1]/a", "b"), "postgres://u@[::1]/b");
  EXPECT_EQ(*PostgresUrlWithDatabase("postgresql://u@h/a", "two words/x"),
            "postgresql://u@h/two%20words%2Fx");
  EXPECT_EQ(*PostgresDatabaseName("postgresql://u@h:5/store%20flow?connect_timeout=3"),
            "store flow");
  for (const char* bad : {"sqlite:x.db", "postgresql://u@h", "mysql://u@h/db"}) {
    EXPECT_EQ(PostgresUrlWithDatabase(bad, "x").status().code(), StatusCode::kInvalidArgument)
        << bad;
    EXPECT_FALSE(PostgresDatabaseName(bad).ok()) << bad;
  }
  EXPECT_EQ(UrlWithoutPassword("postgresql://u:hunter2@h/db"), "postgresql://u:***@h/db");
}

TEST(PgDatabaseUrlTest, PlainNamesAreLowerCaseLettersDigitsAndUnderscores) {
  for (const char* ok : {"storeflow_demo", "a", "x9_", "_x"}) EXPECT_TRUE(IsPlainDatabaseName(ok));
  for (const std::string& bad : std::vector<std::string>{"", "Shop", "9lives", "a-b", "a b", "a\"b",
                                                         "é", std::string(64, 'a')}) {
    EXPECT_FALSE(IsPlainDatabaseName(bad)) << bad;
  }
  EXPECT_TRUE(IsPlainDatabaseName(std::string(63, 'a')));
}

class PgDatabasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PgTestDatabase::ServerUrl() == nullptr) {
      if (PgTestDatabase::ExplicitlyOff()) GTEST_SKIP() << "STOREFLOW_TEST_PG=off";
      FAIL() << "STOREFLOW_TEST_PG_URL is not set (or set STOREFLOW_TEST_PG=off to skip)";
    }
    ASSERT_EQ(base_.Create(), "") << "cannot create a test database";
    base_name_ = base_.url().substr(base_.url().rfind('/') + 1);
    for (const char* suffix : {"_a", "_b", "_c"}) names_.push_back(base_name_ + suffix);
  }

  void TearDown() override {
    for (const std::string& name : names_) {
      if (Comment(name) != "(absent)") {
        PgTestDatabase::Exec(base_.url(), "DROP DATABASE " + name + " WITH (FORCE)");
      }
    }
  }

  std::string Url(const std::string& name) const {
    return PgTestDatabase::WithDatabase(base_.url(), name);
  }
  std::string Comment(const std::string& name) const {
    return PgTestDatabase::DatabaseComment(base_.url(), name);
  }

  PgTestDatabase base_;
  std::string base_name_;
  std::vector<std::string> names_;  // base_a, base_b, base_c
};

TEST_F(PgDatabasesTest, MakesMarkedDatabasesAndMakesThemAgainEmpty) {
  const std::vector<std::string> ab = {names_[0], names_[1]};
  ASSERT_TRUE(RecreateMarkedDatabases(base_.url(), ab, kMark).ok());
  EXPECT_EQ(Comment(names_[0]), kMark);
  EXPECT_EQ(Comment(names_[1]), kMark);
  ASSERT_EQ(PgTestDatabase::Exec(Url(names_[0]),
                                 "CREATE TABLE kept (x int); INSERT INTO kept "
                                 "VALUES (42)"),
            "");
  EXPECT_EQ(PgTestDatabase::Column(Url(names_[0]), "SELECT x FROM kept"),
            std::vector<std::string>{"42"});

  // Again: the marked databases are dropped and made empty.
  const Status again = RecreateMarkedDatabases(base_.url(), ab, kMark);
  ASSERT_TRUE(again.ok()) << again.ToString();
  EXPECT_EQ(PgTestDatabase::Column(Url(names_[0]),
                                   "SELECT count(*) FROM pg_tables WHERE tablename = 'kept'"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(Comment(names_[1]), kMark);
  // The database the URL names is only read.
  EXPECT_EQ(Comment(base_name_), "");
}

TEST_F(PgDatabasesTest, ADatabaseWithoutTheMarkStopsEverythingBeforeAnyChange) {
  ASSERT_TRUE(RecreateMarkedDatabases(base_.url(), {names_[0]}, kMark).ok());
  ASSERT_EQ(PgTestDatabase::Exec(Url(names_[0]), "CREATE TABLE t (x int)"), "");
  // Someone else's database of a name in the list, with data.
  ASSERT_EQ(PgTestDatabase::Exec(base_.url(), "CREATE DATABASE " + names_[2]), "");
  ASSERT_EQ(PgTestDatabase::Exec(Url(names_[2]),
                                 "CREATE TABLE theirs (x int); INSERT INTO theirs "
                                 "VALUES (7)"),
            "");
  const Status refused = RecreateMarkedDatabases(base_.url(), names_, kMark);
  ASSERT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("database " + names_[2] + " on postgresql://"),
            std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("left as it is"), std::string::npos) << refused.message();
  // Theirs untouched; ours not dropped (its table is there); the third not made.
  EXPECT_EQ(PgTestDatabase::Column(Url(names_[2]), "SELECT x FROM theirs"),
            std::vector<std::string>{"7"});
  EXPECT_EQ(Comment(names_[2]), "");
  EXPECT_EQ(PgTestDatabase::Column(Url(names_[0]),
                                   "SELECT count(*) FROM pg_tables WHERE tablename = 't'"),
            std::vector<std::string>{"1"});
  EXPECT_EQ(Comment(names_[1]), "(absent)");
}

TEST_F(PgDatabasesTest, ServersThatCannotBeReachedOrRefuseTheUrlAreNamedWithoutThePassword) {
  const auto start = std::chrono::steady_clock::now();
  const Status unreachable = RecreateMarkedDatabases(
      "postgresql://storeflow:S3cr%3Et-pw@127.0.0.1:1/storeflow", {names_[0]}, kMark);
  EXPECT_EQ(unreachable.code(), StatusCode::kUnavailable) << unreachable.ToString();
  EXPECT_NE(unreachable.message().find("postgresql://storeflow:***@127.0.0.1:1/storeflow "
                                       "unreachable"),
            std::string::npos)
      << unreachable.message();
  EXPECT_EQ(unreachable.message().find("S3cr"), std::string::npos) << unreachable.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));

  const Status missing = RecreateMarkedDatabases(Url(base_name_ + "_none"), {names_[0]}, kMark);
  EXPECT_EQ(missing.code(), StatusCode::kFailedPrecondition) << missing.ToString();
  EXPECT_NE(missing.message().find("refused the connection"), std::string::npos)
      << missing.message();
  EXPECT_EQ(Comment(names_[0]), "(absent)");

  EXPECT_EQ(RecreateMarkedDatabases(base_.url(), {"Bad-Name"}, kMark).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RecreateMarkedDatabases(base_.url(), {names_[0]}, "it's").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Comment(names_[0]), "(absent)");
}

}  // namespace
}  // namespace storeflow::store::testing
