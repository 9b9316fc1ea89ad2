#include "script/sandbox_env.h"

#include "script/json_bridge.h"
#include "script/lib_guards.h"
#include "script/lua_pattern.h"
#include "script/script_context.h"
#include "script/script_libs.h"

namespace storeflow::script {
namespace {

// Base functions scripts may use as they are.
constexpr const char* kAllowedBase[] = {"assert", "error",    "getmetatable", "ipairs", "next",
                                        "pairs",  "pcall",    "rawequal",     "rawget", "rawlen",
                                        "select", "tonumber", "tostring",     "type",   "_VERSION"};

// Removed from the state's own globals as well, in case anything ever runs with them.
constexpr const char* kRemovedBase[] = {"dofile",         "loadfile", "load", "require",
                                        "collectgarbage", "warn",     "print"};

int DenyWrite(lua_State* L) {
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__name");
  const char* name = lua_tostring(L, -1);
  if (lua_type(L, 2) == LUA_TSTRING) {
    return luaL_error(L, "attempt to modify read-only table '%s' (field '%s')",
                      name != nullptr ? name : "?", lua_tostring(L, 2));
  }
  return luaL_error(L, "attempt to modify read-only table '%s'", name != nullptr ? name : "?");
}

bool IsReadOnlyProxy(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return false;
  lua_pushliteral(L, "__newindex");
  lua_rawget(L, -2);
  bool frozen = lua_tocfunction(L, -1) == DenyWrite;
  lua_pop(L, 2);
  return frozen;
}

// The iterator pairs(proxy) returns: `next` over the real table, which it holds
// as its upvalue (scripts have no debug library, so they cannot read it). Its
// first argument is ignored: the script only ever sees the proxy as the
// iteration state, never the real table.
int FrozenNext(lua_State* L) {
  lua_settop(L, 2);
  if (lua_next(L, lua_upvalueindex(1)) != 0) return 2;
  lua_pushnil(L);
  return 1;
}

// __pairs of a proxy: returns FrozenNext (bound to the real table, upvalue 1),
// the proxy itself and nil. Handing out the real table here would let a script
// rewrite the library for every later call: `local _, s = pairs(string);
// s.upper = f` (the string metatable's __index is that same table).
int ProxyPairs(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

int ProxyLen(lua_State* L) {
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__index");
  lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, -1)));
  return 1;
}

// setmetatable without finalizers: a __gc would run during some later
// collection, outside any call's budget (an endless __gc would hang the worker).
int SafeSetmetatable(lua_State* L) {
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) {
    return luaL_error(L, "cannot change a protected metatable");
  }
  if (t == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) {
      return luaL_error(L, "setmetatable: __gc metamethods are not allowed in the sandbox");
    }
    lua_pop(L, 1);
  }
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

// The message handler xpcall installs around the script's handler. Lua calls a
// message handler at the point of the error, before unwinding; when the error
// was raised by the budget's count hook, that is still inside the hook, where
// hooks are disabled, so a script handler that loops would never be stopped.
// Once the budget has tripped, the script's handler is therefore skipped and the
// limit error passes through unchanged (it is raised again anyway).
int XpcallHandler(lua_State* L) {
  ScriptContext* ctx = ScriptContext::Get(L);
  if (ctx != nullptr && ctx->budget.tripped() != LimitKind::kNone) return 1;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// xpcall(f, handler, ...) as in lbaselib.c, with the handler wrapped.
int SafeXpcall(lua_State* L) {
  int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, XpcallHandler, 1);
  lua_replace(L, 2);
  lua_pushboolean(L, 1);  // the first result
  lua_pushvalue(L, 1);    // the function
  lua_rotate(L, 3, 2);    // both below the function's arguments
  if (lua_pcall(L, n - 2, LUA_MULTRET, 2) != LUA_OK) {
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2);
    return 2;
  }
  return lua_gettop(L) - 2;
}

// rawset that refuses the read-only library proxies (raw writes bypass __newindex).
int SafeRawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (IsReadOnlyProxy(L, 1)) return DenyWrite(L);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

