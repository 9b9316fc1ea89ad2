// Hostile scripts against the sandbox's limits: time, instructions, memory,
// recursion, and the C pattern matcher. After every limit error the same
// Sandbox must still work.

#include <gtest/gtest.h>

#include <chrono>

#include "script/sandbox.h"
#include "script_test_util.h"

namespace storeflow::script {
namespace {

using nlohmann::json;
using testing::Contains;
using testing::FastLimits;
using testing::ScriptDir;
using Clock = std::chrono::steady_clock;

constexpr const char* kOk = "function ok(input) return { fine = true, echo = input } end\n";

class SandboxLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("scripts/ok.lua", kOk);
    sandbox_.set_script_root(dir_.root());
  }

  // Runs `body` (the text of a rule function `run`) and returns the status.
  Status RunBody(const std::string& name, const std::string& body) {
    dir_.Write("scripts/" + name + ".lua", "function run(input)\n" + body + "\nend\n");
    return sandbox_.CallRule("scripts/" + name + ".lua", "run", json::object()).status();
  }

  void ExpectStillUsable() {
    auto r = sandbox_.CallRule("scripts/ok.lua", "ok", json{{"n", 1}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)["fine"], true);
    auto e = sandbox_.EvaluateExpression("1 + 1", json::object(), "@check");
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(*e, 2);
  }

  ScriptDir dir_;
  Sandbox sandbox_{FastLimits()};
};

TEST_F(SandboxLimitsTest, InfiniteLoopHitsTheTimeLimit) {
  auto start = Clock::now();
  Status s = RunBody("loop", "while true do end");
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "scripts/loop.lua:2: time limit of 100 ms exceeded"))
      << s.message();
  EXPECT_TRUE(Contains(s.message(), "stack traceback:")) << s.message();
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  ExpectStillUsable();
}

TEST_F(SandboxLimitsTest, PcallCannotSwallowTheTimeout) {
  auto start = Clock::now();
  Status s = RunBody("pcall_loop", "while true do pcall(function() while true do end end) end");
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "time limit of 100 ms exceeded")) << s.message();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  ExpectStillUsable();
}

TEST_F(SandboxLimitsTest, XpcallWithLoopingHandlerCannotSwallowTheTimeout) {
  Status s = RunBody("xpcall_loop",
                     "while true do\n"
                     "  xpcall(function() while true do end end,\n"
                     "         function(e) while true do end end)\n"
                     "end");
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  ExpectStillUsable();
}

TEST_F(SandboxLimitsTest, ErrorRaisedAfterCatchingTheTimeoutIsStillATimeout) {
  // A script that catches the limit error and raises its own message must not
  // turn the limit into an ordinary error.
  Status s = RunBody("rethrow",
                     "local ok = pcall(function() while true do end end)\n"
                     "error('something else')");
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "time limit of 100 ms exceeded")) << s.message();
}

TEST_F(SandboxLimitsTest, ToBeClosedHandlersCannotExtendTheCall) {
  Status s = RunBody("close_loop",
                     "local guard <close> = setmetatable({}, {__close = function()\n"
                     "  while true do end end})\n"
                     "while true do end");
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  ExpectStillUsable();
}

TEST(SandboxInstructionLimitTest, CountsInstructions) {
  Limits limits;
  limits.time_per_call = std::chrono::milliseconds(5000);
  limits.instructions_per_call = 1'000'000;
  Sandbox sandbox(limits);
  auto start = Clock::now();
  auto r = sandbox.EvaluateExpression("(function() local n = 0 while true do n = n + 1 end end)()",
                                      json::object(), "@workflows/spin.yaml:7");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(Contains(r.status().message(),
                       "workflows/spin.yaml:7:1: instruction limit of 1000000 exceeded"))
      << r.status().message();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  // A modest loop fits.
  auto fine = sandbox.EvaluateExpression(
      "(function() local n = 0 for i = 1, 10000 do n = n + i end return n end)()", json::object(),
      "@x");
  ASSERT_TRUE(fine.ok()) << fine.status().ToString();
  EXPECT_EQ(*fine, 50005000);
}

TEST_F(SandboxLimitsTest, HugeStringHitsTheMemoryLimit) {
  Status s = RunBody("mem", "return string.rep('x', 1 << 30)");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_EQ(s.message(), "scripts/mem.lua: memory limit of 16 MiB exceeded");
  ExpectStillUsable();
  EXPECT_LT(sandbox_.memory_in_use(), 2u << 20);
}

