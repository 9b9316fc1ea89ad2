// The built `storeflow` binary: run, runs, dlq, events, migrate, purge.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "shell_command.h"

namespace {

using Output = storeflow::test_support::CommandResult;

// Runs a shell command (stdout captured; the commands send stderr to a file).
Output Shell(const std::string& command) {
  return storeflow::test_support::RunShell(command);
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("storeflow-cli-test-" + std::to_string(getpid()) +
                                                  "-" + std::to_string(std::random_device()()));
    std::filesystem::create_directories(dir_);
    db_ = "sqlite:" + (dir_ / "store.db").string();
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string Storeflow(const std::string& args) const {
    return std::string("cd ") + STOREFLOW_SOURCE_DIR + " && env -u STOREFLOW_DB " +
           STOREFLOW_BINARY + " " + args + " 2>" + (dir_ / "stderr.txt").string();
  }
  std::string StoreflowWithStdin(const std::string& args, const std::string& input) const {
    return std::string("cd ") + STOREFLOW_SOURCE_DIR + " && echo '" + input +
           "' | env -u STOREFLOW_DB " + STOREFLOW_BINARY + " " + args + " 2>" +
           (dir_ / "stderr.txt").string();
  }
  // Starts `storeflow serve` on db_ with the workflows of dir_/workflows, lets it
  // run for `seconds`, stops it with SIGTERM (SIGKILL after 10 s more). SQLite
  // allows one process per file: look at the database only after this returns.
  // The wait status, or nullopt when it had to be killed.
  std::optional<int> ServeFor(std::chrono::seconds seconds) const {
    std::filesystem::create_directories(dir_ / "workflows");
    const pid_t pid = fork();
    if (pid < 0) return std::nullopt;
    if (pid == 0) {
      if (chdir(STOREFLOW_SOURCE_DIR) != 0) _exit(99);
      execl(STOREFLOW_BINARY, STOREFLOW_BINARY, "serve", "--db", db_.c_str(), "--workflows",
            (dir_ / "workflows").c_str(), "--workers", "2", "--listen", "127.0.0.1:0",
            static_cast<char*>(nullptr));
      _exit(98);
    }
    std::this_thread::sleep_for(seconds);
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid, &status, WNOHANG) == pid) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return std::nullopt;
  }

  // Moves every run of db_ `days` into the past (SQL: the store never rewrites
  // created_at), and makes run `cancelled_id` a cancelled one (as `dlq discard` would).
  void AgeRuns(int days, std::int64_t cancelled_id) const {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", (dir_ / "store.db").string());
    const std::string shift = std::to_string(std::int64_t{days} * 24 * 3600 * 1000);
    session << "UPDATE runs SET created_at = created_at - " + shift +
                   ", finished_at = finished_at - " + shift,
        Poco::Data::Keywords::now;
    session << "UPDATE runs SET status = 'cancelled' WHERE id = " + std::to_string(cancelled_id),
        Poco::Data::Keywords::now;
  }

  // A dead letter made by `storeflow run` on db_: its id.
  std::int64_t FailedRun(const std::string& name) const {
    Output r =
        Shell(StoreflowWithStdin("run tests/fixtures/runtime/failing.yaml --input - --db " + db_,
                                 R"({"name": ")" + name + R"("})"));
    EXPECT_EQ(r.exit_code, 1) << r.out;
    return r.exit_code == 1 ? nlohmann::json::parse(r.out)["id"].get<std::int64_t>() : 0;
  }

  std::filesystem::path dir_;
  std::string db_;
};

