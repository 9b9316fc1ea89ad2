// RunCursor: the run's position in its workflow and its persisted format
// (version 2 written; version 1, "state.frames", still read).

#include "runtime/run_cursor.h"

#include <gtest/gtest.h>

namespace storeflow::runtime {
namespace {

using Json = nlohmann::json;

CursorFrame ForeachFrame() {
  CursorFrame f;
  f.step = 1;
  f.generation = 2;
  f.foreach_id = "emails";
  f.foreach_path = "emails#1";
  f.as = "address";
  f.index = 1;
  f.items = Json::array({"a@x", "b@x"});
  f.outputs = Json::array({Json{{"send", 1}}, Json::object()});
  return f;
}

TEST(RunCursorTest, AFreshRunHasNoCursorAndStartsAtTheFirstStep) {
  EXPECT_FALSE(RunCursor::InState(Json::object()));
  EXPECT_FALSE(RunCursor::InState(Json({{"attempt", 2}, {"meta", {{"h", 1}}}})));
  EXPECT_FALSE(RunCursor::InState(Json()));
  auto cursor = RunCursor::FromState(Json::object());
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  ASSERT_EQ(cursor->frames().size(), 1u);
  EXPECT_EQ(cursor->top(), CursorFrame{});
  EXPECT_FALSE(cursor->nested());
}

TEST(RunCursorTest, WritesVersionTwoWithReadableNames) {
  RunCursor cursor;
  cursor.top().step = 3;
  cursor.Enter(ForeachFrame());
  Json state = {{"attempt", 1}, {"frames", Json::array()}};  // a version-1 cursor is replaced
  cursor.WriteTo(state);
  const Json expected = {
      {"version", 2},
      {"frames",
       Json::array({Json{{"step", 3}, {"generation", 0}},
                    Json{{"step", 1},
                         {"generation", 2},
                         {"foreach",
                          {{"id", "emails"},
                           {"path", "emails#1"},
                           {"as", "address"},
                           {"index", 1},
                           {"items", {"a@x", "b@x"}},
                           {"outputs", Json::array({Json{{"send", 1}}, Json::object()})}}}}})}};
  EXPECT_EQ(state["cursor"], expected);
  EXPECT_FALSE(state.contains("frames"));
  EXPECT_EQ(state["attempt"], 1);  // the rest of the state is left as it was
  EXPECT_TRUE(RunCursor::InState(state));
}

TEST(RunCursorTest, RoundTripsThroughTheState) {
  RunCursor cursor;
  cursor.top().step = 2;
  cursor.top().generation = 1;
  cursor.Enter(ForeachFrame());
  Json state = Json::object();
  cursor.WriteTo(state);
  auto read = RunCursor::FromState(Json::parse(state.dump()));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, cursor);
}

TEST(RunCursorTest, ReadsVersionOneAsTodaysEnginesWroteIt) {
  // The shape the engine wrote before the cursor was versioned (executor.cpp's
  // Frame::ToJson), for a run paused inside a foreach.
  const Json state = Json::parse(R"({"attempt": 1, "frames": [
      {"i": 1, "gen": 0},
      {"i": 1, "gen": 0, "foreach": "emails", "path": "emails", "as": "address", "item": 0,
       "items": ["a@x", "b@x"], "outs": [{"send": {"echo": 1}}, {}]}]})");
  ASSERT_TRUE(RunCursor::InState(state));
  auto cursor = RunCursor::FromState(state);
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  ASSERT_EQ(cursor->frames().size(), 2u);
  EXPECT_EQ(cursor->frames()[0].step, 1);
  EXPECT_FALSE(cursor->frames()[0].is_foreach());
  const CursorFrame& f = cursor->top();
  EXPECT_EQ(f.step, 1);
  EXPECT_EQ(f.foreach_id, "emails");
  EXPECT_EQ(f.foreach_path, "emails");
  EXPECT_EQ(f.as, "address");
  EXPECT_EQ(f.index, 0);
  EXPECT_EQ(f.items, Json::array({"a@x", "b@x"}));
  EXPECT_EQ(f.outputs[0]["send"]["echo"], 1);
  EXPECT_EQ(cursor->PathFor("pause"), "emails[0].pause");
}

