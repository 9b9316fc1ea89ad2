#pragma once

// The Lua sandbox: one Lua 5.4 state, allow-listed libraries, a memory cap, and a
// time/instruction budget per call. One Sandbox per worker thread; not thread-safe.
// (DESIGN.md §4; docs/lua-rules.md for script authors.)
//
// ============================================================================
// What scripts and expressions see
// ============================================================================
// Libraries: base, table, string, math, utf8, and the helpers below. Nothing
// else: no io, os, package/require, debug, coroutine; from base no dofile,
// loadfile, load, collectgarbage, warn; string.dump is gone. Only text chunks
// load (a file starting with "\27Lua" is refused). `print(...)` is log.info.
// The library tables are shared read-only proxies: `string.upper = nil` or
// `rawset(string, ...)` raises "attempt to modify read-only table 'string'".
// No path hands out the real tables: pairs(string) iterates them but returns
// the proxy as its state, next/rawget see an empty table (sandbox_env.h).
// getmetatable("") does not expose the string metatable. setmetatable refuses
// metatables with __gc (finalizers would run outside any call's budget).
//
// Globals: every call (EvaluateExpression, CallRule) runs in a fresh global
// table whose misses fall back to the read-only sandbox base, so a global
// written by one call is gone in the next. `_G` is that per-call table. Its
// metatable is protected: setmetatable(_G, ...) raises "cannot change a
// protected metatable". A rule script's top level runs once per load; the
// globals it defines (its functions) are visible to every call, but the state a
// script keeps in top-level locals or tables is shared by the calls on this
// worker: rules must treat it as constant (rules are pure). Hoarding is
// bounded: after every call, if the state keeps more than half of
// Limits::memory_bytes, a full collection runs, then the script just called is
// dropped from the cache (its top-level state with it; it is loaded again on
// its next call), then every cached script and expression, with a warning to
// the LogSink; so every call starts with at least half the cap free.
//
// Limits (see Limits): with an instruction cap, a count hook checks the
// instruction budget and the deadline every 1000 VM instructions. Without one
// (the default) the call runs with no hook at all, and a process-wide watchdog
// thread signals the worker thread when the deadline passes; the signal handler,
// on that thread, installs the hook (see deadline_watchdog.h). Once a limit is
// exceeded the hook raises an error and keeps raising at every instruction, so
// `pcall` cannot swallow it. (In Lua 5.4 any count hook slows every VM
// instruction, whatever its period: an instruction cap costs about 30% of the
// interpreter's speed.) Sandboxes with a time limit and no instruction cap use
// one real-time signal (the first free one from SIGRTMIN+4); the thread that
// makes a call must not block it (it is unblocked on its first call).
// (xpcall does not run its message handler for a limit error: Lua runs message
// handlers before unwinding, i.e. still inside the hook where hooks are off, so
// a looping handler could never be stopped.)
// The C pattern matcher behind string.find/match/gmatch/gsub (and plain find)
// is a budgeted reimplementation that charges its steps to the same budget, so
// `string.find(string.rep("a", 1e5), ".-.-.-.-b")` ends with the time error too.
// Other stock C loops the hook cannot see are guarded (lib_guards.h):
// string.rep("", 1e10) returns "" at once; table.insert/remove/move refuse to
// touch more than 2^24 elements (e.g. a __len that lies) and charge the rest;
// table.sort charges every comparison. json.decode takes at most 1 MiB.
// Memory is capped per state by the allocator. Errors name the origin and the
// limit: "scripts/loop.lua:3: time limit of 250 ms exceeded". After a limit
// error the state is usable for the next call. Residual: C functions that run
// in linear time in their input (table.concat, string.rep, string.format,
// json.encode of a large value) are bounded by the memory cap, not the clock.
//
// ---- json ----
//   json.encode(v) -> string      compact JSON; object keys sorted; floats keep a
//                                 fraction ("1.0"), integers do not ("1")
//   json.decode(s) -> value       64-bit integers exact; see the mapping below
//   json.null                     the JSON null sentinel (a light userdata;
//                                 `v == json.null`; tostring gives "null")
//   json.array([t]) -> t          marks t (default: a new table) as an array, so
//                                 it converts to [] even when empty
// Mapping JSON -> Lua: integers -> Lua integers (int64; integers above
// INT64_MAX are refused with an error naming the JSON path), other numbers ->
// floats (1.0 stays a float), strings -> strings, true/false -> booleans,
// null -> json.null (so arrays keep their length and objects their keys),
// arrays -> sequence tables marked as arrays, objects -> tables.
// Mapping Lua -> JSON: nil and json.null -> null; integer -> integer; float ->
// float (1.0 stays 1.0; NaN and ±inf are errors); strings must be UTF-8; a
// table marked by json.array (or decoded from a JSON array) -> array; any other
// table with keys exactly 1..n -> array; all string keys -> object; an EMPTY
// unmarked table -> {} (an object: use json.array() for a list that may be
// empty); mixed keys, sparse arrays, non-string keys, cycles, functions,
// userdata and nesting deeper than 200 are errors naming the JSON path
// ("$.items[2].price", 0-based like JSON).
//
// ---- time ----  Instants are unix seconds (a number: an integer, or a float
// when there is a fraction; fractions count to the millisecond). Zones are
// IANA names ("America/New_York"), "UTC" or offsets ("+05:30"); default UTC.
// Scripts read no clock of their own: the engine passes "now" in CallContext.
//   time.now() -> t               the engine's clock (CallContext::now_unix_ms)
//   now() -> t                    the same, as a global (handy in expressions)
//   time.parse(s [, tz]) -> t     ISO-8601: "2026-03-08T10:00:00Z",
//                                 "2026-03-08T10:00:00.250+05:30", "2026-03-08"
//                                 (a date or a time without offset is local
//                                 time in tz); an error for anything else
//   time.format(t [, tz [, fmt]]) -> s   default ISO-8601 with offset:
//                                 "2026-03-08T05:00:00-05:00" ("Z" in UTC;
//                                 ".250" only when there are milliseconds).
//                                 fmt is strftime-like: %Y %m %d %e %H %I %M %S
//                                 %p %y %j %a %A %b %B %F %T %z (+0530) %:z
//                                 (+05:30) %Z (the zone's name) %s %%
//   time.add(t, d) -> t           d: a duration "4h", "1h30m", "PT4H", "-15m",
//                                 or seconds (a number)
//   time.duration(d) -> seconds   a duration string in seconds
//   time.hour(t [, tz]) -> 0..23  the local hour
//   time.to_local(t [, tz]) -> {year, month, day, hour, min, sec, wday, yday,
//                                 offset}   wday 1 = Sunday .. 7 (like os.date),
//                                 offset = seconds east of UTC.
//                                 (Also as time["local"]: `local` is a Lua
//                                 keyword, so `time.local(...)` cannot parse.)
//   time.from_local(tbl [, tz]) -> t     year, month, day required; hour, min,
//                                 sec default 0; out-of-range fields roll over
//                                 (day = 32 is the next month); a time in a DST
//                                 gap moves forward by the gap, a time in an
//                                 overlap takes the earlier instant
//
// ---- log ----
//   log.info(...), log.warn(...), log.error(...)   arguments are tostring'ed
//                                 and joined with spaces; the message goes to
//                                 the Sandbox's LogSink with the script line as
//                                 source; at most Limits::log_lines_per_call
//                                 lines per call, each cut at 4 KiB. In
//                                 EvaluateExpression, the string values of the
//                                 context's `secrets` object are replaced by
//                                 "***" in what log.* and print write.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace storeflow::script {

