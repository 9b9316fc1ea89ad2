#pragma once

// Guards for stock library functions whose C loops the count hook cannot
// interrupt (the hook only runs between VM instructions). In Lua 5.4.4 each of
// these runs for hours on a one-line script:
//   string.rep("", 1e10)                          n empty copies
//   table.move({}, 1, 1e10, 1)                    n moves of nil
//   table.insert(t, 1, x) / table.remove(t, 1)    with __len returning 1e10
//   table.sort(t)                                 n log n comparisons in C
// string.rep returns "" at once when nothing would be copied; insert, remove and
// move check how many elements they will touch (refusing more than
// kMaxTableElements, and charging the count to the call's budget) before
// running the stock function; sort runs the stock function with a C comparator
// that charges every comparison (and calls the script's comparator, if any).

#include <lua.hpp>

namespace storeflow::script {

// More elements than any table within a sane memory cap can hold.
inline constexpr lua_Integer kMaxTableElements = lua_Integer{1} << 24;

// Replaces rep in the string library table at `string_index` and insert,
// remove, move and sort in the table library at `table_index`. Protected mode.
void InstallLibraryGuards(lua_State* L, int string_index, int table_index);

}  // namespace storeflow::script
