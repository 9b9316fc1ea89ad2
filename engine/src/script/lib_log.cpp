// The `log` helper (and print): messages go to the Sandbox's LogSink.

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "script/script_context.h"
#include "script/script_libs.h"

namespace storeflow::script {
namespace {

constexpr std::size_t kMaxMessageBytes = 4096;
constexpr std::string_view kMask = "***";  // as runtime::SecretStore::Redact

// `text` with every value of `secrets` (longest first) replaced by kMask.
std::string Redact(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& secret : secrets) {
    for (auto at = out.find(secret); at != std::string::npos;
         at = out.find(secret, at + kMask.size())) {
      out.replace(at, secret.size(), kMask);
    }
  }
  return out;
}

int Log(lua_State* L, LogLevel level);

}  // namespace

// Never throws: a sink's exception is swallowed rather than allowed to unwind
// through Lua's C frames. Redaction comes before the cut, so a secret that
// straddles the 4 KiB boundary does not leave its first half behind.
void DeliverLog(ScriptContext* ctx, LogLevel level, std::string_view source,
                std::string_view message) noexcept {
  try {
    std::string redacted;
    if (!ctx->redactions.empty()) {
      redacted = Redact(message, ctx->redactions);
      message = redacted;
    }
    std::string cut;
    if (message.size() > kMaxMessageBytes) {
      cut.assign(message.substr(0, kMaxMessageBytes));
      cut += " [truncated]";
      message = cut;
    }
    if (ctx->log_sink) {
      ctx->log_sink(level, source, message);
    } else {
      std::string line = "[lua ";
      line += LogLevelName(level);
      line += "] ";
      line += source;
      line += ": ";
      line += message;
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
  } catch (...) {
  }
}

namespace {

int Log(lua_State* L, LogLevel level) {
  ScriptContext* ctx = ScriptContext::Get(L);
  if (ctx->log_lines_left <= 0) return 0;
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; ++i) {
    if (i > 1) luaL_addchar(&b, ' ');
    luaL_tolstring(L, i, nullptr);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  std::size_t len = 0;
  const char* message = lua_tolstring(L, -1, &len);

  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) != 0 && lua_getinfo(L, "Sl", &ar) != 0 && ar.currentline > 0) {
    lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
  } else {
    lua_pushliteral(L, "?");
  }
  std::size_t source_len = 0;
  const char* source = lua_tolstring(L, -1, &source_len);

  DeliverLog(ctx, level, std::string_view(source, source_len), std::string_view(message, len));
  if (--ctx->log_lines_left == 0) {
    DeliverLog(ctx, LogLevel::kWarn, std::string_view(source, source_len),
               "log limit of this call reached; further lines are dropped");
  }
  return 0;
}

int Info(lua_State* L) {
  return Log(L, LogLevel::kInfo);
}
int Warn(lua_State* L) {
  return Log(L, LogLevel::kWarn);
}
int Error(lua_State* L) {
  return Log(L, LogLevel::kError);
}

}  // namespace

int LuaPrint(lua_State* L) {
  return Info(L);
}

void PushLogLibrary(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"info", Info}, {"warn", Warn}, {"error", Error}, {nullptr, nullptr}};
  luaL_newlib(L, kFunctions);
}

}  // namespace storeflow::script
