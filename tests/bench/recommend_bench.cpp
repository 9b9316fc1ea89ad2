// Benchmark of the recommendation rule through the engine's real path:
// nlohmann::json input -> Lua tables -> scripts/recommend.lua#recommend -> nlohmann::json.
//
// Prints calls/s and µs/call; exits 0 (a figure, not a timed test). Exit 1 only when the
// rule fails or returns something unexpected. Target (ADR 0007, accepted): the full path
// takes at most 1.2x the time of the same job in plain Lua 5.4 (input built by Lua code,
// no engine), both measured here, one after the other.
// With --breakdown it also shows where the time goes (see main()).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <lua.hpp>
#include <nlohmann/json.hpp>

#include "script/sandbox.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kNowUnixSeconds = 1795255200;  // 2026-11-21T10:00:00Z

// 20 interaction events of one shopper over the last two weeks, in 5 categories.
json MakeInput() {
  static const char* kTypes[] = {"view", "click", "view", "add_to_cart", "view", "purchase"};
  static const char* kCategories[] = {"shoes", "hats", "bags", "socks", "jackets"};
  json events = json::array();
  for (int i = 0; i < 20; ++i) {
    events.push_back({
        {"userId", "user-4711"},
        {"productId", 7'000'000'000'000 + i * 37},  // Shopify-sized ids
        {"eventType", kTypes[i % 6]},
        {"productType", kCategories[(i * 7) % 5]},
        {"at", kNowUnixSeconds - static_cast<std::int64_t>(i) * 61'000},
    });
  }
  return {{"events", std::move(events)}};
}

// CPU time of this thread: on a shared machine wall-clock time also counts the time
// other processes hold the core, so figures are per CPU-second ("on one core").
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Rate {
  double per_cpu_second = 0;
  double per_wall_second = 0;
};

// Calls `function` of `script` with `input` for `seconds` of CPU time (after 0.5 s of
// warm-up) and returns calls per second. Exits 1 if a call fails.
Rate Measure(storeflow::script::Sandbox& sandbox, const std::string& script, const char* function,
             const json& input, double seconds) {
  const storeflow::script::CallContext call{kNowUnixSeconds * 1000};
  auto run_for = [&](double budget_seconds) -> Rate {
    std::uint64_t calls = 0;
    double cpu_start = ThreadCpuSeconds();
    auto wall_start = Clock::now();
    double cpu = 0;
    do {
      for (int i = 0; i < 64; ++i) {
        auto out = sandbox.CallRule(script, function, input, call);
        if (!out.ok()) {
          std::cerr << "recommend_bench: " << script << "#" << function
                    << " failed: " << out.status().message() << "\n";
          std::exit(1);
        }
      }
      calls += 64;
      cpu = ThreadCpuSeconds() - cpu_start;
    } while (cpu < budget_seconds);
    double wall = std::chrono::duration<double>(Clock::now() - wall_start).count();
    return {static_cast<double>(calls) / cpu, static_cast<double>(calls) / wall};
  };
  run_for(std::min(0.5, seconds));  // warm-up: caches, allocator, branch predictors
  return run_for(seconds);
}

// Exactly `calls` calls, for instruction counts: under callgrind each figure is its
// own function (Counted<0> full path, <1> noop({}), <2> noop(input), <3> the looped
// script), so `callgrind_annotate --inclusive=yes` shows instructions per figure.
// GCC's noipa keeps it from folding the identical instances into one (its -fipa-icf);
// clang has no such attribute and folds nothing at -O2 (lld's --icf is off): noinline.
#if defined(__clang__)
#define STOREFLOW_BENCH_KEEP_APART [[gnu::noinline]]
#else
#define STOREFLOW_BENCH_KEEP_APART [[gnu::noipa]]
#endif
template <int Figure>
STOREFLOW_BENCH_KEEP_APART void Counted(storeflow::script::Sandbox& sandbox,
                                        const std::string& script, const char* function,
                                        const json& input, int calls) {
  const storeflow::script::CallContext call{kNowUnixSeconds * 1000};
  for (int i = 0; i < calls; ++i) {
    auto out = sandbox.CallRule(script, function, input, call);
    if (!out.ok()) {
      std::cerr << "recommend_bench: " << script << "#" << function
                << " failed: " << out.status().message() << "\n";
      std::exit(1);
    }
  }
}

// A lower bound for any conversion that builds the input as Lua tables: the 20
// event tables (5 fields each) and their array made with the bare Lua API in a
// plain state (keys and string values pushed once, outside the loop; no JSON to
// walk, no sandbox), per CPU second.
double BareLuaTablesPerSecond(double seconds) {
  lua_State* L = luaL_newstate();
  if (L == nullptr) return 0;
  const char* keys[] = {"userId", "productId", "eventType", "productType", "at"};
  for (const char* k : keys) lua_pushstring(L, k);  // stack 1..5
  lua_pushstring(L, "user-4711");                   // 6
  lua_pushstring(L, "view");                        // 7
  lua_pushstring(L, "shoes");                       // 8
  auto build = [L] {
    lua_createtable(L, 20, 0);
    for (int i = 0; i < 20; ++i) {
      lua_createtable(L, 0, 5);
      lua_pushvalue(L, 1);
      lua_pushvalue(L, 6);
      lua_rawset(L, -3);
      lua_pushvalue(L, 2);
      lua_pushinteger(L, 7'000'000'000'000 + i * 37);
      lua_rawset(L, -3);
      lua_pushvalue(L, 3);
      lua_pushvalue(L, 7);
      lua_rawset(L, -3);
      lua_pushvalue(L, 4);
      lua_pushvalue(L, 8);
      lua_rawset(L, -3);
      lua_pushvalue(L, 5);
      lua_pushinteger(L, kNowUnixSeconds - i * 61'000);
      lua_rawset(L, -3);
      lua_rawseti(L, -2, i + 1);
    }
    lua_pop(L, 1);
  };
  for (int i = 0; i < 20000; ++i) build();  // warm-up
  std::uint64_t calls = 0;
  double start = ThreadCpuSeconds();
  double cpu = 0;
  do {
    for (int i = 0; i < 64; ++i) build();
    calls += 64;
    cpu = ThreadCpuSeconds() - start;
  } while (cpu < seconds);
  lua_close(L);
  return static_cast<double>(calls) / cpu;
}

// Lua code defining make_events(): the 20 events of MakeInput() as Lua tables,
// built by table constructors.
constexpr const char* kLuaMakeEvents = R"(
  local types = { "view", "click", "view", "add_to_cart", "view", "purchase" }
  local cats = { "shoes", "hats", "bags", "socks", "jackets" }
  function make_events()
    local events = {}
    for i = 0, 19 do
      events[i + 1] = { userId = "user-4711", productId = 7000000000000 + i * 37,
                        eventType = types[i % 6 + 1], productType = cats[(i * 7) % 5 + 1],
                        at = 1795255200 - i * 61000 }
    end
    return events
  end
)";

// Calls the global Lua function `loop`(n), which makes n calls, for `seconds` of
// CPU time after a warm-up; calls per CPU second, or 0 if a call fails.
double LuaLoopPerSecond(lua_State* L, const char* loop, double seconds) {
  auto run = [L, loop](int n) {
    lua_getglobal(L, loop);
    lua_pushinteger(L, n);
    bool ok = lua_pcall(L, 1, 0, 0) == LUA_OK;
    if (!ok) lua_pop(L, 1);
    return ok;
  };
  if (!run(20000)) return 0;  // warm-up
  std::uint64_t calls = 0;
  const double start = ThreadCpuSeconds();
  double cpu = 0;
  do {
    if (!run(1000)) return 0;
    calls += 1000;
    cpu = ThreadCpuSeconds() - start;
  } while (cpu < seconds);
  return static_cast<double>(calls) / cpu;
}

// The whole job without the engine: the 20 input events built by Lua code (table
// constructors) and the rule called on them, in a plain state with only the
// helpers the rule uses (stubs), looping inside Lua. No JSON, no sandbox, no
// conversion: what Debian's Lua 5.4 alone does per CPU second. Returns 0 if the
// script does not load.
double PureLuaPerSecond(const std::string& rule_source, double seconds) {
  lua_State* L = luaL_newstate();
  if (L == nullptr) return 0;
  luaL_openlibs(L);
  const std::string setup = R"(
    json = { null = setmetatable({}, { __name = "null" }), array = function() return {} end }
    time = { now = function() return 1795255200 end, parse = function() error("unused") end,
             duration = function() error("unused") end }
  )";
  std::string driver = kLuaMakeEvents;
  driver += R"(
    local recommend, make_events = recommend, make_events
    function loop(n)
      local r
      for _ = 1, n do r = recommend({ events = make_events() }) end
      return r
    end
  )";
  if (luaL_dostring(L, setup.c_str()) != LUA_OK ||
      luaL_loadbuffer(L, rule_source.data(), rule_source.size(), "=recommend.lua") != LUA_OK ||
      lua_pcall(L, 0, 0, 0) != LUA_OK || luaL_dostring(L, driver.c_str()) != LUA_OK) {
    std::cerr << "recommend_bench: pure Lua setup failed: " << lua_tostring(L, -1) << "\n";
    lua_close(L);
    return 0;
  }
  const double rate = LuaLoopPerSecond(L, "loop", seconds);
  lua_close(L);
  return rate;
}

