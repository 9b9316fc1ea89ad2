// The store commands beside a running `storeflow serve` on the same SQLite file
// (issue 16): the ones that only read (runs, events, dlq list|show, records
// list|get) open the file read-only next to the engine and print what its admin
// API serves; the ones that write are refused with what to do instead, and the
// engine is not disturbed.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "http_client.h"
#include "serve_process.h"
#include "shell_command.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using storeflow::test_support::CommandResult;
using storeflow::test_support::Http;
using storeflow::test_support::HttpReply;

// Saves each note as a record; a note with "bad": true then fails (a dead letter).
constexpr char kNotesWorkflow[] = R"(workflow: notes
on: [{http: POST /notes}]
steps:
  - id: save
    uses: store.put
    with: { collection: notes, key: "${{ event.body.id }}", value: "${{ event.body }}" }
  - id: check
    if: event.body.bad == true
    fail: "note ${{ event.body.id }} is bad"
)";

class CliBesideServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("storeflow-beside-serve-" + std::to_string(getpid()) + "-" +
                                        std::to_string(std::random_device()()));
    fs::create_directories(dir_ / "workflows");
    std::ofstream(dir_ / "workflows" / "notes.yaml") << kNotesWorkflow;
    db_ = "sqlite:" + (dir_ / "store.db").string();
  }
  void TearDown() override {
    serve_.Stop(SIGKILL);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  CommandResult Storeflow(const std::string& args) const {
    return storeflow::test_support::RunShell(std::string("cd ") + STOREFLOW_SOURCE_DIR +
                                             " && env -u STOREFLOW_DB -u STOREFLOW_API_URL " +
                                             STOREFLOW_BINARY + " " + args + " --db " + db_);
  }
  // A command's stdout as JSON (a failed test when it did not exit 0).
  Json StoreflowJson(const std::string& args) const {
    CommandResult r = Storeflow(args);
    EXPECT_EQ(r.exit_code, 0) << "storeflow " << args << ":\n" << r.err;
    Json parsed = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << "storeflow " << args << ":\n" << r.out;
    return parsed;
  }
  HttpReply Post(const Json& note) { return Http(serve_.port(), "POST", "/notes", note.dump()); }
  Json Admin(const std::string& target) {
    HttpReply r = Http(serve_.port(), "GET", "/api/v1" + target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return r.json();
  }

  fs::path dir_;
  std::string db_;
  storeflow::test_support::ServeProcess serve_;
};

TEST_F(CliBesideServeTest, ReadsMatchTheEngineAndWritesAreRefusedWithAdvice) {
  ASSERT_TRUE(serve_.Start({"--db", db_, "--workflows", (dir_ / "workflows").string(), "--workers",
                            "2", "--listen", "127.0.0.1:0", "--dev"},
                           dir_ / "serve.log"))
      << serve_.log();
  // A request of a REST trigger is answered when its run ends: every run is
  // terminal once its POST returned.
  for (int i = 1; i <= 5; ++i) {
    HttpReply r = Post({{"id", "n-" + std::to_string(i)}, {"text", "note " + std::to_string(i)}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  HttpReply failed = Post({{"id", "n-bad"}, {"bad", true}});
  ASSERT_EQ(failed.status, 500) << failed.body;

  // Reading beside the engine: exactly what its admin API serves.
  Json runs = StoreflowJson("runs list --limit 100");
  ASSERT_EQ(runs.size(), 6u) << runs.dump(2);
  EXPECT_EQ(runs, Admin("/runs?limit=100")["items"]);
  const std::int64_t dead_id = runs[0]["id"].get<std::int64_t>();  // newest first
  EXPECT_EQ(runs[0]["status"], "failed");

  Json show = StoreflowJson("runs show " + runs[1]["id"].dump());
  Json engine_show = Admin("/runs/" + runs[1]["id"].dump());
  engine_show.erase("input");  // the CLI leaves it out
  EXPECT_EQ(show, engine_show);
  EXPECT_EQ(show["status"], "completed");
  EXPECT_EQ(show["steps"].size(), 2u) << show.dump(2);

  Json events = StoreflowJson("events list --limit 100");
  EXPECT_EQ(events.size(), 6u);
  EXPECT_EQ(events, Admin("/events?limit=100")["items"]);

  Json dead = StoreflowJson("dlq list");
  ASSERT_EQ(dead.size(), 1u) << dead.dump(2);
  EXPECT_EQ(dead, Admin("/dead-letters")["items"]);
  Json dead_show = StoreflowJson("dlq show " + std::to_string(dead_id));
  Json engine_dead = Admin("/dead-letters/" + std::to_string(dead_id));
  engine_dead.erase("input");
  EXPECT_EQ(dead_show, engine_dead);
  EXPECT_NE(dead_show["error"].dump().find("note n-bad is bad"), std::string::npos)
      << dead_show.dump(2);

  Json record = StoreflowJson("records get notes n-3");
  EXPECT_EQ(record, Admin("/records/notes/n-3"));
  EXPECT_EQ(record["value"]["text"], "note 3");
  Json records = StoreflowJson("records list notes");
  EXPECT_EQ(records.size(), 6u);
  EXPECT_EQ(records, Admin("/records/notes")["items"]);

  // While the engine writes: every read succeeds on a consistent snapshot, and
  // none holds the engine up (its requests keep being answered).
  std::atomic<int> answered{0};
  std::thread writer([&] {
    for (int i = 0; i < 30; ++i) {
      if (Post({{"id", "w-" + std::to_string(i)}}).status == 200) ++answered;
    }
  });
  std::size_t last = 0;
  for (int round = 0; round < 5; ++round) {
    Json seen = StoreflowJson("events list --limit 1000");
    ASSERT_TRUE(seen.is_array());
    EXPECT_GE(seen.size(), last);
    last = seen.size();
  }
  writer.join();
  EXPECT_EQ(answered.load(), 30);
  EXPECT_EQ(StoreflowJson("events list --limit 1000").size(), 36u);

  // Writing is refused, saying who holds the file and what to do instead.
  const std::string pid = "(pid " + std::to_string(serve_.pid()) + ")";
  CommandResult retry = Storeflow("dlq retry " + std::to_string(dead_id));
  EXPECT_EQ(retry.exit_code, 1);
  EXPECT_NE(retry.err.find("is in use by a running storeflow process " + pid), std::string::npos)
      << retry.err;
  EXPECT_NE(retry.err.find("curl -X POST -H \"Authorization: Bearer $STOREFLOW_ADMIN_TOKEN\" "
                           "http://127.0.0.1:8080/api/v1/dead-letters/" +
                           std::to_string(dead_id) + "/retry"),
            std::string::npos)
      << retry.err;
  CommandResult discard = Storeflow("dlq discard " + std::to_string(dead_id) + " 999");
  EXPECT_EQ(discard.exit_code, 1);
  EXPECT_NE(discard.err.find("/api/v1/dead-letters/discard -d '{\"ids\":[" +
                             std::to_string(dead_id) + ",999]}'"),
            std::string::npos)
      << discard.err;
  CommandResult import =
      Storeflow("records import products workflows/data/catalogue.json --key id");
  EXPECT_EQ(import.exit_code, 1);
  EXPECT_NE(import.err.find("`storeflow records import` writes to it"), std::string::npos)
      << import.err;
  EXPECT_NE(import.err.find("Import before starting the engine"), std::string::npos) << import.err;
  CommandResult purge = Storeflow("purge");
  EXPECT_EQ(purge.exit_code, 1);
  EXPECT_NE(purge.err.find("retention.interval"), std::string::npos) << purge.err;
  CommandResult migrate = Storeflow("migrate");
  EXPECT_EQ(migrate.exit_code, 1);
  EXPECT_NE(migrate.err.find("The engine applied its migrations"), std::string::npos)
      << migrate.err;

  // The advice works, and nothing was written by the refused commands.
  EXPECT_EQ(Admin("/dead-letters/" + std::to_string(dead_id))["status"], "failed");
  HttpReply redriven =
      Http(serve_.port(), "POST", "/api/v1/dead-letters/" + std::to_string(dead_id) + "/retry");
  EXPECT_EQ(redriven.status, 200) << redriven.body;
  EXPECT_EQ(Http(serve_.port(), "GET", "/readyz").status, 200);

  ASSERT_EQ(serve_.Stop(SIGTERM), 0) << serve_.log();
  // With the engine gone, the commands open the file as before.
  Json after = StoreflowJson("runs list --limit 1000");
  EXPECT_EQ(after.size(), 36u);
  EXPECT_EQ(StoreflowJson("records list notes --limit 1000").size(), 36u);
}

}  // namespace
