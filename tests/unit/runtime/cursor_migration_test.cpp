// A run paused by an engine from before the versioned cursor (state.frames,
// version 1) resumes with this one where it was, and is then written in the
// current version (state.cursor).

#include <gtest/gtest.h>

#include "runtime/run_cursor.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;
using store::StepStatus;

constexpr const char* kWorkflow = R"(workflow: paused-each
on: [{event: go}]
steps:
  - id: before
    uses: log
    with: { message: before }
  - id: emails
    foreach: "${{ event.to }}"
    as: address
    steps:
      - id: send
        uses: log
        with: { message: "to ${{ address }} at ${{ loop.index }}" }
      - id: pause
        sleep: 1h
  - id: summary
    uses: log
    with: { message: "sent ${{ #steps.emails.output }}" }
)";

// The run's state as the engine before the versioned cursor stored it when the
// run above slept in `emails[0].pause`: version 1, written by that engine's
// Frame::ToJson (`{i, gen}`, and for the foreach `{foreach, path, as, item, items,
// outs}`), keys in nlohmann's sorted order as stored.
constexpr const char* kVersion1State =
    R"({"frames":[{"gen":0,"i":1},{"as":"address","foreach":"emails","gen":0,"i":1,"item":0,)"
    R"("items":["a@x","b@x","c@x"],"outs":[{"send":{"level":"info","message":"to a@x at 1"}},)"
    R"({},{}],"path":"emails"}]})";

class CursorMigrationTest : public RuntimeTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(CursorMigrationTest);

TEST_P(CursorMigrationTest, ARunPausedMidForeachByTheOldEngineResumes) {
  Load(kWorkflow);
  const auto id = Start("paused-each", {{"to", {"a@x", "b@x", "c@x"}}});
  DriveUntilStatus(id, RunStatus::kSleeping);
  {
    // The step rows are what both engines write; the cursor is the old engine's.
    auto tx = Begin();
    auto run = tx->GetRun(id);
    ASSERT_TRUE(run.ok() && run->has_value());
    store::RunRow old = **run;
    old.state = Json::parse(kVersion1State);
    ASSERT_TRUE(tx->UpdateRun(old, std::nullopt).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto paused = Steps(id);
  EXPECT_EQ(paused["emails"].status, StepStatus::kRunning);
  EXPECT_EQ(paused["emails[0].send"].status, StepStatus::kCompleted);
  EXPECT_EQ(paused["emails[0].pause"].status, StepStatus::kRunning);
  EXPECT_EQ(GetRun(id).due_at, kT0 + 3600 * 1000);

  NewEngine();  // a new engine takes the paused run over
  Load(kWorkflow);
  const auto run = Finish(id);
  ASSERT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
  // Resumed in emails[0].pause: nothing before it runs again, everything after once.
  std::vector<std::string> lines;
  {
    std::lock_guard lock(log_mu_);
    lines = logs_;
  }
  const std::vector<std::string> expected = {"info: before", "info: to a@x at 1",
                                             "info: to b@x at 2", "info: to c@x at 3",
                                             "info: sent 3"};
  EXPECT_EQ(lines, expected);
  auto steps = Steps(id);
  const Json out = steps["emails"].output;
  ASSERT_EQ(out.size(), 3u) << out;
  EXPECT_EQ(out[0]["send"]["message"], "to a@x at 1");  // carried over from the old cursor
  EXPECT_EQ(out[2]["send"]["message"], "to c@x at 3");
  EXPECT_EQ(steps["emails[2].pause"].status, StepStatus::kCompleted);
  EXPECT_EQ(steps["summary"].output["message"], "sent 3");
  // Written in the current version from then on.
  EXPECT_FALSE(run.state.contains("frames")) << run.state;
  ASSERT_TRUE(run.state.contains("cursor")) << run.state;
  EXPECT_EQ(run.state["cursor"]["version"], RunCursor::kVersion);
  auto cursor = RunCursor::FromState(run.state);
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  EXPECT_FALSE(cursor->nested());
  EXPECT_EQ(cursor->top().step, 3);
}

}  // namespace
}  // namespace storeflow::runtime::testing