TEST_F(CliTest, RunWithTheVirtualClockFinishesAFourHourSleepAtOnce) {
  const auto started = std::chrono::steady_clock::now();
  Output r = Shell(
      Storeflow("run tests/fixtures/runtime/nap.yaml --input tests/fixtures/runtime/input.json "
                "--clock virtual"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto run = nlohmann::json::parse(r.out);
  EXPECT_EQ(run["status"], "completed");
  ASSERT_EQ(run["steps"].size(), 3u);
  EXPECT_EQ(run["steps"][0]["path"], "hello");
  EXPECT_EQ(run["steps"][0]["output"]["message"], "hello ada");
  EXPECT_EQ(run["steps"][1]["path"], "nap");
  EXPECT_EQ(run["steps"][2]["status"], "completed");
  EXPECT_EQ(run["steps"][2]["attempts"], 1);
  EXPECT_EQ(run["steps"][2]["output"]["value"]["count"], 1);
  EXPECT_GE(run["finished_at"].get<std::int64_t>() - run["created_at"].get<std::int64_t>(),
            4 * 3600 * 1000);
}

TEST_F(CliTest, AFailedRunExitsOneAndIsADeadLetterThatCanBeRetried) {
  Output r = Shell(StoreflowWithStdin(
      "run tests/fixtures/runtime/failing.yaml --input - --db " + db_, R"({"name": "o-1"})"));
  ASSERT_EQ(r.exit_code, 1) << r.out;
  auto run = nlohmann::json::parse(r.out);
  EXPECT_EQ(run["status"], "failed");
  EXPECT_EQ(run["error"]["step"], "broken");
  EXPECT_EQ(run["error"]["message"], "order o-1 cannot be processed");
  const std::string id = std::to_string(run["id"].get<std::int64_t>());

  Output list = Shell(Storeflow("dlq list --db " + db_));
  ASSERT_EQ(list.exit_code, 0);
  auto dlq = nlohmann::json::parse(list.out);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0]["id"].get<std::int64_t>(), run["id"].get<std::int64_t>());

  Output show = Shell(Storeflow("runs show " + id + " --db " + db_));
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(show.out)["steps"].size(), 2u);

  Output runs = Shell(Storeflow("runs list --status failed --db " + db_));
  ASSERT_EQ(runs.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(runs.out).size(), 1u);

  EXPECT_EQ(Shell(Storeflow("dlq retry " + id + " --db " + db_)).exit_code, 0);
  EXPECT_EQ(Shell(Storeflow("dlq retry " + id + " --db " + db_)).exit_code, 1);  // not failed now
  EXPECT_EQ(Shell(Storeflow("dlq discard 999999 --db " + db_)).exit_code, 1);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Shell(Storeflow("run")).exit_code, 2);
  EXPECT_EQ(Shell(Storeflow("run tests/fixtures/runtime/nap.yaml")).exit_code, 2);
  EXPECT_EQ(
      Shell(Storeflow("run tests/fixtures/runtime/nap.yaml --input x --clock sundial")).exit_code,
      2);
  EXPECT_EQ(Shell(Storeflow("dlq frobnicate --db " + db_)).exit_code, 2);
  EXPECT_EQ(Shell(Storeflow("runs show abc --db " + db_)).exit_code, 2);
}

