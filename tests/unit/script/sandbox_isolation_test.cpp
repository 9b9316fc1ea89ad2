// What scripts can reach, and what one call can leave behind for the next.

#include <gtest/gtest.h>

#include <lua.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "script/sandbox.h"
#include "script_test_util.h"

namespace storeflow::script {
namespace {

using nlohmann::json;
using testing::Contains;
using testing::FastLimits;
using testing::ScriptDir;

class SandboxIsolationTest : public ::testing::Test {
 protected:
  Result<json> Eval(const std::string& expr, const json& context = json::object()) {
    return sandbox_.EvaluateExpression(expr, context, "@workflows/iso.yaml:1");
  }
  json EvalOk(const std::string& expr, const json& context = json::object()) {
    auto r = Eval(expr, context);
    EXPECT_TRUE(r.ok()) << expr << ": " << r.status().ToString();
    return r.ok() ? *r : json("<error>");
  }

  Sandbox sandbox_{FastLimits()};
};

TEST_F(SandboxIsolationTest, EscapeHatchesAreAbsent) {
  for (const char* name :
       {"io", "os", "package", "debug", "coroutine", "require", "load", "loadfile", "dofile",
        "collectgarbage", "loadstring", "module", "warn", "setfenv", "getfenv", "newproxy"}) {
    EXPECT_EQ(EvalOk(std::string("type(") + name + ")"), "nil") << name;
  }
  EXPECT_EQ(EvalOk("type(string.dump)"), "nil");
  // What is allowed is there.
  for (const char* name :
       {"string",       "table",        "math",   "utf8",   "json",     "time",     "log",
        "pairs",        "ipairs",       "pcall",  "error",  "select",   "tostring", "tonumber",
        "setmetatable", "getmetatable", "rawget", "rawset", "rawequal", "rawlen",   "next",
        "type",         "assert",       "xpcall", "print",  "now"}) {
    EXPECT_NE(EvalOk(std::string("type(") + name + ")"), "nil") << name;
  }
  EXPECT_EQ(EvalOk("_VERSION"), "Lua 5.4");
}

TEST_F(SandboxIsolationTest, RequireAndOsFailWithReadableErrors) {
  auto r = Eval("require 'io'");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(),
                       "workflows/iso.yaml:1:1: attempt to call a nil value (global 'require')"))
      << r.status().message();
  auto o = Eval("os.execute('x')");
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(Contains(o.status().message(), "attempt to index a nil value (global 'os')"))
      << o.status().message();
}

TEST_F(SandboxIsolationTest, GlobalWritesDoNotLeakBetweenCalls) {
  EXPECT_EQ(EvalOk("(function() leaked = 42; return leaked end)()"), 42);
  EXPECT_TRUE(EvalOk("leaked").is_null());
  EXPECT_EQ(EvalOk("(function() _G.viaG = 1; return viaG end)()"), 1);
  EXPECT_TRUE(EvalOk("viaG").is_null());
  // Shadowing a base function is per call too.
  EXPECT_EQ(EvalOk("(function() pairs = 5; return type(pairs) end)()"), "number");
  EXPECT_EQ(EvalOk("type(pairs)"), "function");
}

TEST_F(SandboxIsolationTest, SetmetatableOnGlobalsIsRefusedAndDoesNotLeak) {
  auto r = Eval("setmetatable(_G, {__index = function() return 1 end})");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "cannot change a protected metatable"))
      << r.status().message();
  EXPECT_EQ(EvalOk("select(2, pcall(setmetatable, _G, {__index = function() return 1 end}))"),
            "cannot change a protected metatable");
  EXPECT_TRUE(EvalOk("undefined_name").is_null());
  EXPECT_EQ(EvalOk("getmetatable(_G)"), false);
}

