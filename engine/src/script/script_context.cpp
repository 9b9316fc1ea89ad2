#include "script/script_context.h"

#include "script/lua_state.h"

namespace storeflow::script {

ScriptContext* ScriptContext::Get(lua_State* L) {
  return static_cast<ScriptContext*>(LuaState::user_pointer(L));
}

void ScriptContext::Attach(lua_State* L) {
  *static_cast<void**>(lua_getextraspace(L)) = this;
}

bool AssignNoThrow(std::string* out, const char* s, std::size_t n) noexcept {
  try {
    out->assign(s, n);
    return true;
  } catch (...) {
    return false;
  }
}

void RaiseScratch(lua_State* L, ScriptContext* ctx) {
  luaL_where(L, 1);
  lua_pushlstring(L, ctx->scratch.data(), ctx->scratch.size());
  lua_concat(L, 2);
  lua_error(L);
  __builtin_unreachable();
}

}  // namespace storeflow::script