// Replaces the table at the top with a read-only proxy for it named `name`.
// Nothing a script can do with the proxy yields the real table: reads go
// through __index (a table: values only), pairs through FrozenNext, raw
// accesses see the empty proxy, writes and setmetatable are refused. Tables
// nested in the library become proxies too, so every value reachable from it is
// a function, a number, a string, a boolean or a light userdata.
void MakeProxy(lua_State* L, const char* name) {
  luaL_checkstack(L, 8, "building the sandbox");
  int real = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, real) != 0) {
    if (lua_type(L, -1) == LUA_TTABLE && !IsReadOnlyProxy(L, -1)) {
      lua_pushvalue(L, -2);  // a copy of the key: lua_tostring converts in place
      const char* key = lua_tostring(L, -1);
      const char* nested = lua_pushfstring(L, "%s.%s", name, key != nullptr ? key : "?");
      lua_remove(L, -2);
      lua_pushvalue(L, -2);
      MakeProxy(L, nested);
      lua_pushvalue(L, -4);  // the key
      lua_insert(L, -2);
      lua_rawset(L, real);  // an existing key: next still works
      lua_pop(L, 1);        // the name
    }
    lua_pop(L, 1);
  }
  lua_createtable(L, 0, 0);  // the proxy
  lua_createtable(L, 0, 6);  // its metatable
  lua_pushvalue(L, real);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, DenyWrite);
  lua_setfield(L, -2, "__newindex");
  lua_pushvalue(L, real);
  lua_pushcclosure(L, FrozenNext, 1);
  lua_pushcclosure(L, ProxyPairs, 1);
  lua_setfield(L, -2, "__pairs");
  lua_pushcfunction(L, ProxyLen);
  lua_setfield(L, -2, "__len");
  lua_pushstring(L, name);
  lua_setfield(L, -2, "__name");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");  // getmetatable(proxy) == false
  lua_setmetatable(L, -2);
  lua_replace(L, real);
}

int NullToString(lua_State* L) {
  lua_pushliteral(L, "null");
  return 1;
}

}  // namespace

void PushEnvironmentMetatable(lua_State* L, int index_idx) {
  index_idx = lua_absindex(L, index_idx);
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, index_idx);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");  // getmetatable(_G) == false; setmetatable(_G) refused
}

void PushEnvironment(lua_State* L, int metatable_ref, int size_hint) {
  lua_createtable(L, 0, size_hint + 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, metatable_ref);
  lua_setmetatable(L, -2);
  lua_pushliteral(L, "_G");
  lua_pushvalue(L, -2);
  lua_rawset(L, -3);
}

SandboxRefs BuildSandbox(lua_State* L, ScriptContext* ctx) {
  luaL_checkstack(L, 16, "building the sandbox");
  int top = lua_gettop(L);
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  int globals = lua_gettop(L);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
  int string_lib = lua_gettop(L);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
  int utf8_lib = lua_gettop(L);
  int table_lib = utf8_lib - 2;
  int math_lib = utf8_lib - 1;

  // The string library: no dump (bytecode), budgeted pattern functions, and a
  // string metatable that getmetatable("") does not expose (its __index is the
  // real library table, which scripts therefore cannot reach or modify).
  lua_pushnil(L);
  lua_setfield(L, string_lib, "dump");
  InstallBudgetedPatternFunctions(L, string_lib);
  InstallLibraryGuards(L, string_lib, table_lib);
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);

  ctx->strings.Create(L);

  // JSON arrays' marker metatable.
  ctx->array_metatable_ref = CreateArrayMetatable(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->array_metatable_ref);
  ctx->array_metatable = lua_topointer(L, -1);
  lua_pop(L, 1);
  // json.null is a light userdata; give light userdata a metatable so that
  // tostring(json.null) is "null".
  PushJsonNull(L);
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, NullToString);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "json.null");
  lua_setfield(L, -2, "__name");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_pop(L, 1);

  // The sandbox base.
  lua_createtable(L, 0, 32);
  int base = lua_gettop(L);
  for (const char* name : kAllowedBase) {
    lua_getfield(L, globals, name);
    lua_setfield(L, base, name);
  }
  lua_pushcfunction(L, SafeSetmetatable);
  lua_setfield(L, base, "setmetatable");
  lua_pushcfunction(L, SafeRawset);
  lua_setfield(L, base, "rawset");
  lua_pushcfunction(L, SafeXpcall);
  lua_setfield(L, base, "xpcall");
  lua_pushcfunction(L, LuaPrint);
  lua_setfield(L, base, "print");
  lua_pushcfunction(L, LuaTimeNow);
  lua_setfield(L, base, "now");

  struct Lib {
    const char* name;
    int index;  // 0: push with the helper instead
    void (*push)(lua_State*);
  };
  const Lib libs[] = {{"string", string_lib, nullptr}, {"table", table_lib, nullptr},
                      {"math", math_lib, nullptr},     {"utf8", utf8_lib, nullptr},
                      {"json", 0, PushJsonLibrary},    {"time", 0, PushTimeLibrary},
                      {"log", 0, PushLogLibrary}};
  for (const Lib& lib : libs) {
    if (lib.push != nullptr) {
      lib.push(L);
    } else {
      lua_pushvalue(L, lib.index);
    }
    MakeProxy(L, lib.name);
    lua_setfield(L, base, lib.name);
  }

  for (const char* name : kRemovedBase) {
    lua_pushnil(L);
    lua_setfield(L, globals, name);
  }

  SandboxRefs refs;
  PushEnvironmentMetatable(L, base);
  refs.env_metatable = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, base);
  refs.base = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, top);
  return refs;
}

}  // namespace storeflow::script