struct Limits {
  // Wall-clock budget of one call (expression evaluation or rule call); 0 means
  // no time limit (instructions still apply).
  std::chrono::milliseconds time_per_call{250};
  // Lua VM instructions per call (pattern-matching steps count too); 0 means no
  // instruction cap (time still applies). A cap makes every call run under a
  // count hook (about 30% slower); with 0 only the deadline is watched, at no
  // cost until it passes.
  std::uint64_t instructions_per_call = 0;
  // Bytes the whole state may hold (the allocator refuses more; compiled scripts
  // and caches count too). The empty sandbox needs about 100 KiB: the Sandbox
  // constructor throws std::length_error when it does not fit. 0 = unlimited.
  std::size_t memory_bytes = std::size_t{64} << 20;
  // log.* lines one call may emit; further lines are dropped (one notice says so).
  int log_lines_per_call = 100;
};

// Compiles `code` as a text chunk without running it. On a syntax error returns
// InvalidArgument whose message is Lua's ("<chunk>:LINE: message near 'x'"); the
// line is relative to the chunk's first line.
Status CheckChunkSyntax(std::string_view code, std::string_view chunk_name);

// Same for a bare expression (as written in `if:`, `key:`, `where:`, `${{ }}`).
Status CheckExpressionSyntax(std::string_view expression, std::string_view chunk_name);