TEST_F(SandboxLimitsTest, GrowingTableHitsTheMemoryLimit) {
  // Filling 16 MiB takes 70-100 ms in the sanitizer build on a busy machine: the
  // 100 ms time limit could win the race, so this test allows more time.
  Limits limits = FastLimits();
  limits.time_per_call = std::chrono::milliseconds(5000);
  Sandbox sandbox(limits);
  sandbox.set_script_root(dir_.root());
  dir_.Write("scripts/grow.lua",
             "function run() local t = {} for i = 1, 1e9 do t[i] = {i} end end\n");
  Status s = sandbox.CallRule("scripts/grow.lua", "run", json::object()).status();
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "memory limit of 16 MiB exceeded")) << s.message();
  auto r = sandbox.CallRule("scripts/ok.lua", "ok", json{{"n", 1}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(sandbox.memory_in_use(), 2u << 20);
}

TEST_F(SandboxLimitsTest, CaughtMemoryErrorRethrownIsStillAMemoryError) {
  Status s = RunBody("mem_rethrow",
                     "local ok, e = pcall(string.rep, 'x', 1 << 30)\n"
                     "assert(not ok)\n"
                     "error(e, 0)");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  ExpectStillUsable();
}

TEST(SandboxRecursionTest, DeepRecursionFailsCleanly) {
  Limits limits;
  limits.time_per_call = std::chrono::milliseconds(1500);
  Sandbox sandbox(limits);
  auto r = sandbox.EvaluateExpression(
      "(function() local function f() return f() + 1 end return f() end)()", json::object(),
      "@workflows/deep.yaml:3");
  ASSERT_FALSE(r.ok());
  // Lua's own stack limit ("stack overflow") or the memory cap, whichever comes first.
  EXPECT_TRUE(r.status().code() == StatusCode::kInvalidArgument ||
              r.status().code() == StatusCode::kResourceExhausted)
      << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), "stack overflow") ||
              Contains(r.status().message(), "memory limit"))
      << r.status().message();
  auto again = sandbox.EvaluateExpression("40 + 2", json::object(), "@x");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, 42);
}

TEST(SandboxRecursionTest, RecursionThroughCFunctionsFailsCleanly) {
  Sandbox sandbox(FastLimits());
  // Each level goes through a C function (pcall, string.gsub callbacks): Lua's
  // C-stack limit must stop it with an error, not a crash.
  auto r = sandbox.EvaluateExpression(
      "(function() local function f() return select(2, pcall(f)) end return f() end)()",
      json::object(), "@x");
  // Either an error value bubbles up as the result, or the call fails: both are clean.
  if (r.ok()) {
    EXPECT_TRUE(r->is_string()) << r->dump();
  }
  auto g = sandbox.EvaluateExpression(
      "(function() local function f(s) return (s:gsub('.', f)) end return f('ab') end)()",
      json::object(), "@x");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Contains(g.status().message(), "stack overflow")) << g.status().message();
  auto again = sandbox.EvaluateExpression("1", json::object(), "@x");
  EXPECT_TRUE(again.ok());
}

// ---- the pattern matcher runs in C: it must charge the budget itself ----

TEST_F(SandboxLimitsTest, PathologicalPatternEndsWithinTheTimeLimit) {
  auto start = Clock::now();
  Status s = RunBody("pattern", "return string.find(string.rep('a', 100000), '.-.-.-.-.-.-.-.-b')");
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "scripts/pattern.lua:2: time limit of 100 ms exceeded"))
      << s.message();
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  ExpectStillUsable();
}

TEST_F(SandboxLimitsTest, PathologicalPatternThroughEveryEntryPoint) {
  const char* bodies[] = {
      "return ('a'):rep(100000):find('.-.-.-.-.-.-.-.-b')",  // method syntax: string metatable
      "return string.match(string.rep('a', 100000), '.-.-.-.-.-.-.-.-b')",
      "return string.gsub(string.rep('a', 100000), '.-.-.-.-.-.-.-.-b', '')",
      "for x in string.gmatch(string.rep('a', 100000), '.-.-.-.-.-.-.-.-b') do end",
      "return string.find(string.rep('a', 100000), '(a*)*b')",
      "while true do pcall(string.find, string.rep('a', 100000), '.-.-.-.-.-.-.-.-b') end",
      // A quadratic plain search (no pattern at all).
      "return string.find(string.rep('a', 2000000), string.rep('a', 1000000) .. 'b', 1, true)",
  };
  int i = 0;
  for (const char* body : bodies) {
    auto start = Clock::now();
    Status s = RunBody("pattern" + std::to_string(i++), body);
    EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << body << "\n" << s.ToString();
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(1)) << body;
  }
  ExpectStillUsable();
}

