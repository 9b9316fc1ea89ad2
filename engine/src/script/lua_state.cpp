#include "script/lua_state.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace storeflow::script {

void* LuaState::Allocator::NewSmall(std::size_t n) noexcept {
  std::size_t c = Class(n);
  FreeBlock* b = free_lists[c];
  if (b != nullptr) {
    free_lists[c] = b->next;
    return b;
  }
  return std::malloc(c * kGranule);
}

void LuaState::Allocator::FreeSmall(void* p, std::size_t n) noexcept {
  std::size_t c = Class(n);
  auto* b = static_cast<FreeBlock*>(p);
  b->next = free_lists[c];
  free_lists[c] = b;
}

void LuaState::Allocator::ReleaseAll() noexcept {
  for (FreeBlock*& head : free_lists) {
    while (head != nullptr) {
      FreeBlock* next = head->next;
      std::free(head);
      head = next;
    }
  }
}

void* LuaState::Allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept {
  auto* a = static_cast<Allocator*>(ud);
  // When ptr is null, osize encodes the kind of object being created, not a size.
  std::size_t old_size = ptr != nullptr ? osize : 0;
  if (nsize == 0) {
    if (ptr != nullptr) {
      if (old_size <= Allocator::kMaxSmall) {
        a->FreeSmall(ptr, old_size == 0 ? 1 : old_size);
      } else {
        std::free(ptr);
      }
    }
    a->used -= old_size;
    return nullptr;
  }
  // Growing past the cap is refused; shrinking always succeeds (Lua's GC relies
  // on shrinking and freeing never failing).
  if (nsize > old_size && a->limit != 0 && a->used - old_size + nsize > a->limit) {
    ++a->refused;
    return nullptr;
  }
  void* block = nullptr;
  bool small = nsize <= Allocator::kMaxSmall;
  if (ptr == nullptr) {
    block = small ? a->NewSmall(nsize) : std::malloc(nsize);
  } else if (old_size > Allocator::kMaxSmall && !small) {
    block = std::realloc(ptr, nsize);
  } else if (old_size <= Allocator::kMaxSmall && small &&
             Allocator::Class(old_size == 0 ? 1 : old_size) == Allocator::Class(nsize)) {
    block = ptr;  // the block already has room
  } else {
    // Between classes, or between small and large: move.
    block = small ? a->NewSmall(nsize) : std::malloc(nsize);
    if (block == nullptr) {
      // Growing may fail (Lua then collects and retries, or raises). A shrink
      // must not; the only shrink that moves is into a small class: shrink the
      // block in place to that class's size instead.
      if (nsize > old_size || !small) return nullptr;
      block = std::realloc(ptr, Allocator::Class(nsize) * Allocator::kGranule);
      if (block == nullptr) return nullptr;
      a->used = a->used - old_size + nsize;
      return block;
    }
    std::memcpy(block, ptr, old_size < nsize ? old_size : nsize);
    if (old_size <= Allocator::kMaxSmall) {
      a->FreeSmall(ptr, old_size == 0 ? 1 : old_size);
    } else {
      std::free(ptr);
    }
  }
  if (block == nullptr) return nullptr;
  a->used = a->used - old_size + nsize;
  return block;
}

LuaState::LuaState(std::size_t memory_limit) {
  allocator_.limit = memory_limit;
  state_ = lua_newstate(&LuaState::Allocate, &allocator_);
  if (state_ == nullptr) {
    allocator_.ReleaseAll();
    throw std::bad_alloc();
  }
  set_user_pointer(nullptr);
}

LuaState::~LuaState() {
  if (state_ != nullptr) lua_close(state_);
  allocator_.ReleaseAll();
}

int TracebackMessageHandler(lua_State* L) {
  const char* message = lua_tostring(L, 1);
  if (message == nullptr) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
      message = lua_tostring(L, -1);
    } else {
      message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
  }
  luaL_traceback(L, L, message, 1);
  return 1;
}

int LuaState::CallProtected(lua_CFunction fn, void* arg, std::string* error) {
  lua_State* L = state_;
  int base = lua_gettop(L);
  if (!lua_checkstack(L, 4)) {
    *error = "not enough memory";
    return LUA_ERRMEM;
  }
  lua_pushcfunction(L, TracebackMessageHandler);  // light C functions do not allocate
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, arg);
  int status = lua_pcall(L, 1, 0, base + 1);
  if (status != LUA_OK) {
    std::size_t len = 0;
    // Only read strings: lua_tolstring on a number would convert (allocate) in place.
    const char* s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : nullptr;
    if (s != nullptr) {
      error->assign(s, len);
    } else {
      *error = status == LUA_ERRMEM ? "not enough memory" : "error object is not a string";
    }
  }
  lua_settop(L, base);
  return status;
}

std::string TidyTraceback(std::string message) {
  static constexpr std::string_view kHeader = "\nstack traceback:";
  static constexpr std::string_view kCLine = "\n\t[C]: in ?";
  std::size_t header = message.find(kHeader);
  if (header == std::string::npos) return message;
  std::string out = message.substr(0, header + kHeader.size());
  std::size_t pos = header + kHeader.size();
  bool any = false;
  while (pos < message.size()) {
    std::size_t next = message.find('\n', pos + 1);
    if (next == std::string::npos) next = message.size();
    std::string_view line(message.data() + pos, next - pos);
    if (line != kCLine) {
      out.append(line);
      any = true;
    }
    pos = next;
  }
  if (!any) out.resize(header);
  return out;
}

}  // namespace storeflow::script