TEST_F(SandboxIsolationTest, LibrariesAreReadOnly) {
  auto r = Eval("(function() string.upper = nil end)()");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(
      Contains(r.status().message(), "attempt to modify read-only table 'string' (field 'upper')"))
      << r.status().message();
  EXPECT_EQ(EvalOk("select(2, pcall(rawset, string, 'upper', 5))"),
            "attempt to modify read-only table 'string' (field 'upper')");
  EXPECT_FALSE(EvalOk("pcall(table.insert, math, 1)").get<bool>());
  EXPECT_FALSE(EvalOk("pcall(function() json.null = 1 end)").get<bool>());
  EXPECT_FALSE(EvalOk("pcall(function() time.now = function() return 0 end end)").get<bool>());
  EXPECT_FALSE(EvalOk("pcall(setmetatable, string, {})").get<bool>());
  EXPECT_EQ(EvalOk("getmetatable(math)"), false);
  // ... and still intact afterwards.
  EXPECT_EQ(EvalOk("string.upper('a') .. ('b'):upper()"), "AB");
  EXPECT_EQ(EvalOk("math.max(1, 5)"), 5);
  // Reading them works as usual, including iteration and #.
  EXPECT_EQ(EvalOk("(function() local n = 0 for k, v in pairs(math) do n = n + 1 end "
                   "return n > 20 end)()"),
            true);
  EXPECT_EQ(EvalOk("type(string.format)"), "function");
  // Iterating hands out nothing writable: the state pairs returns is the proxy.
  EXPECT_TRUE(Contains(EvalOk("(function() local _, s = pairs(math) return "
                              "select(2, pcall(function() s.max = math.min end)) end)()")
                           .get<std::string>(),
                       "attempt to modify read-only table 'math' (field 'max')"));
  // ... and the state afterwards, in a later call, is as before.
  EXPECT_EQ(EvalOk("math.max(1, 5)"), 5);
  EXPECT_EQ(EvalOk("string.upper('a') .. ('b'):upper()"), "AB");
}

// One attack per library: reach the real table through pairs (the state it
// returns, and the iterator called with a table of the script's choosing),
// next and rawget, then write to it. A later call must see the library as before.
struct LibraryAttack {
  const char* library;
  const char* field;  // a function the attack replaces
  const char* check;  // an expression over the library, evaluated in a later call
  json expected;
};

class LibraryAttackTest : public SandboxIsolationTest,
                          public ::testing::WithParamInterface<LibraryAttack> {};

