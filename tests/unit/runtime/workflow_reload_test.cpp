// Hot reload at the catalog: a whole set validated before it replaces the
// current one (WorkflowCatalog::Prepare / Install), and rule scripts pinned with
// the workflow version a run started on. On SQLite and PostgreSQL.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

namespace fs = std::filesystem;
using store::RunStatus;

constexpr const char* kPickWorkflow = R"(workflow: pick
on: [{event: go}]
steps:
  - id: nap
    sleep: 1h
  - id: choose
    rule: scripts/pick.lua#pick
    with: { n: 1 }
)";

std::string RuleReturning(const std::string& word) {
  return "function pick(input)\n  return { word = \"" + word + "\", n = input.n }\nend\n";
}

class WorkflowReloadTest : public RuntimeTest {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("storeflow-reload-" + std::to_string(getpid()) + "-" +
                                         std::to_string(std::random_device()()));
    fs::create_directories(root_ / "workflows");
    fs::create_directories(root_ / "scripts");
    RuntimeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    options_.script_root = root_.string();
    NewEngine();
  }
  void TearDown() override {
    RuntimeTest::TearDown();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void Write(const std::string& relative, const std::string& text) {
    std::ofstream out(root_ / relative, std::ios::binary | std::ios::trunc);
    out << text;
  }

  std::vector<std::string> Files() {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(root_ / "workflows")) {
      files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  // Prepare + Install of the workflows folder, as serve's reload does.
  Result<CatalogChanges> Reload() {
    auto set = engine_->catalog().Prepare(Files());
    if (!set.ok()) return set.status();
    return engine_->catalog().Install(*set, *store_, clock_->Now());
  }

  fs::path root_;
};

TEST_P(WorkflowReloadTest, ARuleEditReachesNewRunsButNotTheRunsInFlight) {
  Write("workflows/pick.yaml", kPickWorkflow);
  Write("scripts/pick.lua", RuleReturning("old"));
  auto first = Reload();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->added, std::vector<std::string>{"pick"});
  const std::string old_hash = engine_->catalog().Current("pick")->hash;
  ASSERT_NE(engine_->catalog().Current("pick")->rules, nullptr);

  const auto before = Start("pick");
  DriveUntilStatus(before, RunStatus::kSleeping);  // waits its hour on the old version

  // The rule changes; the workflow file does not.
  Write("scripts/pick.lua", RuleReturning("new"));
  auto second = Reload();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->changed, std::vector<std::string>{"pick"});
  EXPECT_TRUE(second->added.empty());
  const std::string new_hash = engine_->catalog().Current("pick")->hash;
  EXPECT_NE(new_hash, old_hash);
  EXPECT_EQ(GetRun(before).version_hash, old_hash);

  const auto after = Start("pick");
  EXPECT_EQ(GetRun(after).version_hash, new_hash);

  // Another engine on the same store (a restart, or a second process) finishes
  // the runs: the versions and their rule texts come back from the store.
  NewEngine();
  Finish({before, after});
  EXPECT_EQ(GetRun(before).status, RunStatus::kCompleted) << GetRun(before).error.dump();
  EXPECT_EQ(GetRun(after).status, RunStatus::kCompleted) << GetRun(after).error.dump();
  EXPECT_EQ(Steps(before)["choose"].output["word"], "old");
  EXPECT_EQ(Steps(after)["choose"].output["word"], "new");
}

TEST_P(WorkflowReloadTest, ASetWithAnErrorChangesNothingAndNamesEachPlace) {
  Write("workflows/pick.yaml", kPickWorkflow);
  Write("scripts/pick.lua", RuleReturning("old"));
  ASSERT_TRUE(Reload().ok());
  const auto current = engine_->catalog().Current("pick");

  // One good new workflow, one broken file, and a rule that no longer defines
  // the function: nothing of it is installed.
  Write("workflows/other.yaml",
        "workflow: other\non: [{event: go}]\nsteps:\n  - id: a\n"
        "    uses: test.act\n");
  Write("workflows/broken.yaml",
        "workflow: broken\non: [{event: go}]\nsteps:\n  - id: a\n    sleep: soon\n");
  Write("scripts/pick.lua", "function choose(input) return 1 end\n");
  auto set = engine_->catalog().Prepare(Files());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kInvalidArgument);
  const std::string& message = set.status().message();
  EXPECT_NE(message.find("broken.yaml:5:"), std::string::npos) << message;
  EXPECT_NE(message.find("pick.yaml:7:"), std::string::npos) << message;
  EXPECT_NE(message.find("defines no function 'pick'"), std::string::npos) << message;
  EXPECT_EQ(engine_->catalog().Current("pick"), current);
  EXPECT_EQ(engine_->catalog().Current("other"), nullptr);
  EXPECT_EQ(engine_->catalog().Currents().size(), 1u);
}

TEST_P(WorkflowReloadTest, TwoFilesOfOneWorkflowAreAnError) {
  Write("workflows/a.yaml",
        "workflow: same\non: [{event: go}]\nsteps:\n  - id: a\n"
        "    uses: test.act\n");
  Write("workflows/b.yaml",
        "workflow: same\non: [{event: other}]\nsteps:\n  - id: a\n"
        "    uses: test.act\n");
  auto set = engine_->catalog().Prepare(Files());
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("b.yaml: error: workflow 'same' is also defined in"),
            std::string::npos)
      << set.status().message();
}

TEST_P(WorkflowReloadTest, NothingChangedIsANoOpAndARemovedWorkflowFinishesItsRuns) {
  Write("workflows/pick.yaml", kPickWorkflow);
  Write("scripts/pick.lua", RuleReturning("old"));
  ASSERT_TRUE(Reload().ok());
  auto same = engine_->catalog().Prepare(Files());
  ASSERT_TRUE(same.ok());
  const CatalogChanges none = engine_->catalog().Compare(*same);
  EXPECT_FALSE(none.any());
  EXPECT_EQ(none.unchanged, std::vector<std::string>{"pick"});

  const auto run = Start("pick");
  DriveUntilStatus(run, RunStatus::kSleeping);
  fs::remove(root_ / "workflows/pick.yaml");
  fs::remove(root_ / "scripts/pick.lua");  // its text is pinned with the version
  auto removed = Reload();
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(removed->removed, std::vector<std::string>{"pick"});
  EXPECT_EQ(engine_->catalog().Current("pick"), nullptr);
  // No new runs: an event for it starts nothing.
  auto published = Publish("go", Json::object());
  ASSERT_TRUE(published.ok());
  EXPECT_TRUE(published->runs.empty());
  // The run in flight ends on its version, with the rule it started with.
  const auto ended = Finish(run);
  EXPECT_EQ(ended.status, RunStatus::kCompleted) << ended.error.dump();
  EXPECT_EQ(Steps(run)["choose"].output["word"], "old");
}

TEST_P(WorkflowReloadTest, AWorkflowWithoutRulesKeepsItsContentHash) {
  const std::string text =
      "workflow: plain\non: [{event: go}]\nsteps:\n  - id: a\n    uses: test.act\n";
  Write("workflows/plain.yaml", text);
  ASSERT_TRUE(Reload().ok());
  EXPECT_EQ(engine_->catalog().Current("plain")->hash, ContentHash(text));
}

STOREFLOW_INSTANTIATE_STORE_TESTS(WorkflowReloadTest);

}  // namespace
}  // namespace storeflow::runtime::testing
