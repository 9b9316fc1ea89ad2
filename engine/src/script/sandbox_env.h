#pragma once

// Builds what scripts see: the allow-listed libraries, hardened, behind a
// read-only sandbox base, and the per-call environments that fall back to it.
//
// Isolation scheme (cheap per call, built once per state):
//   base      a table of the allowed globals; scripts never get a reference to it
//             (it is only the __index of protected metatables)
//   libraries string, table, math, utf8, json, time, log are empty proxy tables
//             whose protected metatable reads from the real library and refuses
//             writes (__newindex, and the sandbox's rawset), so one call cannot
//             change them for the next. No path hands a script the real table:
//             pairs(proxy) iterates it through a closure that keeps it as a
//             hidden upvalue (the state it returns is the proxy), next/rawget/
//             rawlen see the empty proxy, getmetatable(proxy) and
//             getmetatable("") are false (the string metatable's __index is
//             the real string table), and nested tables are proxies too.
//   env       per call, one new table {_G = itself} with a shared protected
//             metatable {__index = base}: globals written by a call land there
//             and vanish with it; setmetatable(_G, ...) is refused

#include <lua.hpp>

namespace storeflow::script {

struct ScriptContext;

struct SandboxRefs {
  int base = LUA_NOREF;           // the sandbox base table
  int env_metatable = LUA_NOREF;  // {__index = base}, protected
};

// Opens base, string, table, math and utf8, removes what can escape or outlive
// a call, installs the helper libraries and returns the registry references.
// Protected mode only (raises on out of memory).
SandboxRefs BuildSandbox(lua_State* L, ScriptContext* ctx);

// Pushes a new protected environment metatable whose __index is the value at
// `index_idx`.
void PushEnvironmentMetatable(lua_State* L, int index_idx);

// Pushes a new environment table (with _G = itself) using the metatable at
// registry reference `metatable_ref`; `size_hint` fields are preallocated.
void PushEnvironment(lua_State* L, int metatable_ref, int size_hint);

}  // namespace storeflow::script