// Floors for the rule itself: what Debian's Lua 5.4 needs per call on this machine
// for the least work any implementation of the rule's contract must do, with the
// 20 events already built as tables (built once, outside the loop) and nothing
// converted, in a plain state. `lean` counts each category's decayed score and
// events and builds the output entries unrounded and unsorted; `count` only counts
// events per productType (no weights, no decay, no output). Per CPU second; 0 if
// the script does not load.
struct RuleFloors {
  double lean = 0;
  double count = 0;
};

RuleFloors RuleFloorsPerSecond(double seconds) {
  lua_State* L = luaL_newstate();
  if (L == nullptr) return {};
  luaL_openlibs(L);
  std::string source = kLuaMakeEvents;
  source += R"(
    local events = make_events()
    local W = { view = 1, click = 2, add_to_cart = 4, purchase = 6 }
    local function lean(events, now, r)
      local score, count, names, n = {}, {}, {}, 0
      for i = 1, #events do
        local e = events[i]
        local w = W[e.eventType] or 1
        local at = e.at
        if at < now then w = w * 0.5 ^ ((now - at) * r) end
        local p = e.productType
        local s = score[p]
        if s then score[p] = s + w; count[p] = count[p] + 1
        else n = n + 1; names[n] = p; score[p] = w; count[p] = 1 end
      end
      local list = {}
      for i = 1, n do
        local p = names[i]
        list[i] = { productType = p, score = score[p], count = count[p] }
      end
      return { categories = list, top = list[1].productType }
    end
    local function count(events)
      local c = {}
      for i = 1, #events do
        local p = events[i].productType
        c[p] = (c[p] or 0) + 1
      end
      return c
    end
    function lean_loop(n) for _ = 1, n do lean(events, 1795255200, 1 / 604800) end end
    function count_loop(n) for _ = 1, n do count(events) end end
  )";
  if (luaL_dostring(L, source.c_str()) != LUA_OK) {
    std::cerr << "recommend_bench: rule floor setup failed: " << lua_tostring(L, -1) << "\n";
    lua_close(L);
    return {};
  }
  RuleFloors floors{LuaLoopPerSecond(L, "lean_loop", seconds),
                    LuaLoopPerSecond(L, "count_loop", seconds)};
  lua_close(L);
  return floors;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void Print(const char* what, Rate r, double scale = 1) {
  double cpu = r.per_cpu_second * scale;
  std::printf("  %-46s %9.0f calls/s %8.3f us/call  (wall clock: %.0f calls/s)\n", what, cpu,
              1e6 / cpu, r.per_wall_second * scale);
}

}  // namespace

