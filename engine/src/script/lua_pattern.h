#pragma once

// Budgeted string.find, string.match, string.gmatch and string.gsub.
//
// Why: the count hook that enforces the time budget fires only between VM
// instructions, and Lua's pattern matcher is C code that backtracks: a call
// such as string.find(string.rep("a", 1e5), ".-.-.-.-.-.-.-.-b") runs for hours
// inside one instruction, where no hook can stop it. Capping input length times
// pattern complexity would refuse legitimate calls and still let others through.
// So the sandbox replaces these four functions with a reimplementation of Lua
// 5.4's pattern semantics (same classes, anchors, captures, %b, %f, back
// references, gsub replacement rules, error messages) whose matcher charges
// every step to the call's CallBudget, checking the clock every 1024 steps; the
// plain (non-pattern) find charges its scanning too. A pathological pattern
// therefore ends with the ordinary "time limit of N ms exceeded" error.

#include <lua.hpp>

namespace storeflow::script {

// Sets the fields find, match, gmatch and gsub of the table at `lib_index` (the
// string library) to the budgeted versions. Protected mode only.
void InstallBudgetedPatternFunctions(lua_State* L, int lib_index);

}  // namespace storeflow::script
