// CheckChunkSyntax / CheckExpressionSyntax: compile without running.

#include <string>

#include "script/expression_chunk.h"
#include "script/lua_state.h"
#include "script/sandbox.h"

namespace storeflow::script {
namespace {

constexpr std::size_t kCompileMemory = 16u << 20;

Status Compile(std::string_view code, std::string_view chunk_name) {
  LuaState lua(kCompileMemory);
  lua_State* L = lua.get();
  std::string name(chunk_name);
  // lua_load runs the parser in protected mode and reports through its status,
  // so no Lua error can escape here.
  int status = luaL_loadbufferx(L, code.data(), code.size(), name.c_str(), "t");
  if (status == LUA_OK) return Status::Ok();
  if (status == LUA_ERRMEM) return ResourceExhausted(name + ": too large to compile");
  std::size_t len = 0;
  const char* message = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : nullptr;
  return InvalidArgument(message != nullptr ? std::string(message, len) : "syntax error");
}

}  // namespace

Status CheckChunkSyntax(std::string_view code, std::string_view chunk_name) {
  return Compile(code, chunk_name);
}

Status CheckExpressionSyntax(std::string_view expression, std::string_view chunk_name) {
  if (IsBlankExpression(expression)) return InvalidArgument(BlankExpressionMessage(chunk_name));
  return Compile(ExpressionChunk(expression), chunk_name);
}

}  // namespace storeflow::script
