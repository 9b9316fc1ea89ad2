// `storeflow demo --db postgresql://...` on the real server of STOREFLOW_TEST_PG_URL:
// the visit and a small day in databases of the demo's own, named after the URL's
// database (a fresh one per test), with the counts the day's script implies checked
// as on SQLite (demo_checks.h) and the report written. A name taken by a database
// the demo did not make stops it before anything changes; a server that cannot be
// reached, or refuses the URL, is a clear error naming the URL without its password,
// exit 1, in bounded time.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "demo_checks.h"
#include "serve_process.h"
#include "store_fixture.h"

namespace storeflow::e2e {
namespace {

namespace fs = std::filesystem;
using demo::ExpectTheDayItsScriptImplies;
using demo::FreshDir;
using demo::RunDemo;
using demo::SummaryRows;
using store::testing::PgTestDatabase;
using test_support::ReadFile;

// app/demo_databases.h: the comment on every database the demo makes.
constexpr char kMark[] = "made by storeflow demo; dropped and made again by the next demo run";

class DemoPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PgTestDatabase::ServerUrl() == nullptr) {
      if (PgTestDatabase::ExplicitlyOff()) GTEST_SKIP() << "STOREFLOW_TEST_PG=off";
      FAIL() << "STOREFLOW_TEST_PG_URL is not set: run tools/test.sh (it starts a throwaway "
                "PostgreSQL), or set it, or set STOREFLOW_TEST_PG=off to skip the PostgreSQL "
                "cases";
    }
    ASSERT_EQ(base_.Create(), "") << "cannot create a test database";
    base_name_ = base_.url().substr(base_.url().rfind('/') + 1);
    dir_ = FreshDir("demo-pg-test");
  }

  // The demo leaves its databases to look at, like its SQLite files: drop them.
  void TearDown() override {
    if (base_name_.empty()) return;
    for (const std::string& name : {Name("_demo"), Name("_demo_day")}) {
      if (Comment(name) != "(absent)") {
        PgTestDatabase::Exec(base_.url(), "DROP DATABASE " + name + " WITH (FORCE)");
      }
    }
    std::error_code ignored;
    if (!HasFailure()) fs::remove_all(dir_, ignored);
  }

  std::string Name(const std::string& suffix) const { return base_name_ + suffix; }
  std::string Url(const std::string& name) const {
    return PgTestDatabase::WithDatabase(base_.url(), name);
  }
  // The database's comment, "(absent)" when there is no such database.
  std::string Comment(const std::string& name) const {
    return PgTestDatabase::DatabaseComment(base_.url(), name);
  }

  PgTestDatabase base_;
  std::string base_name_;
  fs::path dir_;
};

