// The time-only budget (no instruction cap): no hook while a call is within its
// deadline; the process-wide watchdog signals the worker thread when it passes,
// and the handler arms the hook on that thread (deadline_watchdog.h).

#include <gtest/gtest.h>

#include <lua.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "script/call_budget.h"
#include "script/sandbox.h"
#include "script/script_context.h"
#include "script_test_util.h"

namespace storeflow::script {
namespace {

using nlohmann::json;
using testing::Contains;
using testing::ScriptDir;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Limits TimeOnly(milliseconds time) {
  Limits l;
  l.time_per_call = time;
  l.instructions_per_call = 0;
  l.memory_bytes = 16u << 20;
  return l;
}

TEST(DeadlineWatchdogTest, DefaultsHaveNoInstructionCap) {
  EXPECT_EQ(Limits{}.instructions_per_call, 0u);
  EXPECT_GT(Limits{}.time_per_call.count(), 0);
}

TEST(DeadlineWatchdogTest, StopsAnEndlessLoopAndAPcallRetryLoop) {
  ScriptDir dir;
  dir.Write("scripts/spin.lua",
            "function spin() while true do end end\n"
            "function retry()\n"
            "  while true do pcall(function() while true do end end) end\n"
            "end\n"
            "function ok(x) return x end\n");
  Sandbox sandbox(TimeOnly(milliseconds(100)));
  sandbox.set_script_root(dir.root());
  for (const char* fn : {"spin", "retry", "spin"}) {
    auto start = Clock::now();
    auto r = sandbox.CallRule("scripts/spin.lua", fn, json::object());
    auto elapsed = Clock::now() - start;
    ASSERT_FALSE(r.ok()) << fn;
    EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
    EXPECT_TRUE(Contains(r.status().message(), "time limit of 100 ms exceeded"))
        << r.status().message();
    EXPECT_GE(elapsed, milliseconds(100)) << fn;
    EXPECT_LT(elapsed, milliseconds(1000)) << fn;
    auto ok = sandbox.CallRule("scripts/spin.lua", "ok", json{{"n", 1}});
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    EXPECT_EQ(*ok, json({{"n", 1}}));
  }
}

TEST(DeadlineWatchdogTest, WorksOnManyThreadsAtOnce) {
  ScriptDir dir;
  dir.Write("scripts/spin.lua",
            "function spin() while true do end end\nfunction ok(x) return x end\n");
  std::vector<std::thread> threads;
  std::vector<int> timeouts(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Sandbox sandbox(TimeOnly(milliseconds(100 + 20 * t)));
      sandbox.set_script_root(dir.root());
      for (int i = 0; i < 3; ++i) {
        auto r = sandbox.CallRule("scripts/spin.lua", "spin", json::object());
        if (!r.ok() && r.status().code() == StatusCode::kDeadlineExceeded) ++timeouts[t];
        auto ok = sandbox.CallRule("scripts/spin.lua", "ok", 1);
        if (!ok.ok()) timeouts[t] = -100;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(timeouts[t], 3) << "thread " << t;
}

TEST(DeadlineWatchdogTest, ABlockedSignalIsUnblockedForTheCall) {
  ScriptDir dir;
  dir.Write("scripts/spin.lua", "function spin() while true do end end\n");
  std::thread worker([&] {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);  // like a runtime that blocks signals in workers
    Sandbox sandbox(TimeOnly(milliseconds(50)));
    sandbox.set_script_root(dir.root());
    auto start = Clock::now();
    auto r = sandbox.CallRule("scripts/spin.lua", "spin", json::object());
    EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
    EXPECT_LT(Clock::now() - start, milliseconds(1000));
  });
  worker.join();
}

// Runs `code` with the budget armed for `limit` and returns the lua_pcall status.
int RunArmed(lua_State* L, CallBudget& budget, const std::string& code, milliseconds limit) {
  budget.Arm(L, limit, 0);
  int status = luaL_loadstring(L, code.c_str());
  if (status == LUA_OK) status = lua_pcall(L, 0, 0, 0);
  budget.Disarm(L);
  lua_settop(L, 0);
  return status;
}

// Calls that end right around their deadline (some just before, some just
// after) must leave no hook armed: a late signal for an ended call must not arm
// the hook of the state, now or in the next call.
TEST(DeadlineWatchdogTest, CallsEndingAtTheDeadlineLeaveNoHookArmed) {
  ScriptContext ctx;
  lua_State* L = luaL_newstate();
  ASSERT_NE(L, nullptr);
  ctx.Attach(L);
  CallBudget& budget = ctx.budget;
  const milliseconds limit(3);

  // Calibrate a loop that takes about the time limit.
  auto start = Clock::now();
  ASSERT_EQ(RunArmed(L, budget, "for i = 1, 200000 do end", milliseconds(10'000)), LUA_OK);
  double ns_per_iteration =
      std::chrono::duration<double, std::nano>(Clock::now() - start).count() / 200000;
  long long around = static_cast<long long>(3e6 / std::max(ns_per_iteration, 0.1));

  int ended_in_time = 0, timed_out = 0;
  for (int i = 0; i < 60; ++i) {
    long long n = around * (80 + (i % 9) * 5) / 100;  // 80% .. 120% of the limit
    int status = RunArmed(L, budget, "for i = 1, " + std::to_string(n) + " do end", limit);
    if (status == LUA_OK) {
      ++ended_in_time;
      EXPECT_EQ(budget.tripped(), LimitKind::kNone);
    } else {
      ++timed_out;
      EXPECT_EQ(budget.tripped(), LimitKind::kTime);
    }
    EXPECT_EQ(lua_gethook(L), nullptr) << "call " << i;
    EXPECT_EQ(lua_gethookmask(L), 0) << "call " << i;
  }
  // Let any signal still on its way arrive, with no call active.
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(lua_gethook(L), nullptr);
  EXPECT_EQ(lua_gethookmask(L), 0);
  // The next call runs without a hook and is not cut short.
  ASSERT_EQ(
      RunArmed(L, budget, "local s = 0 for i = 1, 1000 do s = s + i end", milliseconds(10'000)),
      LUA_OK);
  EXPECT_EQ(budget.tripped(), LimitKind::kNone);
  EXPECT_EQ(lua_gethook(L), nullptr);
  EXPECT_GT(ended_in_time + timed_out, 0);
  lua_close(L);
}

TEST(DeadlineWatchdogTest, HookStaysOffWhileTheCallIsWithinItsDeadline) {
  ScriptContext ctx;
  lua_State* L = luaL_newstate();
  ctx.Attach(L);
  ctx.budget.Arm(L, milliseconds(10'000), 0);
  EXPECT_EQ(lua_gethookmask(L), 0);  // time only: nothing slows the VM
  ctx.budget.Disarm(L);
  ctx.budget.Arm(L, milliseconds(10'000), 1'000'000);
  EXPECT_EQ(lua_gethookmask(L), LUA_MASKCOUNT);  // an instruction cap needs the hook
  ctx.budget.Disarm(L);
  EXPECT_EQ(lua_gethookmask(L), 0);
  lua_close(L);
}

}  // namespace
}  // namespace storeflow::script
