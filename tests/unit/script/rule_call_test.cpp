// Sandbox::CallRule and RuleFunctions: loading, exports, errors, caching.

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "script/sandbox.h"
#include "script_test_util.h"

namespace storeflow::script {
namespace {

using nlohmann::json;
using testing::Contains;
using testing::FastLimits;
using testing::ScriptDir;

class RuleCallTest : public ::testing::Test {
 protected:
  void SetUp() override { sandbox_.set_script_root(dir_.root()); }

  ScriptDir dir_;
  Sandbox sandbox_{FastLimits()};
};

TEST_F(RuleCallTest, GlobalFunctionsAreExported) {
  dir_.Write("scripts/g.lua",
             "local function helper(x) return x * 2 end\n"
             "function double(input) return helper(input.n) end\n"
             "function zeta() return 'z' end\n"
             "alpha = function() return 'a' end\n"
             "NOT_A_FUNCTION = 1\n");
  auto r = sandbox_.CallRule("scripts/g.lua", "double", {{"n", 21}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 42);
  auto names = sandbox_.RuleFunctions("scripts/g.lua");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"alpha", "double", "zeta"}));
}

TEST_F(RuleCallTest, ReturnedTableDefinesTheExports) {
  dir_.Write("scripts/m.lua",
             "function global_one() return 1 end\n"
             "local M = {}\n"
             "function M.score(input) return {score = #input.items, helper = global_one()} end\n"
             "M.version = 3\n"
             "return M\n");
  auto r = sandbox_.CallRule("scripts/m.lua", "score", {{"items", {1, 2, 3}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, json::parse(R"({"score":3,"helper":1})"));
  EXPECT_EQ(*sandbox_.RuleFunctions("scripts/m.lua"), std::vector<std::string>{"score"});
  auto missing = sandbox_.CallRule("scripts/m.lua", "global_one", json::object());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(RuleCallTest, MissingFunctionListsTheDefinedOnes) {
  dir_.Write("scripts/x.lua", "function a() end\nfunction b() end\n");
  auto r = sandbox_.CallRule("scripts/x.lua", "foo", json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "scripts/x.lua does not define function 'foo' (defined: a, b)");
  dir_.Write("scripts/empty.lua", "local x = 1\n");
  auto e = sandbox_.CallRule("scripts/empty.lua", "foo", json::object());
  EXPECT_EQ(e.status().message(),
            "scripts/empty.lua does not define function 'foo' (defined: none)");
}

TEST_F(RuleCallTest, MissingFileIsNotFound) {
  auto r = sandbox_.CallRule("scripts/nope.lua", "f", json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(r.status().message(), "scripts/nope.lua")) << r.status().message();
  EXPECT_EQ(sandbox_.RuleFunctions("scripts/nope.lua").status().code(), StatusCode::kNotFound);
  std::filesystem::create_directories(dir_.root() + "/scripts/dir.lua");
  EXPECT_FALSE(sandbox_.CallRule("scripts/dir.lua", "f", json::object()).ok());
}

TEST_F(RuleCallTest, RuntimeErrorsCarryATracebackNamingTheScript) {
  dir_.Write("scripts/recommend.lua",
             "local function inner(e)\n"
             "  return e.x.y\n"
             "end\n"
             "function recommend(input)\n"
             "  local n = inner(input)\n"
             "  return n\n"
             "end\n");
  auto r = sandbox_.CallRule("scripts/recommend.lua", "recommend", json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  std::string m = r.status().message();
  EXPECT_EQ(m.rfind("scripts/recommend.lua:2: attempt to index a nil value (field 'x')", 0), 0u)
      << m;
  EXPECT_TRUE(Contains(m, "\nstack traceback:\n")) << m;
  EXPECT_TRUE(Contains(m, "scripts/recommend.lua:2: in ")) << m;
  EXPECT_TRUE(Contains(m, "scripts/recommend.lua:5: in function")) << m;
  EXPECT_FALSE(Contains(m, "[C]: in ?")) << m;
}

TEST_F(RuleCallTest, ErrorCallsWithTablesAndLevels) {
  dir_.Write("scripts/err.lua",
             "function with_table() error({code = 7}) end\n"
             "function with_level(input)\n"
             "  local function check(v) if not v then error('input.v is required', 2) end end\n"
             "  check(input.v)\n"
             "end\n");
  auto t = sandbox_.CallRule("scripts/err.lua", "with_table", json::object());
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Contains(t.status().message(), "(error object is a table value)"))
      << t.status().message();
  auto l = sandbox_.CallRule("scripts/err.lua", "with_level", json::object());
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().message().rfind("scripts/err.lua:4: input.v is required", 0), 0u)
      << l.status().message();
}

TEST_F(RuleCallTest, SyntaxErrorsNameTheFileAndLine) {
  dir_.Write("scripts/syntax.lua", "function f()\n  return 1 +\nend\n");
  auto r = sandbox_.CallRule("scripts/syntax.lua", "f", json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("scripts/syntax.lua:3:", 0), 0u) << r.status().message();
}

TEST_F(RuleCallTest, TopLevelErrorsAndLimitsAreReportedAndNotCached) {
  dir_.Write("scripts/top.lua", "error('boom at load')\n");
  auto r = sandbox_.CallRule("scripts/top.lua", "f", json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "scripts/top.lua:1: boom at load"))
      << r.status().message();
  dir_.Write("scripts/spin.lua", "while true do end\n");
  auto s = sandbox_.CallRule("scripts/spin.lua", "f", json::object());
  EXPECT_EQ(s.status().code(), StatusCode::kDeadlineExceeded) << s.status().ToString();
  EXPECT_TRUE(Contains(s.status().message(), "scripts/spin.lua:1: time limit of 100 ms exceeded"))
      << s.status().message();
}

TEST_F(RuleCallTest, ChangedScriptsAreReloaded) {
  sandbox_.set_script_recheck_interval(std::chrono::milliseconds(0));
  dir_.Write("scripts/v.lua", "function version() return 1 end\n");
  EXPECT_EQ(*sandbox_.CallRule("scripts/v.lua", "version", json::object()), 1);
  dir_.Write("scripts/v.lua", "function version() return 2 end -- longer\n");
  EXPECT_EQ(*sandbox_.CallRule("scripts/v.lua", "version", json::object()), 2);
  std::filesystem::remove(dir_.root() + "/scripts/v.lua");
  EXPECT_EQ(sandbox_.CallRule("scripts/v.lua", "version", json::object()).status().code(),
            StatusCode::kNotFound);
}

TEST_F(RuleCallTest, CachedScriptsAreNotRecheckedWithinTheInterval) {
  sandbox_.set_script_recheck_interval(std::chrono::hours(1));
  dir_.Write("scripts/c.lua", "function version() return 1 end\n");
  EXPECT_EQ(*sandbox_.CallRule("scripts/c.lua", "version", json::object()), 1);
  dir_.Write("scripts/c.lua", "function version() return 2 end -- longer\n");
  EXPECT_EQ(*sandbox_.CallRule("scripts/c.lua", "version", json::object()), 1);
  sandbox_.ClearCaches();
  EXPECT_EQ(*sandbox_.CallRule("scripts/c.lua", "version", json::object()), 2);
}

TEST_F(RuleCallTest, TopLevelRunsOncePerLoad) {
  std::vector<std::string> lines;
  sandbox_.set_log_sink(
      [&](LogLevel, std::string_view, std::string_view m) { lines.emplace_back(m); });
  dir_.Write("scripts/once.lua",
             "log.info('loading')\n"
             "function f(input) log.info('call', input) return input end\n");
  for (int i = 0; i < 3; ++i) {
    auto r = sandbox_.CallRule("scripts/once.lua", "f", i);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"loading", "call 0", "call 1", "call 2"}));
}