TEST_P(LibraryAttackTest, PairsNextAndRawgetDoNotHandOutTheRealTable) {
  const LibraryAttack& a = GetParam();
  const std::string lib = a.library;
  const std::string field = a.field;
  std::vector<std::string> lines;
  sandbox_.set_log_sink(
      [&](LogLevel, std::string_view, std::string_view m) { lines.emplace_back(m); });
  ASSERT_EQ(EvalOk(a.check), a.expected) << "before the attack";
  const std::string pwned = "function() return 'pwned' end";
  const std::string attack =
      "(function()\n"
      "  local targets = {}\n"
      "  local f, s = pairs(" +
      lib +
      ")\n"
      "  targets[#targets + 1] = s\n"
      "  local seen = {}\n"
      "  f(seen, nil)\n"  // the iterator, with a state of the script's choosing
      "  targets[#targets + 1] = seen\n"
      "  for k, v in pairs(" +
      lib +
      ") do\n"
      "    if type(v) == 'table' then targets[#targets + 1] = v end\n"
      "  end\n"
      "  local k, v = next(" +
      lib +
      ")\n"
      "  if type(v) == 'table' then targets[#targets + 1] = v end\n"
      "  local raw = rawget(" +
      lib + ", '" + field +
      "')\n"
      "  if type(raw) == 'table' then targets[#targets + 1] = raw end\n"
      "  local written = 0\n"
      "  for _, t in ipairs(targets) do\n"
      "    if pcall(function() t." +
      field + " = " + pwned +
      " end) then written = written + 1 end\n"
      "    if pcall(rawset, t, '" +
      field + "', " + pwned +
      ") then written = written + 1 end\n"
      "    pcall(function() t.extra = 'pwned' end)\n"
      "  end\n"
      "  return written\n"
      "end)()";
  auto r = Eval(attack);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Writing to `seen` (the script's own table) is allowed; nothing else is.
  EXPECT_EQ(*r, 2) << "writes that went through";
  // A later call sees the library as it was.
  EXPECT_EQ(EvalOk(a.check), a.expected) << "after the attack";
  EXPECT_TRUE(EvalOk(lib + ".extra").is_null());
  EXPECT_EQ(EvalOk("type(" + lib + "." + field + ")"), "function");
  EXPECT_EQ(EvalOk("(function() for k, v in pairs(" + lib + ") do if " + lib +
                   "[k] ~= v or v == 'pwned' then return k end end return 'same' end)()"),
            "same");
}

INSTANTIATE_TEST_SUITE_P(
    Libraries, LibraryAttackTest,
    ::testing::Values(
        LibraryAttack{"string", "upper", "string.upper('a') .. ('b'):upper() .. ('c').upper('c')",
                      "ABC"},
        LibraryAttack{"table", "concat", "table.concat({1, 2}, ',')", "1,2"},
        LibraryAttack{"math", "floor", "math.floor(2.5) + math.floor(math.pi)", 5},
        LibraryAttack{"utf8", "char", "utf8.char(72, 105)", "Hi"},
        LibraryAttack{"json", "encode", "json.encode({1, json.null})", "[1,null]"},
        LibraryAttack{"time", "duration", "time.duration('1m') + time.now()", 60},
        LibraryAttack{"log", "info", "select('#', log.info('x')) + select('#', log.warn('y'))", 0}),
    [](const ::testing::TestParamInfo<LibraryAttack>& param) {
      return std::string(param.param.library);
    });

TEST_F(SandboxIsolationTest, IterationStillSeesEveryLibraryField) {
  // pairs over a proxy yields the real library's keys and values.
  EXPECT_EQ(EvalOk("(function() local n, same = 0, true for k, v in pairs(string) do "
                   "n = n + 1 same = same and string[k] == v and ('')[k] == v end "
                   "return n >= 15 and same end)()"),
            true);
  EXPECT_EQ(EvalOk("(function() for k, v in pairs(json) do if k == 'null' then "
                   "return v == json.null end end end)()"),
            true);
  // The iterator is `next`-like: it can be called by hand.
  EXPECT_EQ(EvalOk("(function() local f, s, k = pairs(utf8) local key = f(s, k) "
                   "return type(key) == 'string' and utf8[key] ~= nil end)()"),
            true);
}

TEST_F(SandboxIsolationTest, StringMetatableIsHidden) {
  EXPECT_EQ(EvalOk("getmetatable('')"), false);
  EXPECT_FALSE(EvalOk("pcall(function() getmetatable('').__index.upper = nil end)").get<bool>());
  EXPECT_EQ(EvalOk("('x'):rep(3)"), "xxx");
  EXPECT_EQ(EvalOk("type(('x').dump)"), "nil");
}

TEST_F(SandboxIsolationTest, FinalizersAreRefused) {
  auto r = Eval("setmetatable({}, {__gc = function() while true do end end})");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "__gc metamethods are not allowed"))
      << r.status().message();
  // Other metatables are fine.
  EXPECT_EQ(EvalOk("setmetatable({}, {__index = function(t, k) return k .. '!' end}).hi"), "hi!");
}

TEST_F(SandboxIsolationTest, XpcallWorksAsUsual) {
  EXPECT_EQ(EvalOk("select(2, xpcall(function() error('boom', 0) end, "
                   "function(m) return 'handled: ' .. m end))"),
            "handled: boom");
  EXPECT_EQ(EvalOk("select('#', xpcall(function(a, b) return a, b, 3 end, print, 1, 2))"), 4);
  EXPECT_EQ(EvalOk("select(2, xpcall(function(a) return a * 2 end, print, 21))"), 42);
  // An error inside the handler is an error in error handling, as in stock Lua.
  EXPECT_FALSE(EvalOk("xpcall(error, function() error('again') end)").get<bool>());
}

TEST_F(SandboxIsolationTest, PrintGoesToTheLog) {
  std::vector<std::string> lines;
  sandbox_.set_log_sink(
      [&](LogLevel, std::string_view, std::string_view m) { lines.emplace_back(m); });
  EvalOk("print('a', 1, nil)");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "a 1 nil");
}

TEST(SandboxRuleIsolationTest, RuleGlobalsAreFreshPerCall) {
  ScriptDir dir;
  dir.Write("scripts/counter.lua",
            "local calls = 0\n"
            "helper_value = 10\n"
            "function bump(input)\n"
            "  counter = (counter or 0) + 1\n"
            "  helper_value = helper_value + 1\n"
            "  return {counter = counter, helper = helper_value}\n"
            "end\n"
            "function poison() setmetatable = 1; string = 'x'; return true end\n"
            "function check() return type(setmetatable) .. type(string) end\n");
  Sandbox sandbox(FastLimits());
  sandbox.set_script_root(dir.root());
  for (int i = 0; i < 3; ++i) {
    auto r = sandbox.CallRule("scripts/counter.lua", "bump", json::object());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)["counter"], 1);
    EXPECT_EQ((*r)["helper"], 11);  // the top-level global is read, the write is per call
  }
  ASSERT_TRUE(sandbox.CallRule("scripts/counter.lua", "poison", json::object()).ok());
  auto c = sandbox.CallRule("scripts/counter.lua", "check", json::object());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, "functiontable");
}