TEST_F(CliTest, AnInvalidWorkflowExitsOne) {
  std::FILE* f = std::fopen((dir_ / "bad.yaml").c_str(), "w");
  std::fputs("workflow: bad\non: [{event: x}]\nsteps:\n  - id: a\n    sleep: 5x\n", f);
  std::fclose(f);
  Output r = Shell(Storeflow("run " + (dir_ / "bad.yaml").string() +
                             " --input tests/fixtures/runtime/input.json --db " + db_));
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(CliTest, PurgeDeletesWhatRetentionNoLongerKeeps) {
  const std::int64_t failed_id = FailedRun("o-1");  // a dead letter: kept for ever by default
  const std::int64_t aged_id = FailedRun("o-2");
  ASSERT_FALSE(HasFatalFailure());

  // Just ended: nothing is past keeping.
  Output purge = Shell(Storeflow("purge --db " + db_));
  ASSERT_EQ(purge.exit_code, 0) << purge.out;
  EXPECT_EQ(purge.out, "deleted nothing\n");

  AgeRuns(31, aged_id);
  purge = Shell(Storeflow("purge --db " + db_));
  ASSERT_EQ(purge.exit_code, 0) << purge.out;
  EXPECT_EQ(purge.out, "deleted 1 run\n");
  EXPECT_EQ(Shell(Storeflow("runs show " + std::to_string(aged_id) + " --db " + db_)).exit_code, 1);
  EXPECT_EQ(Shell(Storeflow("runs show " + std::to_string(failed_id) + " --db " + db_)).exit_code,
            0);

  // A configuration that would delete too soon is refused, naming its place.
  std::FILE* f = std::fopen((dir_ / "short.yaml").c_str(), "w");
  std::fputs("retention:\n  events: 1h\n", f);
  std::fclose(f);
  Output refused =
      Shell(Storeflow("purge --db " + db_ + " --config " + (dir_ / "short.yaml").string()));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(Shell(Storeflow("purge --db " + db_ + " --now")).exit_code, 2);
}

TEST_F(CliTest, ServeDeletesWhatRetentionNoLongerKeepsAtStart) {
  const std::int64_t failed_id = FailedRun("o-1");
  const std::int64_t aged_id = FailedRun("o-2");
  ASSERT_FALSE(HasFatalFailure());
  AgeRuns(31, aged_id);
  // The pass at start runs once serve is up; 2 s was too short for an ASan
  // build's start at load 9 (the aged run was still there).
  const std::optional<int> status = ServeFor(std::chrono::seconds(6));
  ASSERT_TRUE(status.has_value()) << "serve did not stop within 10 s of SIGTERM";
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  // The shipped configuration keeps ended runs 30 days and dead letters for ever.
  EXPECT_EQ(Shell(Storeflow("runs show " + std::to_string(aged_id) + " --db " + db_)).exit_code, 1);
  EXPECT_EQ(Shell(Storeflow("runs show " + std::to_string(failed_id) + " --db " + db_)).exit_code,
            0);
}

TEST_F(CliTest, MigrateAndEventsList) {
  Output m = Shell(Storeflow("migrate --db " + db_));
  ASSERT_EQ(m.exit_code, 0);
  EXPECT_NE(m.out.find("schema version"), std::string::npos);
  Output e = Shell(Storeflow("events list --db " + db_));
  ASSERT_EQ(e.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(e.out), nlohmann::json::array());
}

TEST_F(CliTest, ServeRunsRetriedDeadLettersAndStopsOnSigterm) {
  // A dead letter made by `storeflow run`, retried: `serve` drives it to its end.
  std::filesystem::create_directories(dir_ / "workflows");
  std::filesystem::copy_file(std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/runtime/nap.yaml",
                             dir_ / "workflows" / "nap.yaml");
  Output failed =
      Shell(Storeflow("run tests/fixtures/runtime/failing.yaml --input "
                      "tests/fixtures/runtime/input.json --db " +
                      db_));
  ASSERT_EQ(failed.exit_code, 1);
  const std::string id = std::to_string(nlohmann::json::parse(failed.out)["id"].get<int>());
  ASSERT_EQ(Shell(Storeflow("dlq retry " + id + " --db " + db_)).exit_code, 0);

  const std::optional<int> status = ServeFor(std::chrono::seconds(2));
  ASSERT_TRUE(status.has_value()) << "serve did not stop within 10 s of SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  // The retried run failed again at the same (unconditional) fail step, which shows
  // serve advanced it: its attempt is 2.
  Output show = Shell(Storeflow("runs show " + id + " --db " + db_));
  ASSERT_EQ(show.exit_code, 0);
  auto run = nlohmann::json::parse(show.out);
  EXPECT_EQ(run["status"], "failed");
  EXPECT_EQ(run["attempt"], 2);
}

}  // namespace
