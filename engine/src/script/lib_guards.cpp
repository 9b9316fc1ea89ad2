#include "script/lib_guards.h"

#include "script/script_context.h"

namespace storeflow::script {
namespace {

constexpr std::uint32_t kChargeEvery = 1024;

void Charge(lua_State* L, lua_Integer units) {
  ScriptContext* ctx = ScriptContext::Get(L);
  if (ctx != nullptr) ctx->budget.Charge(L, static_cast<std::uint64_t>(units));
}

// Calls the stock function (upvalue 1) with this call's arguments.
int CallStock(lua_State* L, int results) {
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, results);
  return results == LUA_MULTRET ? lua_gettop(L) : results;
}

// Refuses element counts no real table reaches, and charges the rest: each
// element costs a lua_geti and a lua_seti the hook cannot see.
void CheckElements(lua_State* L, const char* fn, lua_Integer count) {
  if (count > kMaxTableElements) {
    luaL_error(L, "%s: would touch %I elements (at most %I)", fn, count, kMaxTableElements);
  }
  if (count > 0) Charge(L, count);
}

int Rep(lua_State* L) {
  std::size_t l = 0, lsep = 0;
  luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n <= 0 || l + lsep == 0) {  // nothing to copy: do not loop n times doing it
    lua_pushliteral(L, "");
    return 1;
  }
  return CallStock(L, 1);
}

int Insert(lua_State* L) {
  if (lua_gettop(L) == 3) {
    lua_Integer e = luaL_len(L, 1);
    lua_Integer pos = luaL_checkinteger(L, 2);
    if (pos >= 1 && pos <= e) CheckElements(L, "table.insert", e - pos + 1);
  }
  return CallStock(L, 0);
}

int Remove(lua_State* L) {
  lua_Integer size = luaL_len(L, 1);
  lua_Integer pos = luaL_optinteger(L, 2, size);
  if (pos >= 1 && pos < size) CheckElements(L, "table.remove", size - pos);
  return CallStock(L, 1);
}

int Move(lua_State* L) {
  lua_Integer f = luaL_checkinteger(L, 2);
  lua_Integer e = luaL_checkinteger(L, 3);
  luaL_checkinteger(L, 4);
  // The stock function rejects ranges whose size overflows; only count the rest.
  if (e >= f && (f > 0 || e < LUA_MAXINTEGER + f)) CheckElements(L, "table.move", e - f + 1);
  return CallStock(L, 1);
}

// The comparator sort really uses: charges the budget every kChargeEvery
// comparisons, then compares with the script's function (upvalue 1) or "<".
int SortLess(lua_State* L) {
  ScriptContext* ctx = ScriptContext::Get(L);
  if (ctx != nullptr && ++ctx->c_steps >= kChargeEvery) {
    ctx->c_steps = 0;
    ctx->budget.Charge(L, kChargeEvery);
  }
  if (lua_isnil(L, lua_upvalueindex(1))) {
    lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
    return 1;
  }
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, 1);
  return 1;
}

int Sort(lua_State* L) {
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  lua_pushcclosure(L, SortLess, 1);  // captures the comparator (or nil)
  return CallStock(L, 0);
}

void Wrap(lua_State* L, int lib, const char* name, lua_CFunction guard) {
  lua_getfield(L, lib, name);
  lua_pushcclosure(L, guard, 1);
  lua_setfield(L, lib, name);
}

}  // namespace

void InstallLibraryGuards(lua_State* L, int string_index, int table_index) {
  string_index = lua_absindex(L, string_index);
  table_index = lua_absindex(L, table_index);
  Wrap(L, string_index, "rep", Rep);
  Wrap(L, table_index, "insert", Insert);
  Wrap(L, table_index, "remove", Remove);
  Wrap(L, table_index, "move", Move);
  Wrap(L, table_index, "sort", Sort);
}

}  // namespace storeflow::script