TEST(RuleCallRelativeTest, PathsAreRelativeToTheWorkingDirectoryByDefault) {
  ScriptDir dir;
  dir.Write("scripts/rel.lua", "function f() return 'rel' end\n");
  std::filesystem::path saved = std::filesystem::current_path();
  std::filesystem::current_path(dir.root());
  Sandbox sandbox(FastLimits());
  auto r = sandbox.CallRule("scripts/rel.lua", "f", json::object());
  std::filesystem::current_path(saved);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "rel");
}

TEST(ShippedRulesTest, RecommendAndEmailTimingLoad) {
  // The repository's own rules load in the sandbox and export their entry points.
  Sandbox sandbox;
  sandbox.set_script_root(STOREFLOW_SOURCE_DIR);
  for (const char* path : {"scripts/recommend.lua", "scripts/email_timing.lua"}) {
    if (!std::filesystem::exists(std::string(STOREFLOW_SOURCE_DIR) + "/" + path)) continue;
    auto names = sandbox.RuleFunctions(path);
    EXPECT_TRUE(names.ok()) << path << ": " << names.status().ToString();
  }
}

// A workflow version's pinned copy of a rule (RuleSource): called from its text,
// never from the file, and each version keeps its own compiled script.
TEST_F(RuleCallTest, PinnedRuleTextsAreCalledByVersionNotFromTheFile) {
  dir_.Write("scripts/p.lua", "function pick() return 'file' end\n");
  RuleSource v1{"scripts/p.lua", "function pick() return 'one' end\n", "h1"};
  RuleSource v2{"scripts/p.lua", "function pick() return 'two' end\n", "h2"};
  for (int round = 0; round < 2; ++round) {  // interleaved: both stay cached
    auto one = sandbox_.CallRule(v1, "pick", json::object());
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    EXPECT_EQ(*one, "one");
    auto two = sandbox_.CallRule(v2, "pick", json::object());
    ASSERT_TRUE(two.ok()) << two.status().ToString();
    EXPECT_EQ(*two, "two");
  }
  EXPECT_EQ(*sandbox_.CallRule("scripts/p.lua", "pick", json::object()), "file");
  // Errors name the script's path, as for a file.
  RuleSource broken{"scripts/p.lua", "function pick() error('boom') end\n", "h3"};
  auto failed = sandbox_.CallRule(broken, "pick", json::object());
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("scripts/p.lua:1: boom"), std::string::npos)
      << failed.status().message();
  auto missing = sandbox_.CallRule(v1, "other", json::object());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("scripts/p.lua does not define function 'other'"),
            std::string::npos)
      << missing.status().message();
}

// More pinned versions than the cache holds: the least recently used go, and a
// dropped one compiles again from its text when called.
TEST_F(RuleCallTest, ManyPinnedVersionsAreEvictedAndCompiledAgain) {
  for (int i = 0; i < 300; ++i) {
    RuleSource v{"scripts/v.lua", "function n() return " + std::to_string(i) + " end\n",
                 "h" + std::to_string(i)};
    auto r = sandbox_.CallRule(v, "n", json::object());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, i);
  }
  RuleSource first{"scripts/v.lua", "function n() return 0 end\n", "h0"};
  EXPECT_EQ(*sandbox_.CallRule(first, "n", json::object()), 0);
}

}  // namespace
}  // namespace storeflow::script
