// The `time` helper: instants are unix seconds (integer, or float with a
// fraction); zones are resolved through TimeZone. Scripts have no clock: now
// comes from the engine (ScriptContext::now_unix_ms).

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/duration.h"
#include "common/timezone.h"
#include "script/script_context.h"
#include "script/script_libs.h"
#include "script/time_text.h"

namespace storeflow::script {
namespace {

constexpr std::int64_t kMaxFieldMagnitude = 1'000'000;  // keeps from_local's arithmetic exact
constexpr std::size_t kMaxFormatLength = 1024;

std::int64_t FloorDiv1000(std::int64_t ms) {
  return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

// Pushes an instant: an integer when it is a whole second, else a float.
void PushInstant(lua_State* L, std::int64_t unix_ms) {
  if (unix_ms % 1000 == 0) {
    lua_pushinteger(L, unix_ms / 1000);
  } else {
    lua_pushnumber(L, static_cast<lua_Number>(unix_ms) / 1000.0);
  }
}

// The instant at `arg` in milliseconds, range-checked (years 1..9999).
std::int64_t CheckInstant(lua_State* L, int arg) {
  int is_int = 0;
  lua_Integer i = lua_tointegerx(L, arg, &is_int);
  if (is_int && lua_type(L, arg) == LUA_TNUMBER) {
    if (i < kMinUnixSeconds || i > kMaxUnixSeconds) {
      luaL_argerror(L, arg, "time out of range (years 1..9999)");
    }
    return static_cast<std::int64_t>(i) * 1000;
  }
  lua_Number d = luaL_checknumber(L, arg);
  if (!std::isfinite(d) || d < static_cast<lua_Number>(kMinUnixSeconds) ||
      d > static_cast<lua_Number>(kMaxUnixSeconds)) {
    luaL_argerror(L, arg, "time out of range (years 1..9999)");
  }
  return static_cast<std::int64_t>(std::llround(d * 1000.0));
}

// Looks a zone up in ctx->zones, loading it on first use. On failure returns
// null with the message in ctx->scratch. Never throws; its C++ temporaries are
// gone before the caller raises.
const TimeZone* ResolveZone(ScriptContext* ctx, std::string_view name) noexcept {
  try {
    auto it = ctx->zones.find(name);
    if (it != ctx->zones.end()) return it->second.get();
    Result<std::shared_ptr<const TimeZone>> zone = TimeZone::Load(name);
    if (!zone.ok()) {
      ctx->scratch = zone.status().message();
      return nullptr;
    }
    if (ctx->zones.size() > 1000) ctx->zones.clear();  // bounded: names come from data
    return ctx->zones.emplace(std::string(name), *zone).first->second.get();
  } catch (...) {
    AssignNoThrow(&ctx->scratch, "out of memory", 13);
    return nullptr;
  }
}

// The zone named at `arg` (nil or absent: UTC).
const TimeZone* CheckZone(lua_State* L, int arg) {
  ScriptContext* ctx = ScriptContext::Get(L);
  if (lua_isnoneornil(L, arg)) return ctx->utc.get();
  std::size_t n = 0;
  const char* name = luaL_checklstring(L, arg, &n);
  const TimeZone* zone = ResolveZone(ctx, std::string_view(name, n));
  if (zone == nullptr) RaiseScratch(L, ctx);
  return zone;
}

// Parses a duration ("4h", "PT30M", "-15m") into milliseconds; on failure the
// message is in ctx->scratch. Never throws.
bool DurationMillis(ScriptContext* ctx, std::string_view text, std::int64_t* ms) noexcept {
  try {
    bool negative = !text.empty() && text.front() == '-';
    if (negative) text.remove_prefix(1);
    Result<Duration> d = ParseDuration(text);
    if (!d.ok()) {
      ctx->scratch = d.status().message();
      return false;
    }
    *ms = negative ? -d->count() : d->count();
    return true;
  } catch (...) {
    AssignNoThrow(&ctx->scratch, "out of memory", 13);
    return false;
  }
}

// The duration at `arg` in milliseconds: a string, or seconds as a number.
std::int64_t CheckDuration(lua_State* L, int arg) {
  if (lua_type(L, arg) == LUA_TNUMBER) {
    lua_Number s = lua_tonumber(L, arg);
    if (!std::isfinite(s) || std::fabs(s) > 1e13) luaL_argerror(L, arg, "duration out of range");
    return static_cast<std::int64_t>(std::llround(s * 1000.0));
  }
  std::size_t n = 0;
  const char* text = luaL_checklstring(L, arg, &n);
  ScriptContext* ctx = ScriptContext::Get(L);
  std::int64_t ms = 0;
  if (!DurationMillis(ctx, std::string_view(text, n), &ms)) RaiseScratch(L, ctx);
  return ms;
}

int Parse(lua_State* L) {
  std::size_t n = 0;
  const char* text = luaL_checklstring(L, 1, &n);
  const TimeZone* zone = CheckZone(L, 2);
  std::int64_t ms = 0;
  if (!ParseIsoTimestamp(std::string_view(text, n), *zone, &ms)) {
    return luaL_error(L,
                      "time.parse: \"%s\" is not an ISO-8601 timestamp (expected e.g. "
                      "2026-03-08T10:00:00Z, 2026-03-08T10:00:00+05:30 or 2026-03-08)",
                      text);
  }
  PushInstant(L, ms);
  return 1;
}

int Format(lua_State* L) {
  std::int64_t ms = CheckInstant(L, 1);
  const TimeZone* zone = CheckZone(L, 2);
  std::size_t n = 0;
  const char* format = luaL_optlstring(L, 3, "", &n);
  luaL_argcheck(L, n <= kMaxFormatLength, 3, "format longer than 1024 bytes");
  ScriptContext* ctx = ScriptContext::Get(L);
  if (!FormatTimestamp(ms, *zone, std::string_view(format, n), &ctx->scratch)) {
    luaL_where(L, 1);
    lua_pushliteral(L, "time.format: ");
    lua_pushlstring(L, ctx->scratch.data(), ctx->scratch.size());
    lua_concat(L, 3);
    return lua_error(L);
  }
  lua_pushlstring(L, ctx->scratch.data(), ctx->scratch.size());
  return 1;
}

int Add(lua_State* L) {
  std::int64_t ms = CheckInstant(L, 1);
  std::int64_t delta = CheckDuration(L, 2);
  std::int64_t result = ms + delta;
  if (result < kMinUnixSeconds * 1000 || result > kMaxUnixSeconds * 1000) {
    return luaL_error(L, "time.add: result out of range (years 1..9999)");
  }
  PushInstant(L, result);
  return 1;
}

int DurationSeconds(lua_State* L) {
  PushInstant(L, CheckDuration(L, 1));
  return 1;
}

int Hour(lua_State* L) {
  std::int64_t seconds = FloorDiv1000(CheckInstant(L, 1));
  const TimeZone* zone = CheckZone(L, 2);
  lua_pushinteger(L, zone->ToCivil(seconds).hour);
  return 1;
}

void SetIntField(lua_State* L, const char* name, lua_Integer value) {
  lua_pushinteger(L, value);
  lua_setfield(L, -2, name);
}

int ToLocal(lua_State* L) {
  std::int64_t seconds = FloorDiv1000(CheckInstant(L, 1));
  const TimeZone* zone = CheckZone(L, 2);
  std::int32_t offset = zone->OffsetAt(seconds);
  CivilTime c = CivilFromUnix(seconds + offset);
  lua_createtable(L, 0, 9);
  SetIntField(L, "year", c.year);
  SetIntField(L, "month", c.month);
  SetIntField(L, "day", c.day);
  SetIntField(L, "hour", c.hour);
  SetIntField(L, "min", c.minute);
  SetIntField(L, "sec", c.second);
  SetIntField(L, "wday", c.weekday + 1);  // 1 = Sunday, like os.date("*t")
  SetIntField(L, "yday", DaysFromCivil(c.year, c.month, c.day) - DaysFromCivil(c.year, 1, 1) + 1);
  SetIntField(L, "offset", offset);
  return 1;
}

int GetField(lua_State* L, const char* key, lua_Integer fallback, bool required) {
  int type = lua_getfield(L, 1, key);
  lua_Integer value = fallback;
  if (type == LUA_TNIL) {
    if (required) luaL_error(L, "time.from_local: field '%s' is missing", key);
  } else {
    int is_int = 0;
    value = lua_tointegerx(L, -1, &is_int);
    if (!is_int || type != LUA_TNUMBER) {
      luaL_error(L, "time.from_local: field '%s' must be an integer, got %s", key,
                 luaL_typename(L, -1));
    }
    if (value < -kMaxFieldMagnitude || value > kMaxFieldMagnitude) {
      luaL_error(L, "time.from_local: field '%s' is out of range", key);
    }
  }
  lua_pop(L, 1);
  return static_cast<int>(value);
}

int FromLocal(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const TimeZone* zone = CheckZone(L, 2);
  CivilTime local;
  local.year = GetField(L, "year", 0, true);
  local.month = GetField(L, "month", 0, true);
  local.day = GetField(L, "day", 0, true);
  local.hour = GetField(L, "hour", 0, false);
  local.minute = GetField(L, "min", 0, false);
  local.second = GetField(L, "sec", 0, false);
  if (local.year < 1 || local.year > 9999) {
    return luaL_error(L, "time.from_local: year %d is out of range (1..9999)", local.year);
  }
  std::int64_t t = zone->FromCivil(local);
  if (t < kMinUnixSeconds || t > kMaxUnixSeconds) {
    return luaL_error(L, "time.from_local: result out of range (years 1..9999)");
  }
  lua_pushinteger(L, t);
  return 1;
}

}  // namespace

int LuaTimeNow(lua_State* L) {
  PushInstant(L, ScriptContext::Get(L)->now_unix_ms);
  return 1;
}

void PushTimeLibrary(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"now", LuaTimeNow},           {"parse", Parse},  {"format", Format},    {"add", Add},
      {"duration", DurationSeconds}, {"hour", Hour},    {"to_local", ToLocal}, {"local", ToLocal},
      {"from_local", FromLocal},     {nullptr, nullptr}};
  luaL_newlib(L, kFunctions);
}

}  // namespace storeflow::script
