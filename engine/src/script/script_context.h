#pragma once

// What the C functions offered to scripts need from their Sandbox, reachable
// from any lua_State through the state's extra space (no registry lookup).

#include <lua.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/timezone.h"
#include "script/call_budget.h"
#include "script/json_bridge.h"
#include "script/sandbox.h"

namespace storeflow::script {

struct ScriptContext {
  static ScriptContext* Get(lua_State* L);
  void Attach(lua_State* L);

  CallBudget budget;

  // Set per call.
  std::int64_t now_unix_ms = 0;
  std::uint32_t c_steps = 0;  // work counted by C helpers between budget charges
  int log_lines_left = 0;

  LogSink log_sink;
  int log_lines_per_call = 0;
  // Set per call: values log.* output must not show (replaced by "***"), longest
  // first: the strings of an expression context's `secrets` object.
  std::vector<std::string> redactions;
  // Cap on the rough size of a JSON value built from Lua (json.encode, call
  // results): that memory is C++'s, outside the state's allocator.
  std::size_t max_json_bytes = 0;

  // Identity of the metatable that marks tables as JSON arrays, and its
  // registry reference (see json_bridge.h).
  const void* array_metatable = nullptr;
  int array_metatable_ref = LUA_NOREF;
  LuaStringCache strings;

  JsonPushOptions push_options() {
    JsonPushOptions o;
    o.array_metatable_ref = array_metatable_ref;
    o.strings = &strings;
    return o;
  }

  // Scratch space for C functions. They must not keep C++ objects with
  // destructors in their own frames (a Lua error would longjmp past them), so
  // results are built here, then pushed; a later call reuses the space.
  std::string scratch;
  nlohmann::json scratch_json;

  // Zones resolved by this state's time functions (TimeZone::Load locks a mutex).
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::shared_ptr<const TimeZone>, StringHash, std::equal_to<>>
      zones;
  // The default zone, resolved here (in C++) so no C function has to.
  std::shared_ptr<const TimeZone> utc = TimeZone::Utc();
};

// Copies [s, s+n) into *out without throwing; false when out of memory.
bool AssignNoThrow(std::string* out, const char* s, std::size_t n) noexcept;

// Raises "<where>" + ctx->scratch as a Lua error (longjmp), where <where> is the
// calling Lua line ("scripts/x.lua:12: ").
[[noreturn]] void RaiseScratch(lua_State* L, ScriptContext* ctx);

}  // namespace storeflow::script
