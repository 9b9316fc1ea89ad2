// The budgeted string.find/match/gmatch/gsub must behave exactly like Lua's own:
// every case runs through a plain Lua state (stock string library) and through
// the sandbox, and the printed results (or error messages) must be identical.

#include <gtest/gtest.h>

#include <lua.hpp>

#include <string>
#include <utility>
#include <vector>

#include "script/sandbox.h"
#include "script_test_util.h"

namespace storeflow::script {
namespace {

using nlohmann::json;

// Runs every pattern function on (s, p) and prints the results, one per line.
// Error positions ("chunk:1: ") are stripped: the chunk names differ.
constexpr const char* kProbe = R"lua((function()
  local function show(...)
    local out = {}
    for i = 1, select('#', ...) do
      local v = select(i, ...)
      out[#out + 1] = type(v) == 'string' and ('"' .. v:gsub('^[^:]*:%d+: ', '') .. '"')
                      or tostring(v)
    end
    return table.concat(out, ' ')
  end
  local r = {}
  r[#r + 1] = show(pcall(string.find, s, p))
  r[#r + 1] = show(pcall(string.find, s, p, 3))
  r[#r + 1] = show(pcall(string.find, s, p, -3))
  r[#r + 1] = show(pcall(string.find, s, p, 100))
  r[#r + 1] = show(pcall(string.find, s, p, 1, true))
  r[#r + 1] = show(pcall(string.match, s, p))
  r[#r + 1] = show(pcall(string.match, s, p, 2))
  r[#r + 1] = show(pcall(string.gsub, s, p, '<%0>'))
  r[#r + 1] = show(pcall(string.gsub, s, p, '[%1]', 2))
  r[#r + 1] = show(pcall(string.gsub, s, p, '%%'))
  r[#r + 1] = show(pcall(string.gsub, s, p, function(a, b) if a == 'x' then return false end
                                              return a and (tostring(a) .. '!' .. tostring(b)) end))
  r[#r + 1] = show(pcall(string.gsub, s, p, {a = 'A', b = 'B', ['1'] = 'one'}))
  r[#r + 1] = show(pcall(string.gsub, s, p, '%2'))
  r[#r + 1] = show(pcall(string.gsub, s, p, '%x'))
  r[#r + 1] = show(pcall(function()
    local all = {}
    for a, b in string.gmatch(s, p) do all[#all + 1] = tostring(a) .. '/' .. tostring(b) end
    return table.concat(all, ',')
  end))
  r[#r + 1] = show(pcall(function()
    local all = {}
    for a in string.gmatch(s, p, 2) do all[#all + 1] = tostring(a) end
    return table.concat(all, ',')
  end))
  return table.concat(r, '\n')
end)())lua";

std::string RunStock(const std::string& s, const std::string& p) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  lua_pushlstring(L, s.data(), s.size());
  lua_setglobal(L, "s");
  lua_pushlstring(L, p.data(), p.size());
  lua_setglobal(L, "p");
  std::string code = std::string("return ") + kProbe;
  std::string out;
  if (luaL_dostring(L, code.c_str()) == LUA_OK) {
    std::size_t len = 0;
    const char* text = lua_tolstring(L, -1, &len);
    out.assign(text, len);
  } else {
    out = std::string("probe failed: ") + lua_tostring(L, -1);
  }
  lua_close(L);
  return out;
}

std::string RunSandboxed(Sandbox& sandbox, const std::string& s, const std::string& p) {
  auto r = sandbox.EvaluateExpression(kProbe, json{{"s", s}, {"p", p}}, "@probe");
  if (!r.ok()) return "probe failed: " + r.status().message();
  return r->get<std::string>();
}

TEST(LuaPatternTest, BehavesLikeStockLua) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"hello world", "o"},
      {"hello world", "o w"},
      {"hello world", "l+"},
      {"hello world", "l*"},
      {"hello world", "l-o"},
      {"hello world", "x?l"},
      {"hello world", "^h"},
      {"hello world", "^w"},
      {"hello world", "d$"},
      {"hello world", "o$w"},
      {"hello world", "(o)(r)"},
      {"hello world", "()ll()"},
      {"hello world", "(h)(e)(l)(l)(o)"},
      {"hello world", "%a+"},
      {"hello world", "%A"},
      {"key = value; k2=v2", "(%w+)%s*=%s*(%w+)"},
      {"THE (quick) fox", "%f[%a]%a+"},
      {"THE (quick) fox", "%f[%l]%a+"},
      {"THE (quick) fox", "%b()"},
      {"f(a(b)c)d)", "%b()"},
      {"abcabc", "(abc)%1"},
      {"abab", "(a)(b)%2"},
      {"x = [[long]]", "%[(=*)%[(.-)%]%1%]"},
      {"a.b-c+d", "[%.%-+]"},
      {"a]b^c", "[]^]"},
      {"a-z", "[a%-z]"},
      {"abc123", "[^%d]+"},
      {"abc123", "[a-c1-2]+"},
      {"", ""},
      {"abc", ""},
      {"abc", ".-"},
      {"abc", "a*"},
      {"aaa", "a-b"},
      {"one two  three", "%s*"},
      {std::string("x\0y", 3), "%z"},
      {"tab\there", "%c"},
      {"MiXeD", "%u%l"},
      {"0x1F", "%x+"},
      {"a,b,,c", "([^,]*)"},
      {"a+b", "a+b"},
      {"hello", "(l)(l)"},
      {"hello", "(h)(.)"},
      // Errors must match too.
      {"abc", "%"},
      {"abc", "[a"},
      {"abc", "(a"},
      {"abc", "a)"},
      {"abc", "%1"},
      {"abc", "%f"},
      {"abc", "%fa"},
      {"abc", "%b"},
      {"abc", "(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))"},
      {"abc", "(()"},
  };
  Sandbox sandbox(testing::FastLimits());
  for (const auto& [s, p] : cases) {
    std::string stock = RunStock(s, p);
    ASSERT_EQ(stock.find("probe failed"), std::string::npos) << stock;
    EXPECT_EQ(RunSandboxed(sandbox, s, p), stock)
        << "subject \"" << s << "\" pattern \"" << p << "\"";
  }
}

TEST(LuaPatternTest, PatternTooComplexLikeStockLua) {
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "a?";
  Sandbox sandbox(testing::FastLimits());
  std::string subject(300, 'a');
  std::string stock = RunStock(subject, deep);
  EXPECT_EQ(RunSandboxed(sandbox, subject, deep), stock);
  EXPECT_NE(stock.find("pattern too complex"), std::string::npos) << stock;
}

}  // namespace
}  // namespace storeflow::script
