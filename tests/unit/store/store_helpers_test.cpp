// The store's pure helpers: URL parsing, SQL text, key bounds, status names.

#include <gtest/gtest.h>

#include <cstdlib>

#include "store/dialect.h"
#include "store/records.h"
#include "store/sql_text.h"
#include "store/url.h"

namespace storeflow::store::internal {
namespace {

TEST(StoreUrlTest, ParsesSqlite) {
  auto file = ParseStoreUrl("sqlite:/var/lib/storeflow/engine.db");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->kind, StoreUrl::Kind::kSqlite);
  EXPECT_EQ(file->sqlite.path, "/var/lib/storeflow/engine.db");
  EXPECT_FALSE(file->sqlite.in_memory());
  EXPECT_EQ(ParseStoreUrl("sqlite:relative.db")->sqlite.path, "relative.db");
  EXPECT_TRUE(ParseStoreUrl("sqlite::memory:")->sqlite.in_memory());
  EXPECT_EQ(ParseStoreUrl("sqlite:").status().code(), StatusCode::kInvalidArgument);
}

TEST(StoreUrlTest, ParsesPostgresWithDefaultsAndDecoding) {
  auto url = ParseStoreUrl("postgresql://app%40shop:p%40ss%3Aw0rd@db.internal:6432/store%20flow");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->kind, StoreUrl::Kind::kPostgresql);
  EXPECT_EQ(url->postgres.user, "app@shop");
  EXPECT_EQ(url->postgres.password, "p@ss:w0rd");
  EXPECT_EQ(url->postgres.host, "db.internal");
  EXPECT_EQ(url->postgres.port, 6432);
  EXPECT_EQ(url->postgres.database, "store flow");
  EXPECT_EQ(url->display, "postgresql://app@shop:***@db.internal:6432/store flow");

  auto plain = ParseStoreUrl("postgres://storeflow@127.0.0.1/storeflow?sslmode=require");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->postgres.port, 5432);
  EXPECT_EQ(plain->postgres.password, "");
  ASSERT_EQ(plain->postgres.options.size(), 1u);
  EXPECT_EQ(plain->postgres.options[0].first, "sslmode");
  EXPECT_EQ(plain->display, "postgresql://storeflow@127.0.0.1:5432/storeflow");

  auto v6 = ParseStoreUrl("postgresql://u@[::1]:5433/db");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(v6->postgres.host, "::1");
  EXPECT_EQ(v6->postgres.port, 5433);
  EXPECT_EQ(v6->display, "postgresql://u@[::1]:5433/db");
}

TEST(StoreUrlTest, RefusesBadPostgresUrlsNamingThePart) {
  const auto message = [](std::string_view url) {
    auto parsed = ParseStoreUrl(url);
    EXPECT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    return parsed.status().message();
  };
  EXPECT_NE(message("postgresql://host/db").find("the user is missing"), std::string::npos);
  EXPECT_NE(message("postgresql://u@/db").find("the host is missing"), std::string::npos);
  EXPECT_NE(message("postgresql://u@h:abc/db").find("the port 'abc'"), std::string::npos);
  EXPECT_NE(message("postgresql://u@h:0/db").find("from 1 to 65535"), std::string::npos);
  EXPECT_NE(message("postgresql://u@h:/db").find("the port ''"), std::string::npos);
  EXPECT_NE(message("postgresql://u@h/").find("database name is missing"), std::string::npos);
  EXPECT_NE(message("postgresql://u%zz@h/db").find("the user has a malformed %-escape"),
            std::string::npos);
  EXPECT_NE(message("postgresql://u:pw%2@h/db").find("the password has a malformed"),
            std::string::npos);
  EXPECT_NE(message("postgresql://u@h/db?sslmod=x").find("unknown option 'sslmod'"),
            std::string::npos);
  EXPECT_NE(message("postgresql://u@h/db?sslmod=x").find("sslmode"), std::string::npos);
  EXPECT_NE(message("").find("empty"), std::string::npos);
  EXPECT_NE(message("storeflow.db").find("no scheme"), std::string::npos);
  // The password never shows.
  const std::string shown = message("postgresql://u:topsecret@h:x/db");
  EXPECT_EQ(shown.find("topsecret"), std::string::npos) << shown;
  EXPECT_NE(shown.find("postgresql://u:***@h:x/db"), std::string::npos) << shown;
}