// Usage: recommend_bench [SECONDS] [--breakdown] [--calls N]
//   SECONDS      CPU time spent measuring each figure (default 3)
//   --calls N    instead of timing, make exactly N calls per figure (for
//                valgrind --tool=callgrind: instructions per call = the inclusive
//                count of Counted<K> / N; see Counted)
//   --breakdown  also measure the parts: the sandbox's per-call cost, the input
//                conversion alone, the script alone (looping inside Lua), the
//                result's conversion alone, the floor of any conversion that
//                builds the input as Lua tables (the bare Lua API, no JSON), and
//                the rule's own floors in plain Lua (the whole job in plain Lua,
//                the target's reference, is always printed)
int main(int argc, char** argv) {
  double seconds = 3.0;
  bool breakdown = false;
  int counted_calls = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--breakdown") {
      breakdown = true;
    } else if (a == "--calls" && i + 1 < argc && std::atoi(argv[i + 1]) > 0) {
      counted_calls = std::atoi(argv[++i]);
    } else if (std::atof(a.c_str()) > 0) {
      seconds = std::atof(a.c_str());
    } else {
      std::cerr << "usage: recommend_bench [SECONDS] [--breakdown]\n";
      return 2;
    }
  }
  // Scripts are named relative to the repository root, as the engine names them.
  std::filesystem::current_path(STOREFLOW_SOURCE_DIR);
  const std::string script = "scripts/recommend.lua";

  storeflow::script::Sandbox sandbox;
  const json input = MakeInput();
  auto first = sandbox.CallRule(script, "recommend", input, {kNowUnixSeconds * 1000});
  if (!first.ok()) {
    std::cerr << "recommend_bench: the rule failed: " << first.status().message() << "\n";
    return 1;
  }
  if (!(*first)["top"].is_string() || (*first)["categories"].size() != 5) {
    std::cerr << "recommend_bench: unexpected result " << first->dump() << "\n";
    return 1;
  }

  std::printf(
      "recommend_bench: scripts/recommend.lua#recommend, 20 events, JSON -> Lua -> JSON "
      "through Sandbox::CallRule\n");
  if (counted_calls > 0) {
    // Warm caches (script, interned strings) first, then the counted calls.
    Counted<0>(sandbox, script, "recommend", input, 16);
    Counted<0>(sandbox, script, "recommend", input, counted_calls);
    std::printf("  %d calls of each figure made (no timing)\n", counted_calls);
  } else {
    Rate full = Measure(sandbox, script, "recommend", input, seconds);
    Print("full path (the figure)", full);
    const double plain = PureLuaPerSecond(ReadFile(script), seconds);
    std::printf("  %-46s %9.0f calls/s %8.3f us/call  (input built by Lua code, no engine)\n",
                "the same job in plain Lua 5.4", plain, plain > 0 ? 1e6 / plain : 0.0);
    const double ratio = full.per_cpu_second > 0 ? plain / full.per_cpu_second : 0.0;
    std::printf("  target (ADR 0007): full path <= 1.2x plain Lua's time: %.2fx (%s)\n", ratio,
                ratio > 0 && ratio <= 1.2 ? "met" : "NOT met");
  }

  if (breakdown) {
    // The same rule plus helpers, in a scratch copy (the sandbox has no require).
    constexpr int kLoops = 1000;
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("storeflow-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string copy = (dir / "recommend_parts.lua").string();
    std::ofstream(copy) << ReadFile(script) << R"(
function noop(input) return nil end
-- A result shaped like the rule's (5 categories), built afresh per call; the
-- second one builds it too but returns nil: the difference is Lua -> JSON.
local function result_like()
  local list = json.array()
  for i, name in ipairs({"shoes", "bags", "hats", "jackets", "socks"}) do
    list[i] = { productType = name, score = 8.125 - i, count = 4 }
  end
  return { categories = list, top = list[1].productType }
end
function result(input) return result_like() end
function result_dropped(input) result_like() return nil end
function loop(input)
  local r
  for i = 1, input.n do r = recommend(input.input) end
  return r
end
)";
    json empty = json::object();
    json looped = {{"input", input}, {"n", kLoops}};
    if (counted_calls > 0) {
      Counted<1>(sandbox, copy, "noop", empty, 16);
      Counted<1>(sandbox, copy, "noop", empty, counted_calls);
      Counted<2>(sandbox, copy, "noop", input, counted_calls);
      // 20 rule runs per call (kLoops would exceed the time limit under valgrind).
      looped["n"] = 20;
      Counted<3>(sandbox, copy, "loop", looped, std::max(1, counted_calls / 20));
    } else {
      Print("sandbox per call: noop({})", Measure(sandbox, copy, "noop", empty, seconds));
      Print("+ JSON -> Lua of the input: noop(input)",
            Measure(sandbox, copy, "noop", input, seconds));
      Print("script alone (looping in Lua, no conversion)",
            Measure(sandbox, copy, "loop", looped, seconds), kLoops);
      Rate with_result = Measure(sandbox, copy, "result", empty, seconds);
      Rate dropped = Measure(sandbox, copy, "result_dropped", empty, seconds);
      double us = 1e6 / with_result.per_cpu_second - 1e6 / dropped.per_cpu_second;
      std::printf("  %-46s %9s          %8.3f us/call  (5 categories, and destroying the JSON)\n",
                  "Lua -> JSON of a result like the rule's", "", us);
      double bare = BareLuaTablesPerSecond(seconds);
      std::printf("  %-46s %9.0f calls/s %8.3f us/call  (bare Lua API, no JSON, no sandbox)\n",
                  "floor: the 20 input tables built in Lua", bare, 1e6 / bare);
      RuleFloors floors = RuleFloorsPerSecond(seconds);
      auto print_floor = [](const char* what, double rate, const char* how) {
        std::printf("  %-46s %9.0f calls/s %8.3f us/call  (%s)\n", what, rate,
                    rate > 0 ? 1e6 / rate : 0.0, how);
      };
      print_floor("floor: leanest rule, input prebuilt", floors.lean,
                  "plain Lua 5.4, no conversion, no rounding or sort");
      print_floor("floor: count per productType only", floors.count,
                  "plain Lua 5.4, no weights, decay or output");
    }
    std::filesystem::remove_all(dir);
  }
  std::printf("  result: %s\n", first->dump().c_str());
  return 0;
}