// FastLimits with room for copying megabytes on a loaded machine under ASan.
Limits HoardLimits() {
  Limits l = FastLimits();
  l.time_per_call = std::chrono::seconds(10);
  return l;
}

TEST(SandboxHoardingTest, ARuleThatKeepsGrowingStateCannotStarveOtherCalls) {
  // A rule that keeps half a MiB per call in a top-level table and one in a
  // top-level upvalue string would, without a guard, fill the 16 MiB state
  // after a dozen calls; from then on every call on this worker fails.
  ScriptDir dir;
  dir.Write("scripts/hoard.lua",
            "local kept = {}\n"
            "local text = ''\n"
            "function grow(input)\n"
            "  kept[#kept + 1] = string.rep('x', 256 * 1024) .. #kept\n"
            "  text = text .. string.rep('y', 256 * 1024)\n"
            "  return #kept\n"
            "end\n");
  dir.Write("scripts/other.lua",
            "local WEIGHTS = {a = 1}\n"
            "function need(input) return #string.rep('z', input.bytes) + WEIGHTS.a end\n");
  Sandbox sandbox(HoardLimits());
  sandbox.set_script_root(dir.root());
  std::vector<std::string> warnings;
  sandbox.set_log_sink([&](LogLevel level, std::string_view source, std::string_view m) {
    if (level == LogLevel::kWarn) warnings.push_back(std::string(source) + ": " + std::string(m));
  });
  const json need = {{"bytes", 3 << 20}};  // about 6 MiB at its peak (buffer + string)
  int most_kept = 0;
  bool restarted = false;
  for (int i = 0; i < 60; ++i) {
    auto g = sandbox.CallRule("scripts/hoard.lua", "grow", json::object());
    ASSERT_TRUE(g.ok()) << "call " << i << ": " << g.status().ToString();
    restarted = restarted || g->get<int>() < most_kept;
    most_kept = std::max(most_kept, g->get<int>());
    auto o = sandbox.CallRule("scripts/other.lua", "need", need);
    ASSERT_TRUE(o.ok()) << "call " << i << ": " << o.status().ToString();
    EXPECT_EQ(*o, (3 << 20) + 1);
    auto e = sandbox.EvaluateExpression("#string.rep('w', 3 * 1024 * 1024)", json::object(),
                                        "@workflows/victim.yaml:3");
    ASSERT_TRUE(e.ok()) << "call " << i << ": " << e.status().ToString();
  }
  // The hoarder's state was dropped (its top level ran again), and it was named.
  EXPECT_TRUE(restarted);
  EXPECT_LT(most_kept, 20);
  EXPECT_LE(sandbox.memory_in_use(), std::size_t{8} << 20);
  ASSERT_FALSE(warnings.empty());
  EXPECT_TRUE(Contains(warnings[0], "scripts/hoard.lua: the Lua state kept ")) << warnings[0];
  EXPECT_TRUE(Contains(warnings[0], "the cached state of scripts/hoard.lua was dropped"))
      << warnings[0];
}

TEST(SandboxHoardingTest, StateWithinTheShareIsKept) {
  // Below half the memory cap nothing is dropped: the top level runs once.
  ScriptDir dir;
  dir.Write("scripts/count.lua",
            "local kept = {}\n"
            "function grow(input) kept[#kept + 1] = #kept return #kept end\n");
  Sandbox sandbox(HoardLimits());
  sandbox.set_script_root(dir.root());
  for (int i = 1; i <= 200; ++i) {
    auto r = sandbox.CallRule("scripts/count.lua", "grow", json::object());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(*r, i);
  }
}

