#include "script/sandbox.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "script/call_budget.h"
#include "script/expression_chunk.h"
#include "script/json_bridge.h"
#include "script/lua_state.h"
#include "script/sandbox_env.h"
#include "script/script_context.h"
#include "script/script_libs.h"

namespace storeflow::script {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxCachedExpressions = 4096;
constexpr std::size_t kMaxCachedScripts = 256;
// Between calls the state may keep at most 1/kRetainedShare of its memory cap
// (see Impl::LimitRetainedMemory).
constexpr std::size_t kRetainedShare = 2;
constexpr std::size_t kMaxScriptBytes = 4u << 20;

std::string FormatBytes(std::size_t n) {
  if (n != 0 && n % (1u << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n != 0 && n % (1u << 10) == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

// "@workflows/cart.yaml:42" -> "workflows/cart.yaml:42" (how Lua shows chunk names).
std::string_view Origin(std::string_view chunk_name) {
  if (!chunk_name.empty() && (chunk_name.front() == '@' || chunk_name.front() == '=')) {
    chunk_name.remove_prefix(1);
  }
  return chunk_name;
}

struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

enum class FileKind { kMissing, kRegular, kOther };

FileKind StatFile(const std::string& path, FileIdentity* id) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return FileKind::kMissing;
  id->device = st.st_dev;
  id->inode = st.st_ino;
  id->size = st.st_size;
  id->mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return S_ISREG(st.st_mode) ? FileKind::kRegular : FileKind::kOther;
}

int SizeHint(std::size_t n) {
  return n > 1'000'000 ? 1'000'000 : static_cast<int>(n);
}

// Appends the non-empty strings in `value` (recursively) to *out.
void CollectStrings(const json& value, std::vector<std::string>* out) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (!s.empty()) out->push_back(s);
  } else if (value.is_structured()) {
    for (const json& item : value) CollectStrings(item, out);
  }
}

// Copies the string at the top of the stack into *out (never throws or raises).
void CopyTopString(lua_State* L, std::string* out) noexcept {
  std::size_t len = 0;
  const char* s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : nullptr;
  if (s == nullptr) {
    s = "(error object is not a string)";
    len = std::char_traits<char>::length(s);
  }
  AssignNoThrow(out, s, len);
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

struct Sandbox::Impl {
  struct Expression {
    int ref = LUA_NOREF;
    std::uint64_t last_used = 0;
  };

  struct Script {
    int main_ref = LUA_NOREF;            // the compiled chunk (its _ENV is set per call)
    int env_ref = LUA_NOREF;             // the environment its top level ran in
    int exports_ref = LUA_NOREF;         // name -> function
    int call_mt_ref = LUA_NOREF;         // per-call environments' metatable {__index = env}
    std::vector<std::string> functions;  // sorted
    FileIdentity identity;
    Clock::time_point checked_at;
    std::uint64_t last_used = 0;
  };

  // The jobs trampolines run. They live in the C++ caller's frame, outside
  // lua_pcall, so they may own strings; the trampolines write them only
  // through noexcept helpers.
  struct EvalJob {
    Impl* impl = nullptr;
    int fn_ref = LUA_NOREF;  // cached compiled expression, or LUA_NOREF to compile `code`
    std::string code;
    std::string chunk_name;
    const json* context = nullptr;
    int new_ref = LUA_NOREF;
    bool compile_failed = false;
    bool converted = false;
    std::string message;
    json result;
  };

  struct LoadJob {
    Impl* impl = nullptr;
    std::string content;
    std::string chunk_name;
    bool compile_failed = false;
    bool names_ok = false;
    std::string message;
    Script script;
  };

  struct RuleJob {
    Impl* impl = nullptr;
    const Script* script = nullptr;
    std::string_view function;
    const json* input = nullptr;
    bool missing_function = false;
    bool converted = false;
    std::string message;
    json result;
  };

  explicit Impl(Limits l) : limits(l) {
    ctx.log_lines_per_call = limits.log_lines_per_call;
    ctx.max_json_bytes = limits.memory_bytes;
    std::string error;
    try {
      lua = std::make_unique<LuaState>(limits.memory_bytes);
    } catch (const std::bad_alloc&) {
      error = "not enough memory";
    }
    if (lua != nullptr) ctx.Attach(lua->get());
    if (lua == nullptr || lua->CallProtected(&Impl::BuildTrampoline, this, &error) != LUA_OK) {
      throw std::length_error("storeflow::script::Sandbox: cannot build the sandbox within " +
                              FormatBytes(limits.memory_bytes) + ": " + error);
    }
    // The default incremental collector is kept: measured with callgrind on the
    // recommendation benchmark, generational mode and larger pauses changed the
    // instruction count by under 2%; conversions dominate, not collection.
  }

  Limits limits;
  ScriptContext ctx;
  std::unique_ptr<LuaState> lua;  // after ctx: closed before the context goes away
  SandboxRefs refs;
  std::unordered_map<std::string, Expression> expressions;
  std::uint64_t use_counter = 0;
  std::unordered_map<std::string, Script> scripts;
  std::vector<int> pending_unrefs;
  std::string script_root;
  std::chrono::milliseconds recheck_interval{1000};
  std::string key;  // reused for expression cache lookups

  // ---- running code ----

  ToJsonOptions JsonOptions() {
    ToJsonOptions o;
    o.array_metatable = ctx.array_metatable;
    o.budget = &ctx.budget;
    o.max_bytes = ctx.max_json_bytes;
    return o;
  }

  int Run(lua_CFunction fn, void* job, std::string* error, const CallContext& call) {
    lua_State* L = lua->get();
    ctx.now_unix_ms = call.now_unix_ms;
    ctx.log_lines_left = limits.log_lines_per_call;
    ctx.budget.Arm(L, limits.time_per_call, limits.instructions_per_call);
    int status = lua->CallProtected(fn, job, error);
    ctx.budget.Disarm(L);
    return status;
  }

  // Turns a failed call into a Status. Limits are recognized from the budget
  // and allocator state, never from message text a script could forge.
  Status Failure(int status, const std::string& message, std::string_view origin,
                 std::uint64_t refused_before) {
    LimitKind tripped = ctx.budget.tripped();
    if (tripped != LimitKind::kNone) {
      std::string limit =
          tripped == LimitKind::kTime
              ? "time limit of " + std::to_string(limits.time_per_call.count()) + " ms exceeded"
              : "instruction limit of " + std::to_string(limits.instructions_per_call) +
                    " exceeded";
      std::string text = TidyTraceback(message);
      if (text.find(limit) == std::string::npos) {
        text = std::string(origin) + ": " + limit + (text.empty() ? "" : "\n" + text);
      }
      return DeadlineExceeded(std::move(text));
    }
    bool refused = lua->refused_allocations() != refused_before;
    if (status == LUA_ERRMEM ||
        (refused &&
         (status == LUA_ERRERR || message.find("not enough memory") != std::string::npos))) {
      lua_gc(lua->get(), LUA_GCCOLLECT, 0);  // give the next call its memory back
      return ResourceExhausted(std::string(origin) + ": memory limit of " +
                               FormatBytes(limits.memory_bytes) + " exceeded");
    }
    if (status == LUA_ERRERR) {
      return InvalidArgument(std::string(origin) + ": error in error handling: " + message);
    }
    return InvalidArgument(TidyTraceback(message));
  }

  Status ConversionFailure(const std::string& message, std::string_view origin,
                           std::uint64_t refused_before) {
    if (ctx.budget.tripped() != LimitKind::kNone) {
      return Failure(LUA_OK, "", origin, refused_before);
    }
    return InvalidArgument(std::string(origin) + ": " + message);
  }

  void Unref(int ref) {
    if (ref != LUA_NOREF && ref != LUA_REFNIL) pending_unrefs.push_back(ref);
  }

  // Releases references dropped by the caches (inside a trampoline: luaL_unref
  // writes to the registry).
  void FlushUnrefs(lua_State* L) noexcept {
    while (!pending_unrefs.empty()) {
      int ref = pending_unrefs.back();
      pending_unrefs.pop_back();  // first, so a raise cannot unref it twice
      luaL_unref(L, LUA_REGISTRYINDEX, ref);
    }
  }

  static int CollectTrampoline(lua_State* L) {
    auto* self = static_cast<Impl*>(lua_touserdata(L, 1));
    self->FlushUnrefs(L);
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
  }

  // Releases the references the caches dropped and runs a full collection.
  void Collect() {
    std::string error;
    lua->CallProtected(&Impl::CollectTrampoline, this, &error);
  }

  // Hoarding guard, run after every call (expression, rule, script load).
  //
  // Shared state a script could write is limited to what a rule script's top
  // level creates (its top-level tables and locals, kept alive by the functions
  // it exports): the library tables are read-only proxies that never hand out
  // the real tables (sandbox_env.h), globals are per call, expressions keep
  // nothing (their _ENV is dropped after each call). A rule that appends to a
  // top-level table on every call would still grow the state until the memory
  // cap, after which every call on this worker, of every workflow, fails. So
  // between calls the state may keep at most 1/kRetainedShare of the cap: when a
  // call leaves more in use, a full collection runs (the call's garbage goes);
  // if that is not enough, the script just called is dropped from the cache
  // (its top-level state with it; it is loaded again, top level and all, on its
  // next call), and if even that is not enough, every cached script and
  // expression. A warning names what was dropped. Each call therefore starts
  // with at least half the cap free, whatever an earlier call kept. Costs one
  // comparison per call until the threshold is crossed.
  // `script_path`: the cache key of the script just called (nullptr after an
  // expression); `shown`: its name in the warning (default: the key).
  void LimitRetainedMemory(const std::string* script_path, const std::string* shown = nullptr) {
    if (shown == nullptr) shown = script_path;
    const std::size_t limit = limits.memory_bytes / kRetainedShare;
    if (limit == 0 || lua->memory_in_use() <= limit) return;
    Collect();
    const std::size_t kept = lua->memory_in_use();
    if (kept <= limit) return;
    std::string dropped;
    if (script_path != nullptr) {
      auto it = scripts.find(*script_path);
      if (it != scripts.end()) {
        DropScript(it->second);
        scripts.erase(it);
        Collect();
        dropped = "the cached state of " + *shown +
                  " was dropped (it is loaded again, top level and all, on its next call)";
      }
    }
    if (lua->memory_in_use() > limit) {
      DropAll();
      Collect();
      dropped = "every cached script and expression was dropped";
    }
    std::string message = "the Lua state kept " + FormatBytes(kept) +
                          " between calls, more than 1/" + std::to_string(kRetainedShare) +
                          " of its memory limit of " + FormatBytes(limits.memory_bytes) + "; " +
                          dropped + ". Rules must keep state in their input and output, not in " +
                          "top-level tables";
    DeliverLog(&ctx, LogLevel::kWarn, shown != nullptr ? std::string_view(*shown) : "lua", message);
  }

  // Points the _ENV upvalue of the function at registry reference `fn_ref` to
  // registry[value_ref] (LUA_NOREF: nil), after a call that raised before its
  // trampoline could: a failed call's environment (its data, secrets included)
  // is not kept alive by the cached chunk. None of these calls allocates or
  // raises, so they run outside protected mode.
  void ResetEnv(int fn_ref, int value_ref) noexcept {
    if (fn_ref == LUA_NOREF) return;
    lua_State* L = lua->get();
    lua_rawgeti(L, LUA_REGISTRYINDEX, fn_ref);
    if (value_ref == LUA_NOREF) {
      lua_pushnil(L);
    } else {
      lua_rawgeti(L, LUA_REGISTRYINDEX, value_ref);
    }
    if (lua_setupvalue(L, -2, 1) == nullptr) lua_pop(L, 1);
    lua_pop(L, 1);
  }

  void DropAll() {
    for (auto& [k, e] : expressions) Unref(e.ref);
    expressions.clear();
    for (auto& [path, sc] : scripts) DropScript(sc);
    scripts.clear();
  }

  // The secrets an expression context carries (context.secrets), for log.* to
  // redact during the call.
  void SetRedactions(const json& context) {
    ctx.redactions.clear();
    if (!context.is_object()) return;
    auto it = context.find("secrets");
    if (it == context.end()) return;
    CollectStrings(*it, &ctx.redactions);
    std::sort(ctx.redactions.begin(), ctx.redactions.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  }

  static int BuildTrampoline(lua_State* L) {
    auto* self = static_cast<Impl*>(lua_touserdata(L, 1));
    self->refs = BuildSandbox(L, &self->ctx);
    return 0;
  }

  static int EvalTrampoline(lua_State* L) {
    auto* job = static_cast<EvalJob*>(lua_touserdata(L, 1));
    Impl* self = job->impl;
    self->FlushUnrefs(L);
    if (job->fn_ref == LUA_NOREF) {
      if (luaL_loadbufferx(L, job->code.data(), job->code.size(), job->chunk_name.c_str(), "t") !=
          LUA_OK) {
        job->compile_failed = true;
        CopyTopString(L, &job->message);
        return 0;
      }
      job->new_ref = luaL_ref(L, LUA_REGISTRYINDEX);
      job->fn_ref = job->new_ref;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, job->fn_ref);
    int fn = lua_gettop(L);
    const json::object_t* fields =
        job->context->is_object() ? job->context->get_ptr<const json::object_t*>() : nullptr;
    PushEnvironment(L, self->refs.env_metatable, fields != nullptr ? SizeHint(fields->size()) : 0);
    if (fields != nullptr) {
      // Iterating a std::map: its iterators are trivially destructible, so a
      // Lua error raised here skips no destructor (see json_bridge.cpp).
      for (const auto& [key, value] : *fields) {
        lua_pushlstring(L, key.data(), key.size());
        PushJson(L, value, self->ctx.push_options(), "expression context", key);
        lua_rawset(L, -3);
      }
    }
    lua_setupvalue(L, fn, 1);  // the environment becomes the chunk's _ENV
    lua_pushvalue(L, fn);
    lua_call(L, 0, 1);
    job->converted = LuaToJson(L, -1, self->JsonOptions(), &job->result, &job->message);
    lua_pushnil(L);
    lua_setupvalue(L, fn, 1);  // do not keep this call's data alive
    return 0;
  }

  // Compiles a rule script and runs its top level in a fresh environment.
  static int LoadTrampoline(lua_State* L) {
    auto* job = static_cast<LoadJob*>(lua_touserdata(L, 1));
    Impl* self = job->impl;
    self->FlushUnrefs(L);
    if (luaL_loadbufferx(L, job->content.data(), job->content.size(), job->chunk_name.c_str(),
                         "t") != LUA_OK) {
      job->compile_failed = true;
      CopyTopString(L, &job->message);
      return 0;
    }
    int main = lua_gettop(L);
    PushEnvironment(L, self->refs.env_metatable, 8);
    int env = lua_gettop(L);
    lua_pushvalue(L, env);
    lua_setupvalue(L, main, 1);
    lua_pushvalue(L, main);
    lua_call(L, 0, 1);
    int source = lua_type(L, -1) == LUA_TTABLE ? lua_gettop(L) : env;
    lua_newtable(L);
    int exports = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, source) != 0) {
      if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION) {
        lua_pushvalue(L, -2);  // key value -> key value key
        lua_insert(L, -2);     // key key value
        lua_rawset(L, exports);
      } else {
        lua_pop(L, 1);
      }
    }
    job->names_ok = CollectNames(L, exports, &job->script.functions);
    PushEnvironmentMetatable(L, env);
    job->script.call_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, exports);
    job->script.exports_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, env);
    job->script.env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, main);
    job->script.main_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
  }

  static bool CollectNames(lua_State* L, int table, std::vector<std::string>* names) noexcept {
    int top = lua_gettop(L);
    try {
      lua_pushnil(L);
      while (lua_next(L, table) != 0) {
        std::size_t len = 0;
        const char* s = lua_tolstring(L, -2, &len);  // keys are strings here
        names->emplace_back(s, len);
        lua_pop(L, 1);
      }
      std::sort(names->begin(), names->end());
      return true;
    } catch (...) {
      lua_settop(L, top);
      return false;
    }
  }

  static int RuleTrampoline(lua_State* L) {
    auto* job = static_cast<RuleJob*>(lua_touserdata(L, 1));
    Impl* self = job->impl;
    const Script* script = job->script;
    self->FlushUnrefs(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, script->exports_ref);
    lua_pushlstring(L, job->function.data(), job->function.size());
    if (lua_rawget(L, -2) != LUA_TFUNCTION) {
      job->missing_function = true;
      return 0;
    }
    int fn = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, script->main_ref);
    int main = lua_gettop(L);
    // A fresh global table for this call, seen by every function of the script
    // (they share the chunk's _ENV upvalue).
    PushEnvironment(L, script->call_mt_ref, 0);
    lua_setupvalue(L, main, 1);
    lua_pushvalue(L, fn);
    PushJson(L, *job->input, self->ctx.push_options(), "input", {});
    lua_call(L, 1, 1);
    job->converted = LuaToJson(L, -1, self->JsonOptions(), &job->result, &job->message);
    lua_rawgeti(L, LUA_REGISTRYINDEX, script->env_ref);
    lua_setupvalue(L, main, 1);
    return 0;
  }

  Result<json> CallRuleOnce(const std::string& script_path, std::string_view function,
                            const json& input, const CallContext& call,
                            const RuleSource* source = nullptr);

  // ---- caches ----

  void InsertExpression(const std::string& k, int ref) {
    if (expressions.size() >= kMaxCachedExpressions) {
      // Evict the least recently used quarter (amortized O(1) per insert).
      std::vector<std::uint64_t> ages;
      ages.reserve(expressions.size());
      for (const auto& [name, e] : expressions) ages.push_back(e.last_used);
      auto cut = ages.begin() + static_cast<std::ptrdiff_t>(ages.size() / 4);
      std::nth_element(ages.begin(), cut, ages.end());
      std::uint64_t threshold = *cut;
      for (auto it = expressions.begin(); it != expressions.end();) {
        if (it->second.last_used <= threshold) {
          Unref(it->second.ref);
          it = expressions.erase(it);
        } else {
          ++it;
        }
      }
    }
    expressions[k] = Expression{ref, ++use_counter};
  }

  void DropScript(Script& s) {
    Unref(s.main_ref);
    Unref(s.env_ref);
    Unref(s.exports_ref);
    Unref(s.call_mt_ref);
  }

  std::string ResolvePath(const std::string& path) const {
    if (script_root.empty() || (!path.empty() && path.front() == '/')) return path;
    return script_root + "/" + path;
  }

  // The cache key of a pinned script: its path and its text's digest.
  static std::string PinnedKey(const RuleSource& source) {
    return source.path + "\n#" + source.hash;
  }

  // Keeps at most kMaxCachedScripts compiled scripts: drops the least recently
  // used quarter when a new one would exceed it.
  void MakeRoomForScript() {
    if (scripts.size() < kMaxCachedScripts) return;
    std::vector<std::uint64_t> ages;
    ages.reserve(scripts.size());
    for (const auto& [name, sc] : scripts) ages.push_back(sc.last_used);
    auto cut = ages.begin() + static_cast<std::ptrdiff_t>(ages.size() / 4);
    std::nth_element(ages.begin(), cut, ages.end());
    const std::uint64_t threshold = *cut;
    for (auto it = scripts.begin(); it != scripts.end();) {
      if (it->second.last_used <= threshold) {
        DropScript(it->second);
        it = scripts.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Compiles and runs the top level of `content` (named `path`) and caches it
  // under `cache_key`.
  Result<const Script*> CompileScript(const std::string& cache_key, const std::string& path,
                                      std::string content, const CallContext& call) {
    MakeRoomForScript();
    LoadJob job;
    job.impl = this;
    job.content = std::move(content);
    job.chunk_name = "@" + path;
    std::uint64_t refused_before = lua->refused_allocations();
    std::string error;
    int status = Run(&Impl::LoadTrampoline, &job, &error, call);
    if (status == LUA_OK && job.compile_failed) {
      std::string m = job.message;
      if (m.rfind(path, 0) != 0) m = path + ": " + m;  // e.g. "attempt to load a binary chunk"
      return InvalidArgument(std::move(m));
    }
    if (status != LUA_OK || !job.names_ok) {
      DropScript(job.script);
      if (status == LUA_OK) return Internal("out of memory listing the functions of " + path);
      return Failure(status, error, path, refused_before);
    }
    job.script.last_used = ++use_counter;
    auto [slot, inserted] = scripts.insert_or_assign(cache_key, std::move(job.script));
    return &slot->second;
  }

  Result<const Script*> LoadPinnedScript(const RuleSource& source, const CallContext& call) {
    const std::string pinned_key = PinnedKey(source);
    auto it = scripts.find(pinned_key);
    if (it != scripts.end()) {
      it->second.last_used = ++use_counter;
      return &it->second;
    }
    if (source.text.size() > kMaxScriptBytes) {
      return InvalidArgument("rule script " + source.path + " is larger than " +
                             FormatBytes(kMaxScriptBytes));
    }
    return CompileScript(pinned_key, source.path, source.text, call);  // never re-checked on disk
  }

  Result<const Script*> LoadScript(const std::string& path, const CallContext& call) {
    Clock::time_point now = Clock::now();
    auto it = scripts.find(path);
    if (it != scripts.end()) {
      it->second.last_used = ++use_counter;
      Script& cached = it->second;
      if (recheck_interval.count() > 0 && now - cached.checked_at < recheck_interval) {
        return &cached;
      }
      FileIdentity id;
      if (StatFile(ResolvePath(path), &id) == FileKind::kRegular && id == cached.identity) {
        cached.checked_at = now;
        return &cached;
      }
      DropScript(cached);  // changed or gone
      scripts.erase(it);
    }

    std::string resolved = ResolvePath(path);
    FileIdentity id;
    FileKind kind = StatFile(resolved, &id);
    if (kind == FileKind::kMissing) {
      return NotFound("rule script " + path + " not found" +
                      (resolved != path ? " (looked for " + resolved + ")" : ""));
    }
    if (kind != FileKind::kRegular)
      return InvalidArgument("rule script " + path + " is not a file");
    if (static_cast<std::size_t>(id.size) > kMaxScriptBytes) {
      return InvalidArgument("rule script " + path + " is larger than " +
                             FormatBytes(kMaxScriptBytes));
    }
    std::string content;
    {
      std::ifstream in(resolved, std::ios::binary);
      if (!in) return NotFound("rule script " + path + " cannot be read");
      content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    auto compiled = CompileScript(path, path, std::move(content), call);
    if (!compiled.ok()) return compiled;
    Script& script = scripts.at(path);
    script.identity = id;
    script.checked_at = now;
    return &script;
  }
};

// ---------------------------------------------------------------------------

Sandbox::Sandbox(Limits limits) : impl_(std::make_unique<Impl>(limits)) {}

Sandbox::~Sandbox() = default;

const Limits& Sandbox::limits() const {
  return impl_->limits;
}

std::size_t Sandbox::memory_in_use() const {
  return impl_->lua->memory_in_use();
}

void Sandbox::set_log_sink(LogSink sink) {
  impl_->ctx.log_sink = std::move(sink);
}

void Sandbox::set_script_root(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  impl_->script_root = std::move(root);
}

void Sandbox::set_script_recheck_interval(std::chrono::milliseconds interval) {
  impl_->recheck_interval = interval;
}

void Sandbox::ClearCaches() {
  impl_->DropAll();
}

Result<nlohmann::json> Sandbox::EvaluateExpression(std::string_view expression,
                                                   const nlohmann::json& context,
                                                   std::string_view chunk_name,
                                                   const CallContext& call) {
  Impl& impl = *impl_;
  if (!context.is_object() && !context.is_null()) {
    return InvalidArgument(std::string(Origin(chunk_name)) +
                           ": the expression context must be a JSON object");
  }
  if (IsBlankExpression(expression)) return InvalidArgument(BlankExpressionMessage(chunk_name));
  Impl::EvalJob job;
  job.impl = &impl;
  job.context = &context;
  impl.key.assign(chunk_name);
  impl.key.push_back('\n');
  impl.key.append(expression);
  auto it = impl.expressions.find(impl.key);
  if (it != impl.expressions.end()) {
    job.fn_ref = it->second.ref;
    it->second.last_used = ++impl.use_counter;
  } else {
    job.code = ExpressionChunk(expression);
    job.chunk_name = std::string(chunk_name);
  }
  std::uint64_t refused_before = impl.lua->refused_allocations();
  std::string error;
  impl.SetRedactions(context);
  int status = impl.Run(&Impl::EvalTrampoline, &job, &error, call);
  impl.ctx.redactions.clear();
  if (status != LUA_OK) impl.ResetEnv(job.fn_ref, LUA_NOREF);
  if (job.new_ref != LUA_NOREF) impl.InsertExpression(impl.key, job.new_ref);
  Result<nlohmann::json> out = std::move(job.result);
  if (status != LUA_OK) {
    out = impl.Failure(status, error, Origin(chunk_name), refused_before);
  } else if (job.compile_failed) {
    out = InvalidArgument(std::move(job.message));
  } else if (!job.converted) {
    out = impl.ConversionFailure(job.message, Origin(chunk_name), refused_before);
  }
  impl.LimitRetainedMemory(nullptr);
  return out;
}

Result<nlohmann::json> Sandbox::CallRule(const std::string& script_path, std::string_view function,
                                         const nlohmann::json& input, const CallContext& call) {
  Result<nlohmann::json> out = impl_->CallRuleOnce(script_path, function, input, call);
  impl_->LimitRetainedMemory(&script_path);
  return out;
}

Result<nlohmann::json> Sandbox::CallRule(const RuleSource& source, std::string_view function,
                                         const nlohmann::json& input, const CallContext& call) {
  Result<nlohmann::json> out = impl_->CallRuleOnce(source.path, function, input, call, &source);
  const std::string key = Impl::PinnedKey(source);
  impl_->LimitRetainedMemory(&key, &source.path);
  return out;
}

Result<nlohmann::json> Sandbox::Impl::CallRuleOnce(const std::string& script_path,
                                                   std::string_view function,
                                                   const nlohmann::json& input,
                                                   const CallContext& call,
                                                   const RuleSource* source) {
  Impl& impl = *this;
  Result<const Impl::Script*> script =
      source != nullptr ? impl.LoadPinnedScript(*source, call) : impl.LoadScript(script_path, call);
  if (!script.ok()) return script.status();
  Impl::RuleJob job;
  job.impl = &impl;
  job.script = *script;
  job.function = function;
  job.input = &input;
  std::uint64_t refused_before = impl.lua->refused_allocations();
  std::string error;
  int status = impl.Run(&Impl::RuleTrampoline, &job, &error, call);
  if (status != LUA_OK) {
    impl.ResetEnv((*script)->main_ref, (*script)->env_ref);
    return impl.Failure(status, error, script_path, refused_before);
  }
  if (job.missing_function) {
    std::string m = script_path + " does not define function '" + std::string(function) + "'";
    const std::vector<std::string>& names = (*script)->functions;
    m += " (defined: ";
    if (names.empty()) m += "none";
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i > 0) m += ", ";
      m += names[i];
    }
    m += ")";
    return NotFound(std::move(m));
  }
  if (!job.converted) return impl.ConversionFailure(job.message, script_path, refused_before);
  return std::move(job.result);
}

Result<std::vector<std::string>> Sandbox::RuleFunctions(const std::string& script_path) {
  Result<const Impl::Script*> script = impl_->LoadScript(script_path, CallContext{});
  Result<std::vector<std::string>> out =
      script.ok() ? Result<std::vector<std::string>>((*script)->functions) : script.status();
  impl_->LimitRetainedMemory(&script_path);
  return out;
}

}  // namespace storeflow::script
