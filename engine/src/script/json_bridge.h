#pragma once

// Conversion between nlohmann::json and Lua values. The mapping (64-bit
// integers exact, json.null, arrays marked with a metatable, the empty-table
// rule, what is refused) is documented for script authors in sandbox.h.

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace storeflow::script {

class CallBudget;

inline constexpr int kMaxJsonDepth = 200;

// The light userdata that stands for JSON null in Lua (json.null).
void* JsonNullSentinel();
inline void PushJsonNull(lua_State* L) {
  lua_pushlightuserdata(L, JsonNullSentinel());
}

// Reuses the Lua strings made for short JSON strings (object keys, and values
// such as "view" or a user id that repeat across events and calls): pushing a
// cached string is one array read instead of hashing and interning it again.
// A string of up to 32 bytes is identified by its length and at most four
// (overlapping) 8-byte words that together cover every byte, so a lookup is a
// few fixed-size loads and compares (no memcmp); the cache is direct-mapped by
// a hash of those words. The Lua strings live in a Lua table (so the collector
// keeps them), the words in slots_.
class LuaStringCache {
 public:
  static constexpr int kSlots = 1024;
  static constexpr std::size_t kMaxLength = 32;

  // Creates the backing table in the registry. Protected mode only.
  void Create(lua_State* L);
  int table_ref() const { return table_ref_; }

  // Pushes the string [s, s+n); `table_index` is where the backing table is on
  // the stack. May raise (out of memory) only before the cache is updated.
  void Push(lua_State* L, int table_index, const char* s, std::size_t n);

 private:
  struct Slot {
    std::uint64_t words[4] = {};
    std::uint64_t length = ~std::uint64_t{0};  // all ones: empty
  };
  int table_ref_ = LUA_NOREF;
  Slot slots_[kSlots];
};

struct JsonPushOptions {
  int array_metatable_ref = LUA_NOREF;
  LuaStringCache* strings = nullptr;  // optional
};

// Creates the protected metatable that marks a table as a JSON array (so an
// empty one converts back to []), leaves it in the registry and returns its
// reference. Protected mode only.
int CreateArrayMetatable(lua_State* L);

// Pushes `value` converted to Lua. Arrays get the metatable at registry
// reference options.array_metatable_ref. Raises a Lua error (so: protected mode only)
// when out of memory, for nesting deeper than kMaxJsonDepth, and for integers
// above INT64_MAX (Lua integers are signed 64-bit; refusing beats silently
// rounding an id to a float). The message starts with `what` and names the
// JSON path: "input: integer 18446744073709551615 is above ... at $.id".
// A non-empty `root_key` starts the path with that key ("$.event.id").
void PushJson(lua_State* L, const nlohmann::json& value, const JsonPushOptions& options,
              const char* what, std::string_view root_key = {});

struct ToJsonOptions {
  const void* array_metatable = nullptr;  // lua_topointer of the array marker
  CallBudget* budget = nullptr;           // charged one unit per value; may be null
  std::size_t max_bytes = 0;              // rough cap on the result's size; 0 = none
};

// Converts the Lua value at `index` to JSON. Never raises a Lua error (it uses
// only Lua API calls that cannot raise) and never throws, so it may run in any
// frame. On failure returns false with *error naming the JSON path, e.g.
// "cannot convert to JSON at $.items[2]: a function". When the budget trips it
// fails with "time limit exceeded"; the caller reports the budget's error.
bool LuaToJson(lua_State* L, int index, const ToJsonOptions& options, nlohmann::json* out,
               std::string* error) noexcept;

}  // namespace storeflow::script