TEST(RunCursorTest, VersionOneDefaultsAndAnEmptyStackReadAsAFreshCursor) {
  auto defaults = RunCursor::FromState(Json::parse(R"({"frames": [{}]})"));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->top(), CursorFrame{});
  auto empty = RunCursor::FromState(Json::parse(R"({"frames": []})"));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, RunCursor());
}

TEST(RunCursorTest, ADamagedCursorIsAnErrorNamingItsJsonPath) {
  auto v2 = RunCursor::FromState(
      Json::parse(R"({"cursor": {"version": 2, "frames": [{"step": 0}, {"step": "x"}]}})"));
  ASSERT_FALSE(v2.ok());
  EXPECT_NE(v2.status().message().find("cursor.frames[1].step: expected an integer, got string"),
            std::string::npos)
      << v2.status().message();
  auto foreach = RunCursor::FromState(Json::parse(
      R"({"cursor": {"version": 2, "frames": [{"step": 0, "foreach": {"id": "e", "items": 3}}]}})"));
  ASSERT_FALSE(foreach.ok());
  EXPECT_NE(foreach.status().message().find("cursor.frames[0].foreach.items: expected a list"),
            std::string::npos)
      << foreach.status().message();
  auto v1 = RunCursor::FromState(Json::parse(R"({"frames": [{"i": 0}, {"gen": true}]})"));
  ASSERT_FALSE(v1.ok());
  EXPECT_NE(v1.status().message().find("frames[1].gen: expected an integer, got boolean"),
            std::string::npos)
      << v1.status().message();
  auto not_object = RunCursor::FromState(Json::parse(R"({"cursor": [1]})"));
  ASSERT_FALSE(not_object.ok());
  EXPECT_NE(not_object.status().message().find("cursor: expected an object"), std::string::npos);
}

TEST(RunCursorTest, ANewerVersionIsRefusedWithWhatToDo) {
  auto newer = RunCursor::FromState(Json::parse(R"({"cursor": {"version": 3, "frames": []}})"));
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("cursor version 3 was written by a newer engine"),
            std::string::npos)
      << newer.status().message();
  EXPECT_NE(newer.status().message().find("upgrade"), std::string::npos);
}

TEST(RunCursorTest, PathsNameTheItemAndTheGeneration) {
  RunCursor cursor;
  EXPECT_EQ(cursor.PathFor("send"), "send");
  cursor.JumpTo(0);  // a jump back to the same step: a new visit
  EXPECT_EQ(cursor.PathFor("count"), "count#1");
  cursor.Advance();
  cursor.JumpTo(3);  // forward: the same generation
  EXPECT_EQ(cursor.top().step, 3);
  EXPECT_EQ(cursor.PathFor("x"), "x#1");
  CursorFrame f = ForeachFrame();
  f.generation = 0;
  cursor.Enter(f);
  EXPECT_EQ(cursor.PathFor("send"), "emails#1[1].send");
}

TEST(RunCursorTest, ForeachItemsOutputsAndLoopContext) {
  RunCursor cursor;
  CursorFrame f;
  f.foreach_id = "each";
  f.foreach_path = "each";
  f.as = "n";
  f.items = Json::array({10, nullptr});
  f.outputs = Json::array({Json::object(), Json::object()});
  cursor.Enter(f);
  cursor.RecordOutput("double", 20);
  Json scope = Json::object();
  cursor.AddLoopContext(scope);
  EXPECT_EQ(scope["n"], 10);
  EXPECT_EQ(scope["loop"], Json({{"index", 1}, {"count", 2}}));
  cursor.Advance();
  ASSERT_TRUE(cursor.NextItem());
  EXPECT_EQ(cursor.top().step, 0);
  scope = Json::object();
  cursor.AddLoopContext(scope);
  EXPECT_FALSE(scope.contains("n"));  // a null item is absent (nil), not json.null
  EXPECT_EQ(scope["loop"]["index"], 2);
  EXPECT_FALSE(cursor.NextItem());
  const CursorFrame done = cursor.Leave();
  EXPECT_EQ(done.outputs, Json::array({Json{{"double", 20}}, Json::object()}));
  EXPECT_FALSE(cursor.nested());
  cursor.RecordOutput("ignored", 1);  // the top level keeps no outputs
  EXPECT_EQ(cursor.top(), CursorFrame{});
}

}  // namespace
}  // namespace storeflow::runtime
