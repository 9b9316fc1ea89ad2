#pragma once

// A small RAII owner of one lua_State, created with a byte-counting allocator
// that refuses to grow past a cap (Lua then raises an ordinary memory error
// instead of the process running out of memory).
//
// Error-handling rule for everything in script/: Lua is compiled as C and raises
// errors with longjmp. A longjmp must never cross a C++ frame that owns an object
// with a non-trivial destructor, and a C++ exception must never cross a Lua frame.
// So every Lua API call that can raise runs inside CallProtected's lua_pcall, in
// frames that hold only trivially destructible locals (pointers, ints, string
// views, POD structs); C++ work that allocates runs in small noexcept helpers that
// catch everything and return plain values.

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace storeflow::script {

class LuaState {
 public:
  // A state that may hold at most `memory_limit` bytes (0 = unlimited).
  // Throws std::bad_alloc when even the empty state does not fit.
  explicit LuaState(std::size_t memory_limit);
  ~LuaState();
  LuaState(const LuaState&) = delete;
  LuaState& operator=(const LuaState&) = delete;

  lua_State* get() const { return state_; }

  std::size_t memory_in_use() const { return allocator_.used; }
  std::size_t memory_limit() const { return allocator_.limit; }
  // Allocations refused because of the cap since the state was created. Lua
  // retries a refused allocation after a full collection, so a refusal is not
  // necessarily an error.
  std::uint64_t refused_allocations() const { return allocator_.refused; }

  // Calls `fn` under lua_pcall with `arg` as its only argument (a light
  // userdata) and no results, with a message handler that appends a traceback
  // (luaL_traceback) to runtime errors. Returns the lua_pcall status; on failure
  // `*error` holds the message (with traceback for runtime errors). The stack is
  // left as it was.
  int CallProtected(lua_CFunction fn, void* arg, std::string* error);

  // The per-state pointer kept in the state's extra space (see ScriptContext).
  void set_user_pointer(void* p) { *static_cast<void**>(lua_getextraspace(state_)) = p; }
  static void* user_pointer(lua_State* L) { return *static_cast<void**>(lua_getextraspace(L)); }

 private:
  // Small blocks (tables, strings, closures: most of what a call allocates and
  // frees) are recycled through free lists per 16-byte size class instead of
  // going to malloc each time. Invariant: a live block of size n <= kMaxSmall
  // has room for Round(n) bytes and is recycled by its class when freed; larger
  // blocks are malloc's. The cap counts the sizes Lua asked for; the free lists
  // (at most the peak of small blocks, so below the cap) are freed with the state.
  struct Allocator {
    static constexpr std::size_t kGranule = 16;
#if defined(__SANITIZE_ADDRESS__)
    // Under AddressSanitizer every block goes to malloc, so use-after-free and
    // overflows inside Lua's own objects are still caught.
    static constexpr std::size_t kMaxSmall = 0;
#else
    static constexpr std::size_t kMaxSmall = 256;
#endif
    static constexpr std::size_t kClasses = kMaxSmall / kGranule + 1;
    struct FreeBlock {
      FreeBlock* next;
    };
    std::size_t used = 0;
    std::size_t limit = 0;
    std::uint64_t refused = 0;
    FreeBlock* free_lists[kClasses] = {};

    static std::size_t Class(std::size_t n) {
      return (n + kGranule - 1) / kGranule;
    }
    void* NewSmall(std::size_t n) noexcept;
    void FreeSmall(void* p, std::size_t n) noexcept;
    void ReleaseAll() noexcept;
  };
  static void* Allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept;

  Allocator allocator_;  // its address is the allocator's ud: LuaState never moves
  lua_State* state_ = nullptr;
};

// The message handler CallProtected uses: turns the error object into a string
// and appends a traceback that starts at the function that raised the error.
int TracebackMessageHandler(lua_State* L);

// Removes the lines of a traceback that name only C frames of the engine itself
// ("[C]: in ?"), and the "stack traceback:" header when nothing else is left.
std::string TidyTraceback(std::string message);

}  // namespace storeflow::script