// Stock C functions that loop without running VM instructions (each of these
// runs for hours in stock Lua 5.4.4).
TEST_F(SandboxLimitsTest, StockCLoopsAreGuarded) {
  auto start = Clock::now();
  dir_.Write("scripts/rep.lua",
             "function run() return {#string.rep('', 1e10), #string.rep('', 1e10, ''),\n"
             "                       string.rep('ab', 3, ','), string.rep('x', 0)} end\n");
  auto rep = sandbox_.CallRule("scripts/rep.lua", "run", json::object());
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(*rep, json::parse(R"([0, 0, "ab,ab,ab", ""])"));

  const char* refused[] = {
      "table.move({}, 1, 1e10, 1)",
      "table.insert(setmetatable({}, {__len = function() return 1e10 end}), 1, 1)",
      "table.remove(setmetatable({}, {__len = function() return 1e10 end}), 1)",
  };
  int i = 0;
  for (const char* body : refused) {
    Status s = RunBody("guard" + std::to_string(i++), body);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << body << ": " << s.ToString();
    EXPECT_TRUE(Contains(s.message(), "elements (at most 16777216)")) << s.message();
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));

  // Ordinary use is unchanged.
  dir_.Write("scripts/tbl.lua",
             "function run()\n"
             "  local t = {3, 1, 2}\n"
             "  table.insert(t, 4) table.insert(t, 1, 0) table.remove(t, 2)\n"
             "  local m = table.move({1, 2, 3}, 1, 3, 2, {9})\n"
             "  table.sort(t) local d = {3, 1, 2} table.sort(d, function(a, b) return a > b end)\n"
             "  return {t = t, m = m, d = d, r = table.remove({})}\n"
             "end\n");
  auto tbl = sandbox_.CallRule("scripts/tbl.lua", "run", json::object());
  ASSERT_TRUE(tbl.ok()) << tbl.status().ToString();
  EXPECT_EQ(*tbl, json::parse(R"({"t": [0, 1, 2, 4], "m": [9, 1, 2, 3], "d": [3, 2, 1]})"));
  Status bad_sort = RunBody("bad_sort", "table.sort({3, 1, 2}, 5)");
  EXPECT_TRUE(Contains(bad_sort.message(), "bad argument #2 to 'sort'")) << bad_sort.message();
  Status cmp_error = RunBody("cmp_error", "table.sort({1, 'x'})");
  EXPECT_TRUE(Contains(cmp_error.message(), "attempt to compare")) << cmp_error.message();
}

TEST(SandboxSortGuardTest, SortComparisonsAreCharged) {
  Limits limits;
  limits.time_per_call = std::chrono::milliseconds(5000);
  limits.instructions_per_call = 100'000;
  Sandbox sandbox(limits);
  // Building the table takes a handful of instructions; sorting it ~600,000
  // comparisons, all in C: only the charging comparator can see them.
  auto r = sandbox.EvaluateExpression(
      "(function() local t = {string.byte(string.rep('ab', 20000), 1, -1)} table.sort(t) "
      "return #t end)()",
      json::object(), "@sort");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(Contains(r.status().message(), "instruction limit of 100000 exceeded"))
      << r.status().message();
}

TEST_F(SandboxLimitsTest, NormalPatternsStillWork) {
  dir_.Write("scripts/p.lua",
             "function run(s)\n"
             "  local a, b = s:find('w(or)ld')\n"
             "  local k, v = s:match('(%w+)=(%w+)')\n"
             "  local n = select(2, s:gsub('o', '0'))\n"
             "  local words = {}\n"
             "  for w in s:gmatch('%a+') do words[#words + 1] = w end\n"
             "  return {a = a, b = b, k = k, v = v, n = n, words = words}\n"
             "end\n");
  auto r = sandbox_.CallRule("scripts/p.lua", "run", "hello world key=val");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, json::parse(R"({"a":7,"b":11,"k":"key","v":"val","n":2,
                                "words":["hello","world","key","val"]})"));
}

TEST(SandboxDagTest, ExponentialTableGraphCannotHangTheConversion) {
  Limits limits = FastLimits();
  Sandbox sandbox(limits);
  auto start = Clock::now();
  // 2^40 leaves if expanded; the conversion is budgeted and size-capped.
  auto r = sandbox.EvaluateExpression(
      "(function() local t = {} for i = 1, 40 do t = {t, t} end return t end)()", json::object(),
      "@dag");
  ASSERT_FALSE(r.ok());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  auto e = sandbox.EvaluateExpression(
      "(function() local t = {} for i = 1, 40 do t = {t, t} end return json.encode(t) end)()",
      json::object(), "@dag");
  ASSERT_FALSE(e.ok());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
}

TEST(SandboxLimitsConfigTest, LimitsAreReported) {
  Limits limits;
  limits.time_per_call = std::chrono::milliseconds(42);
  limits.memory_bytes = 3u << 20;
  Sandbox sandbox(limits);
  EXPECT_EQ(sandbox.limits().time_per_call.count(), 42);
  EXPECT_EQ(sandbox.limits().memory_bytes, 3u << 20);
  EXPECT_GT(sandbox.memory_in_use(), 0u);
  EXPECT_LT(sandbox.memory_in_use(), 1u << 20);

  Limits tiny;
  tiny.memory_bytes = 4096;
  EXPECT_THROW(Sandbox{tiny}, std::length_error);
}

}  // namespace
}  // namespace storeflow::script