TEST(StoreUrlTest, MasksPasswordsInAnyUrl) {
  EXPECT_EQ(MaskUrlPassword("postgresql://u:pw@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(MaskUrlPassword("postgresql://u:p@w@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(MaskUrlPassword("postgresql://u@h:5432/db"), "postgresql://u@h:5432/db");
  EXPECT_EQ(MaskUrlPassword("sqlite:/x:y@z"), "sqlite:/x:y@z");
}

TEST(StoreUrlTest, BuildsEscapedConnInfo) {
  const char* env_sslmode = std::getenv("PGSSLMODE");  // stands in for sslmode=prefer
  const std::string saved_sslmode = env_sslmode != nullptr ? env_sslmode : "";
  unsetenv("PGSSLMODE");
  PostgresTarget target;
  target.user = "app";
  target.password = R"(it's\here)";
  target.host = "db";
  target.port = 5433;
  target.database = "sf";
  auto info = PostgresConnInfo(target);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(*info,
            R"(host=db port=5433 dbname=sf user=app password=it\'s\\here connect_timeout=10 )"
            R"(keepalives=1 keepalives_idle=30 keepalives_interval=10 keepalives_count=3 )"
            R"(tcp_user_timeout=30000 application_name=storeflow sslmode=prefer)");
  target.options = {{"connect_timeout", "3"}, {"application_name", "worker-1"}};
  target.password.clear();
  EXPECT_EQ(*PostgresConnInfo(target),
            "host=db port=5433 dbname=sf user=app connect_timeout=3 application_name=worker-1 "
            "keepalives=1 keepalives_idle=30 keepalives_interval=10 keepalives_count=3 "
            "tcp_user_timeout=30000 sslmode=prefer");
  if (!saved_sslmode.empty()) setenv("PGSSLMODE", saved_sslmode.c_str(), 1);
  target.database = "two words";
  auto spaced = PostgresConnInfo(target);
  EXPECT_EQ(spaced.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spaced.status().message().find("database name contains whitespace"), std::string::npos);
}

TEST(SqlTextTest, NumbersPlaceholdersOutsideQuotesAndComments) {
  EXPECT_EQ(NumberPlaceholders("SELECT a FROM t WHERE b = ? AND c = ? LIMIT ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2 LIMIT $3");
  EXPECT_EQ(NumberPlaceholders("SELECT '?', \"a?\" -- why?\n, ? /* ? */ , 'it''s ?', ?"),
            "SELECT '?', \"a?\" -- why?\n, $1 /* ? */ , 'it''s ?', $2");
  EXPECT_EQ(NumberPlaceholders("SELECT 1"), "SELECT 1");
}

TEST(SqlTextTest, SplitsStatements) {
  const auto parts = SplitSqlStatements(
      "-- header; with a semicolon\nCREATE TABLE a (x TEXT DEFAULT ';');\n\n"
      "/* block; */ CREATE INDEX i ON a (x);\n-- trailing comment\n");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_NE(parts[0].find("CREATE TABLE a (x TEXT DEFAULT ';')"), std::string::npos);
  EXPECT_NE(parts[1].find("CREATE INDEX i ON a (x)"), std::string::npos);
  EXPECT_EQ(SplitSqlStatements("SELECT 1").size(), 1u);
  EXPECT_TRUE(SplitSqlStatements("  ;\n-- only a comment\n").empty());
}

TEST(SqlTextTest, PrefixUpperBoundIsTheNextStringInByteOrder) {
  EXPECT_EQ(PrefixUpperBound("abc"), "abd");
  EXPECT_EQ(PrefixUpperBound("a/"), "a0");
  EXPECT_EQ(PrefixUpperBound("caf\u00e9"), "caf\u00ea");
  EXPECT_EQ(PrefixUpperBound("x\U0010FFFF"), "y");
  EXPECT_EQ(PrefixUpperBound("\uD7FF"), "\uE000");  // skips the surrogates
  EXPECT_EQ(PrefixUpperBound(""), std::nullopt);
  EXPECT_EQ(PrefixUpperBound("\U0010FFFF"), std::nullopt);
  EXPECT_EQ(PrefixUpperBound("a\xff"), "b");  // not UTF-8: byte order
  // Every key with the prefix sorts below the bound.
  const std::string bound = *PrefixUpperBound("\u65e5");
  EXPECT_LT(std::string("\u65e5\U0010FFFF\U0010FFFF"), bound);
}

TEST(DialectTest, FormatsIdLists) {
  EXPECT_EQ(SqliteDialect().FormatIdList({1, 22, 333}), "[1,22,333]");
  EXPECT_EQ(PostgresDialect().FormatIdList({1, 22, 333}), "{1,22,333}");
  EXPECT_EQ(PostgresDialect().FormatIdList({}), "{}");
}

TEST(RecordsTest, StatusNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(RunStatus::kSkipped); ++i) {
    const auto status = static_cast<RunStatus>(i);
    EXPECT_EQ(*ParseRunStatus(RunStatusName(status)), status);
  }
  for (int i = 0; i <= static_cast<int>(StepStatus::kSkipped); ++i) {
    const auto status = static_cast<StepStatus>(i);
    EXPECT_EQ(*ParseStepStatus(StepStatusName(status)), status);
  }
  EXPECT_TRUE(IsTerminal(RunStatus::kFailed));
  EXPECT_FALSE(IsTerminal(RunStatus::kWaiting));
  auto bad = ParseRunStatus("done");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("valid: queued, ready"), std::string::npos);
}

}  // namespace
}  // namespace storeflow::store::internal