TEST(SandboxHoardingTest, AFailedCallKeepsNothingAlive) {
  // A call that raises leaves its globals (and its context: secrets included)
  // to the collector, like a call that returns: the cached chunk does not keep
  // them. Otherwise 9 MiB would stay alive here, more than half the 16 MiB cap,
  // and the guard would have to drop the caches.
  ScriptDir dir;
  dir.Write("scripts/fail.lua",
            "function fail(input) big = {} for i = 1, 9 do big[i] = ('x'):rep(1 << 20) .. i end "
            "error('boom') end\n");
  Sandbox sandbox(HoardLimits());
  sandbox.set_script_root(dir.root());
  std::vector<std::string> warnings;
  sandbox.set_log_sink([&](LogLevel level, std::string_view, std::string_view m) {
    if (level == LogLevel::kWarn) warnings.emplace_back(m);
  });
  auto e = sandbox.EvaluateExpression(
      "(function() big = {} for i = 1, 9 do big[i] = ('x'):rep(1 << 20) .. i end "
      "error('boom') end)()",
      json::object(), "@workflows/fail.yaml:1");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(Contains(e.status().message(), "boom")) << e.status().message();
  auto r = sandbox.CallRule("scripts/fail.lua", "fail", json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "boom")) << r.status().message();
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  EXPECT_LE(sandbox.memory_in_use(), std::size_t{8} << 20);
  // And the rule's functions still see the globals of its top level.
  dir.Write("scripts/globals.lua",
            "LIMIT = 3\n"
            "function boom(input) LIMIT = 4 error('x') end\n"
            "function limit(input) return LIMIT end\n");
  ASSERT_FALSE(sandbox.CallRule("scripts/globals.lua", "boom", json::object()).ok());
  auto l = sandbox.CallRule("scripts/globals.lua", "limit", json::object());
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(*l, 3);
}

TEST(SandboxLogRedactionTest, LogRedactsTheSecretsOfTheContext) {
  Sandbox sandbox(FastLimits());
  std::vector<std::string> lines;
  sandbox.set_log_sink(
      [&](LogLevel, std::string_view, std::string_view m) { lines.emplace_back(m); });
  const json context = {{"secrets", {{"API", "tok-123456"}, {"SHORT", "tok"}}},
                        {"event", {{"id", 7}}}};
  auto r = sandbox.EvaluateExpression(
      "(function() log.info('auth', secrets.API, 'short', secrets.SHORT) "
      "log.warn('Bearer ' .. secrets.API .. '!') print(secrets.API) "
      "log.error(string.rep('a', 4090) .. secrets.API) return event.id end)()",
      context, "@workflows/pay.yaml:9");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 7);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "auth *** short ***");
  EXPECT_EQ(lines[1], "Bearer ***!");
  EXPECT_EQ(lines[2], "***");
  // Redacted before the 4 KiB cut (4100 bytes, 4093 once redacted): no prefix
  // of the secret is left at the edge.
  EXPECT_EQ(lines[3], std::string(4090, 'a') + "***");
  for (const auto& line : lines) EXPECT_FALSE(Contains(line, "tok")) << line;
}

TEST(SandboxBinaryChunkTest, BytecodeFilesAreRefused) {
  // Real bytecode, produced by a plain Lua state outside the sandbox.
  lua_State* plain = luaL_newstate();
  ASSERT_EQ(luaL_loadstring(plain, "function evil() return 1 end"), LUA_OK);
  std::string bytecode;
  lua_dump(
      plain,
      [](lua_State*, const void* p, size_t n, void* ud) {
        static_cast<std::string*>(ud)->append(static_cast<const char*>(p), n);
        return 0;
      },
      &bytecode, 0);
  lua_close(plain);
  ASSERT_EQ(bytecode.substr(0, 4), "\x1bLua");

  ScriptDir dir;
  dir.Write("scripts/evil.lua", bytecode);
  dir.Write("scripts/fake.lua", "\x1bLua garbage");
  Sandbox sandbox(FastLimits());
  sandbox.set_script_root(dir.root());
  for (const char* path : {"scripts/evil.lua", "scripts/fake.lua"}) {
    auto r = sandbox.CallRule(path, "evil", json::object());
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(r.status().message(), path)) << r.status().message();
    EXPECT_TRUE(Contains(r.status().message(), "binary chunk")) << r.status().message();
  }
  EXPECT_FALSE(CheckChunkSyntax(bytecode, "@scripts/evil.lua").ok());
  // And a script cannot make or load bytecode itself.
  auto l = sandbox.EvaluateExpression("load or string.dump", json::object(), "@x");
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->is_null());
}

}  // namespace
}  // namespace storeflow::script
