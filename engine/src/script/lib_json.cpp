// json.encode / json.decode / json.null / json.array.

#include <cstring>
#include <string>

#include "script/json_bridge.h"
#include "script/script_context.h"
#include "script/script_libs.h"

namespace storeflow::script {
namespace {

// Inputs larger than this are refused: the parse tree lives in C++ memory,
// outside the state's memory cap.
constexpr std::size_t kMaxDecodeBytes = 1u << 20;

// Converts the value at index 1 and dumps it into ctx->scratch; on failure
// ctx->scratch holds the message. The conversion is budgeted (a table graph
// with shared subtables can expand exponentially).
bool EncodeToScratch(lua_State* L, ScriptContext* ctx, std::size_t max_bytes) noexcept {
  ToJsonOptions options;
  options.array_metatable = ctx->array_metatable;
  options.budget = &ctx->budget;
  options.max_bytes = max_bytes;
  bool ok = LuaToJson(L, 1, options, &ctx->scratch_json, &ctx->scratch);
  try {
    if (ok) ctx->scratch = ctx->scratch_json.dump();
  } catch (const std::exception& e) {
    AssignNoThrow(&ctx->scratch, e.what(), std::strlen(e.what()));
    ok = false;
  } catch (...) {
    AssignNoThrow(&ctx->scratch, "out of memory", 13);
    ok = false;
  }
  ctx->scratch_json = nullptr;
  return ok;
}

// Parses [s, s+n) into ctx->scratch_json; on failure ctx->scratch holds the message.
bool DecodeToScratch(ScriptContext* ctx, const char* s, std::size_t n) noexcept {
  try {
    ctx->scratch_json = nlohmann::json::parse(s, s + n);
    return true;
  } catch (const nlohmann::json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at ..."
    const char* what = e.what();
    const char* close = std::strchr(what, ']');
    const char* text = (what[0] == '[' && close != nullptr) ? close + 2 : what;
    if (close != nullptr && close[1] == '\0') text = what;
    AssignNoThrow(&ctx->scratch, text, std::strlen(text));
  } catch (...) {
    AssignNoThrow(&ctx->scratch, "out of memory", 13);
  }
  ctx->scratch_json = nullptr;
  return false;
}

int Encode(lua_State* L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  ScriptContext* ctx = ScriptContext::Get(L);
  if (!EncodeToScratch(L, ctx, ctx->max_json_bytes)) {
    if (ctx->budget.tripped() != LimitKind::kNone) ctx->budget.Raise(L);
    luaL_where(L, 1);
    lua_pushliteral(L, "json.encode: ");
    lua_pushlstring(L, ctx->scratch.data(), ctx->scratch.size());
    lua_concat(L, 3);
    return lua_error(L);
  }
  lua_pushlstring(L, ctx->scratch.data(), ctx->scratch.size());
  ctx->scratch.clear();
  return 1;
}

int Decode(lua_State* L) {
  std::size_t n = 0;
  const char* s = luaL_checklstring(L, 1, &n);
  if (n > kMaxDecodeBytes) {
    return luaL_error(L, "json.decode: input of %I bytes is larger than the limit of %I bytes",
                      static_cast<lua_Integer>(n), static_cast<lua_Integer>(kMaxDecodeBytes));
  }
  ScriptContext* ctx = ScriptContext::Get(L);
  if (!DecodeToScratch(ctx, s, n)) {
    luaL_where(L, 1);
    lua_pushliteral(L, "json.decode: ");
    lua_pushlstring(L, ctx->scratch.data(), ctx->scratch.size());
    lua_concat(L, 3);
    return lua_error(L);
  }
  // On a Lua error inside PushJson the tree stays in scratch_json until the
  // next decode: nothing leaks and no destructor is skipped.
  PushJson(L, ctx->scratch_json, ctx->push_options(), "json.decode");
  ctx->scratch_json = nullptr;
  return 1;
}

// json.array([t]): marks t (or a new table) as a JSON array.
int Array(lua_State* L) {
  ScriptContext* ctx = ScriptContext::Get(L);
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
  }
  if (lua_getmetatable(L, 1)) {
    if (lua_topointer(L, -1) != ctx->array_metatable) {
      return luaL_error(L, "json.array: the table already has a metatable");
    }
    lua_pop(L, 1);
    return 1;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->array_metatable_ref);
  lua_setmetatable(L, 1);
  return 1;
}

}  // namespace

void PushJsonLibrary(lua_State* L) {
  static const luaL_Reg kFunctions[] = {{"encode", Encode},
                                        {"decode", Decode},
                                        {"array", Array},
                                        {"null", nullptr},
                                        {nullptr, nullptr}};
  luaL_newlib(L, kFunctions);
  PushJsonNull(L);
  lua_setfield(L, -2, "null");
}

}  // namespace storeflow::script
