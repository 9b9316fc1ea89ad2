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
// Cost: in Lua 5.4 any count hook makes the VM trap into luaG_traceexec at every
// instruction, whatever the period. On the recommendation rule that is about a
// third of the interpreter's speed (callgrind: 66K -> 99K instructions per
// call). It is the price of a deadline that cannot be escaped; nothing cheaper
// stops a VM loop from the same thread.

#include <lua.hpp>

#include <chrono>
#include <cstdint>

namespace storeflow::script {

enum class LimitKind { kNone, kTime, kInstructions };

class CallBudget {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kHookPeriod = 1000;

  // Starts a budget for one call and installs the hook. A zero time or
  // instruction limit means "none".
  void Arm(lua_State* L, std::chrono::milliseconds time_limit, std::uint64_t instruction_limit);
  // Removes the hook; the trip state stays readable until the next Arm.
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
