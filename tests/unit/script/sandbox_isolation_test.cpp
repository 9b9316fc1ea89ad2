// What scripts can reach, and what one call can leave behind for the next.

#include <gtest/gtest.h>

#include <lua.hpp>

#include <string>

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