TEST_F(DemoPostgresTest, PlaysTheVisitAndADayInDatabasesOfItsOwnWithTheCountsOfTheScript) {
  // Seed 1 with 4 carts mixes three fates, and sends fall in the email outage.
  constexpr int kCarts = 4;
  const auto started = std::chrono::steady_clock::now();
  const auto [status, out] =
      RunDemo(dir_, "--db " + base_.url() + " --carts " + std::to_string(kCarts) + " --seed 1");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("[demo on PostgreSQL] %d carts, visit and day: %.1f s\n", kCarts, seconds);
  ASSERT_EQ(status, 0) << out << ReadFile(dir_ / "day" / "engine.log").substr(0, 20000);
  EXPECT_NE(out.find("demo ok: "), std::string::npos) << out;
  EXPECT_EQ(out.find("MISMATCH"), std::string::npos) << out;
  EXPECT_EQ(out.find("CHECK FAILED"), std::string::npos) << out;
  std::map<std::string, int> fates;
  ExpectTheDayItsScriptImplies(dir_ / "day", out, kCarts, &fates);
  EXPECT_GE(fates.size(), 3u) << out;

  // The data is on the server, in the demo's own databases (marked), not in SQLite
  // files; the database the URL names was only read.
  EXPECT_NE(out.find("the shop API flows on PostgreSQL"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_ / "store.db"));
  EXPECT_FALSE(fs::exists(dir_ / "day" / "store.db"));
  EXPECT_EQ(Comment(Name("_demo")), kMark);
  EXPECT_EQ(Comment(Name("_demo_day")), kMark);
  EXPECT_EQ(Comment(base_name_), "");
  EXPECT_EQ(PgTestDatabase::Column(base_.url(),
                                   "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
            std::vector<std::string>{"0"});
  const auto rows = SummaryRows(out);
  for (const char* workflow : {"abandoned-cart", "checkouts", "reconcile", "shop-events"}) {
    const auto it = rows.find(std::string("runs ") + workflow);
    ASSERT_NE(it, rows.end()) << workflow << "\n" << out;
    EXPECT_EQ(PgTestDatabase::Column(
                  Url(Name("_demo_day")),
                  std::string("SELECT count(*) FROM runs WHERE workflow = '") + workflow + "'"),
              std::vector<std::string>{std::to_string(it->second.first)})
        << workflow;
  }
  // The visit's one order, in the visit's database only.
  EXPECT_EQ(PgTestDatabase::Column(Url(Name("_demo")),
                                   "SELECT count(*) FROM runs WHERE workflow = 'shop-orders'"),
            std::vector<std::string>{"1"});
  EXPECT_NE(out.find("and the databases " + Name("_demo") + " " + Name("_demo_day") +
                     " on the server of postgresql://"),
            std::string::npos)
      << out;
  EXPECT_NE(ReadFile(dir_ / "report.html").find("carts, on PostgreSQL)"), std::string::npos);
}

TEST_F(DemoPostgresTest, RefusesNamesTakenByOtherDatabasesAndServersItCannotUse) {
  // A server that cannot be reached: exit 1 at once, the URL shown without its password.
  auto started = std::chrono::steady_clock::now();
  auto [status, out] = RunDemo(dir_ / "unreachable",
                               "--db postgresql://storeflow:S3cr%3Et-pw@127.0.0.1:1/"
                               "storeflow --carts 3");
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("storeflow demo: postgresql://storeflow:***@127.0.0.1:1/storeflow "
                     "unreachable: "),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("S3cr"), std::string::npos) << out;
  EXPECT_EQ(out.find("listening on"), std::string::npos) << out;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));

  // What --help says about it.
  std::tie(status, out) = RunDemo(dir_ / "help", "--help");
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("NAME_demo_day"), std::string::npos) << out;
  EXPECT_NE(out.find("CREATEDB"), std::string::npos) << out;

  // A database the server does not have: refused, exit 1.
  std::tie(status, out) = RunDemo(dir_ / "missing", "--db " + Url(Name("_none")) + " --carts 3");
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("refused the connection"), std::string::npos) << out;
  EXPECT_NE(out.find(Name("_none") + "\" does not exist"), std::string::npos) << out;

  // A database name the demo cannot name its own after: a usage error.
  std::tie(status, out) =
      RunDemo(dir_ / "usage", "--db postgresql://storeflow@127.0.0.1:1/Shop-DB");
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("a-z, 0-9 and _"), std::string::npos) << out;

  // The visit alone needs only NAME_demo: made, then dropped and made again (it is the
  // demo's own), so the second run's database holds its own order only.
  for (int run = 0; run < 2; ++run) {
    std::tie(status, out) = RunDemo(dir_ / "visit", "--db " + base_.url() + " --carts 0");
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("demo ok: "), std::string::npos) << out;
  }
  EXPECT_EQ(Comment(Name("_demo")), kMark);
  EXPECT_EQ(PgTestDatabase::Column(Url(Name("_demo")),
                                   "SELECT count(*) FROM runs WHERE workflow = 'shop-orders'"),
            std::vector<std::string>{"1"});

  // Someone else's database under the day's name, with data: the demo stops before
  // changing anything (NAME_demo keeps the last visit's data), and says what to do.
  ASSERT_EQ(PgTestDatabase::Exec(base_.url(), "CREATE DATABASE " + Name("_demo_day")), "");
  ASSERT_EQ(PgTestDatabase::Exec(Url(Name("_demo_day")),
                                 "CREATE TABLE theirs (x int); INSERT INTO theirs VALUES (7)"),
            "");
  started = std::chrono::steady_clock::now();
  std::tie(status, out) = RunDemo(dir_ / "taken", "--db " + base_.url() + " --carts 3");
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("storeflow demo: database " + Name("_demo_day") + " on postgresql://"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("left as it is"), std::string::npos) << out;
  EXPECT_NE(out.find("it never drops a database it did not make"), std::string::npos) << out;
  EXPECT_NE(out.find("give --db another database name"), std::string::npos) << out;
  EXPECT_EQ(out.find("listening on"), std::string::npos) << out;
  EXPECT_EQ(PgTestDatabase::Column(Url(Name("_demo_day")), "SELECT x FROM theirs"),
            std::vector<std::string>{"7"});
  EXPECT_EQ(Comment(Name("_demo_day")), "");
  EXPECT_EQ(PgTestDatabase::Column(Url(Name("_demo")),
                                   "SELECT count(*) FROM runs WHERE workflow = 'shop-orders'"),
            std::vector<std::string>{"1"});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

}  // namespace
}  // namespace storeflow::e2e