// What the engine passes into every call besides the data.
struct CallContext {
  // The engine's notion of "now" (real or virtual clock), milliseconds since the epoch.
  // Scripts read it through time.now(); they have no clock of their own.
  std::int64_t now_unix_ms = 0;
};

// A rule script's text, as pinned with a workflow version.
struct RuleSource {
  std::string path;  // as the `rule:` step names it: "scripts/email_timing.lua"
  std::string text;
  std::string hash;  // a digest of `text` (the cache key with `path`)
};

enum class LogLevel { kInfo, kWarn, kError };
std::string_view LogLevelName(LogLevel level);  // "info", "warn", "error"

// Receives log.* output: `source` is "scripts/recommend.lua:12" (the calling line).
// Called synchronously during the call; exceptions it throws are swallowed. It
// must not call back into the same Sandbox (calls are not re-entrant).
using LogSink =
    std::function<void(LogLevel level, std::string_view source, std::string_view message)>;

class Sandbox {
 public:
  explicit Sandbox(Limits limits = {});
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const Limits& limits() const;

  // Evaluates a Lua expression with the names of `context` (an object: event, run,
  // steps, config, ...) visible as globals, in a fresh environment per call.
  // `chunk_name` names the origin for errors, e.g. "@workflows/cart.yaml:42".
  // The compiled expression is cached (keyed by chunk_name and text; at most
  // 4096 entries, least recently used evicted). The value converts to JSON as
  // documented above (nil -> null; of several values only the first counts).
  // The expression compiles as "return EXPR": statements cannot be smuggled in;
  // a blank expression is InvalidArgument "<chunk>:1: empty expression".
  // Errors: InvalidArgument (syntax, runtime error, unconvertible value; the
  // message carries a traceback), DeadlineExceeded (time or instructions),
  // ResourceExhausted (memory).
  Result<nlohmann::json> EvaluateExpression(std::string_view expression,
                                            const nlohmann::json& context,
                                            std::string_view chunk_name,
                                            const CallContext& call = {});

  // Calls FUNCTION of the rule script at `script_path` with `input` converted to
  // Lua, and returns its result converted to JSON. The compiled script is cached
  // by path and content. Errors carry a Lua traceback naming "@<script_path>:LINE".
  //
  // Exported functions: if the script's top level returns a table, the function
  // fields of that table; otherwise the global functions it defines. The file is
  // read relative to the script root (see set_script_root; default: the current
  // directory) and cached by path; its size, mtime and inode are re-checked at
  // most once per script_recheck_interval. Errors: NotFound for a missing file
  // or function ("scripts/x.lua does not define function 'foo' (defined: a, b)"),
  // otherwise as EvaluateExpression.
  Result<nlohmann::json> CallRule(const std::string& script_path, std::string_view function,
                                  const nlohmann::json& input, const CallContext& call = {});

  // The same for a rule script given as text (a workflow version's pinned copy,
  // runtime/workflow_catalog.h): nothing is read from disk. `source.path` names it
  // in errors and tracebacks; the compiled script is cached by path and
  // `source.hash` (the caller's digest of the text), so calls of different
  // versions of one script on one worker each keep their own compiled copy (the
  // least recently used of more than 256 cached scripts are dropped).
  Result<nlohmann::json> CallRule(const RuleSource& source, std::string_view function,
                                  const nlohmann::json& input, const CallContext& call = {});

  // The names of the functions a rule script exports (for the validator), sorted.
  Result<std::vector<std::string>> RuleFunctions(const std::string& script_path);

  // Bytes currently held by the Lua state.
  std::size_t memory_in_use() const;

  // Where log.* output goes (default: one line per message on stderr).
  void set_log_sink(LogSink sink);

  // The folder relative script paths are read from (chunk names keep the path as
  // given, e.g. "@scripts/recommend.lua"). Default: the current directory.
  void set_script_root(std::string root);

  // How often a cached script's file is checked for changes (default 1 s; 0 =
  // on every call, which costs a stat() per call).
  void set_script_recheck_interval(std::chrono::milliseconds interval);

  // Drops every cached script and expression (e.g. when a workflow version changes).
  void ClearCaches();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace storeflow::script
