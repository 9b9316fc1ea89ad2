#pragma once

// The helper libraries offered to scripts: json, time, log (documented for
// script authors in sandbox.h). Each Push*Library pushes a new table of C
// functions; call in protected mode. The functions find their Sandbox's state
// through ScriptContext::Get.

#include <lua.hpp>

#include <string_view>

#include "script/sandbox.h"

namespace storeflow::script {

struct ScriptContext;

void PushJsonLibrary(lua_State* L);
void PushTimeLibrary(lua_State* L);
void PushLogLibrary(lua_State* L);

// Hands one line to the Sandbox's LogSink (or stderr), with this call's
// redactions applied and cut at 4 KiB. Never throws.
void DeliverLog(ScriptContext* ctx, LogLevel level, std::string_view source,
                std::string_view message) noexcept;

// print(...): the same as log.info(...).
int LuaPrint(lua_State* L);
// time.now() and the global now(): the engine's clock in unix seconds.
int LuaTimeNow(lua_State* L);

}  // namespace storeflow::script
