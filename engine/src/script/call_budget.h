#pragma once

// The time and instruction budget of one call, enforced by a Lua count hook.
//
// The hook runs every kHookPeriod VM instructions and checks the instruction
// count and the deadline. Once either is exceeded the budget "trips": the hook
// raises the limit error and re-arms itself to run at EVERY instruction, so a
// script that catches the error with pcall (or loops around pcall) gets it again
// at its next instruction and the error reaches the engine. C code that loops
// without running VM instructions (the pattern matcher) charges its work through
// Charge(), which applies the same checks.
//
// Two ways to enforce it:
//  - with an instruction cap: the count hook runs every kHookPeriod
//    instructions for the whole call. In Lua 5.4 any count hook makes the VM
//    trap into luaG_traceexec at every instruction, whatever the period: about
//    30% of the interpreter's speed.
//  - time only (no instruction cap): no hook while the call is within its
//    deadline. The process-wide DeadlineWatchdog signals the worker thread when
//    the deadline passes, and the signal handler (on that thread) installs the
//    hook, which then trips as above (deadline_watchdog.h).

#include <lua.hpp>

#include <chrono>
#include <cstdint>

#include "script/deadline_watchdog.h"

namespace storeflow::script {

enum class LimitKind { kNone, kTime, kInstructions };

class CallBudget {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kHookPeriod = 1000;

  CallBudget() = default;
  ~CallBudget();
  CallBudget(const CallBudget&) = delete;
  CallBudget& operator=(const CallBudget&) = delete;

  // Starts a budget for one call and installs the hook (with an instruction
  // limit), or hands the deadline to the watchdog (time only). A zero time or
  // instruction limit means "none".
  void Arm(lua_State* L, std::chrono::milliseconds time_limit, std::uint64_t instruction_limit);
  // Withdraws the deadline and removes the hook; the trip state stays readable
  // until the next Arm. No hook is left armed for the next call.
  void Disarm(lua_State* L);

  LimitKind tripped() const { return tripped_; }
  std::chrono::milliseconds time_limit() const { return time_limit_; }
  std::uint64_t instruction_limit() const { return instruction_limit_; }

  // Accounts `units` of work done in C (counted like VM instructions) and
  // raises the limit error (a Lua error: longjmp) when the budget is exceeded.
  // Call only from a lua_CFunction whose frames hold trivially destructible
  // locals. Does nothing when the budget is not armed.
  void Charge(lua_State* L, std::uint64_t units);

  // The same accounting without raising, for C++ code that must not longjmp:
  // returns true when the budget is (now) exceeded.
  bool Consume(std::uint64_t units);

  // Raises the error for the limit that tripped (after Consume returned true).
  [[noreturn]] void Raise(lua_State* L);

  // The count hook (lua_Hook); finds the budget through the ScriptContext.
  static void Hook(lua_State* L, lua_Debug* ar);

 private:
  bool Exceeded();  // updates tripped_

  bool armed_ = false;
  bool watchdog_ = false;    // this call's deadline is enforced by the watchdog
  bool registered_ = false;  // slot_ is registered with the watchdog
  DeadlineWatchdog::Slot slot_;
  DeadlineWatchdog::Active active_;
  LimitKind tripped_ = LimitKind::kNone;
  Clock::time_point deadline_{};
  bool has_deadline_ = false;
  std::chrono::milliseconds time_limit_{0};
  std::uint64_t instruction_limit_ = 0;
  std::uint64_t instructions_used_ = 0;
};

// Pushes "<source>:<line>: " for the innermost Lua function on the call stack
// (or "" when there is none), like luaL_where but skipping C functions and hooks.
void PushLuaWhere(lua_State* L);

}  // namespace storeflow::script
