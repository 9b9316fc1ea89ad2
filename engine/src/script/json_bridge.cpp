#include "script/json_bridge.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

#include "script/call_budget.h"

namespace storeflow::script {
namespace {

using nlohmann::json;

// The address is the identity of json.null; the value is never read.
const char kJsonNull = 0;

bool IsIdentifier(std::string_view key) {
  if (key.empty()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// a == b, inline for the short strings object keys usually are.
bool SameBytes(const std::string& a, const std::string& b) {
  std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n > 16) return std::memcmp(p, q, n) == 0;
  if (n >= 8) {
    std::uint64_t x0, x1, y0, y1;
    std::memcpy(&x0, p, 8);
    std::memcpy(&y0, q, 8);
    std::memcpy(&x1, p + n - 8, 8);
    std::memcpy(&y1, q + n - 8, 8);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != q[i]) return false;
  }
  return true;
}

// One step of a JSON path: an object key or a (0-based) array index.
struct PathStep {
  const char* key;  // null for an index
  std::size_t key_len;
  std::size_t index;
};

// Appends "$.a[0][\"b c\"]" for `steps` to any string-like sink.
template <typename Sink>
void FormatPath(const PathStep* steps, int count, Sink&& append) {
  append("$", 1);
  char buf[32];
  for (int i = 0; i < count; ++i) {
    const PathStep& s = steps[i];
    if (s.key == nullptr) {
      int n = std::snprintf(buf, sizeof buf, "[%zu]", s.index);
      append(buf, static_cast<std::size_t>(n));
    } else if (IsIdentifier(std::string_view(s.key, s.key_len))) {
      append(".", 1);
      append(s.key, s.key_len);
    } else {
      append("[\"", 2);
      for (std::size_t j = 0; j < s.key_len; ++j) {
        if (s.key[j] == '"' || s.key[j] == '\\') append("\\", 1);
        append(s.key + j, 1);
      }
      append("\"]", 2);
    }
  }
}

// ---------------------------------------------------------------------------
// JSON -> Lua. Runs in protected mode and may raise, so this struct and every
// frame of Push hold only trivially destructible data.

class Pusher {
 public:
  Pusher(lua_State* L, int array_mt_index, LuaStringCache* strings, int strings_index,
         const char* what, std::string_view root_key)
      : L_(L),
        array_mt_index_(array_mt_index),
        strings_(strings),
        strings_index_(strings_index),
        what_(what) {
    if (!root_key.empty()) {
      path_[0] = {root_key.data(), root_key.size(), 0};
      depth_ = base_ = 1;
    }
  }

  void Push(const json& v) {
    switch (v.type()) {
      case json::value_t::null: PushJsonNull(L_); return;
      case json::value_t::boolean:
        lua_pushboolean(L_, *v.get_ptr<const json::boolean_t*>() ? 1 : 0);
        return;
      case json::value_t::number_integer:
        lua_pushinteger(L_, static_cast<lua_Integer>(*v.get_ptr<const json::number_integer_t*>()));
        return;
      case json::value_t::number_unsigned: {
        std::uint64_t u = *v.get_ptr<const json::number_unsigned_t*>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<lua_Integer>::max())) {
          char buf[96];
          std::snprintf(buf, sizeof buf, "integer %llu is above the largest Lua integer (%lld)",
                        static_cast<unsigned long long>(u),
                        static_cast<long long>(std::numeric_limits<lua_Integer>::max()));
          Fail(buf);
        }
        lua_pushinteger(L_, static_cast<lua_Integer>(u));
        return;
      }
      case json::value_t::number_float:
        lua_pushnumber(L_, *v.get_ptr<const json::number_float_t*>());
        return;
      case json::value_t::string: {
        const std::string& s = *v.get_ptr<const json::string_t*>();
        PushString(s.data(), s.size());
        return;
      }
      case json::value_t::array: PushArray(*v.get_ptr<const json::array_t*>()); return;
      case json::value_t::object: PushObject(*v.get_ptr<const json::object_t*>()); return;
      case json::value_t::binary:
      case json::value_t::discarded: Fail("binary values have no Lua form");
    }
  }

 private:
  void PushString(const char* s, std::size_t n) {
    if (strings_ != nullptr && n <= LuaStringCache::kMaxLength) {
      strings_->Push(L_, strings_index_, s, n);
    } else {
      lua_pushlstring(L_, s, n);
    }
  }

  static int SizeHint(std::size_t n) {
    return n > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
  }

  void Enter() {
    if (depth_ - base_ >= kMaxJsonDepth) Fail("nesting deeper than 200 levels");
    luaL_checkstack(L_, 4, "JSON nesting");
  }

  // Arrays of objects with the same keys (events, line items, ...) are the
  // common case: the key strings of the first element are kept on the stack
  // below the array, and later elements whose i-th key is the same (compared
  // in C++, no hashing) push it with lua_pushvalue.
  static constexpr int kMaxSharedKeys = 16;

  void PushArray(const json::array_t& arr) {
    Enter();
    int shared_base = 0;
    int shared_count = 0;
    const json::object_t* first = nullptr;
    if (!arr.empty() && arr.front().is_object()) {
      first = arr.front().get_ptr<const json::object_t*>();
      if (first->size() <= static_cast<std::size_t>(kMaxSharedKeys) && arr.size() > 1) {
        luaL_checkstack(L_, kMaxSharedKeys + 4, "JSON nesting");
        shared_base = lua_gettop(L_) + 1;
        for (const auto& [key, value] : *first) PushString(key.data(), key.size());
        shared_count = static_cast<int>(first->size());
      } else {
        first = nullptr;
      }
    }
    lua_createtable(L_, SizeHint(arr.size()), 0);
    lua_pushvalue(L_, array_mt_index_);
    lua_setmetatable(L_, -2);
    for (std::size_t i = 0; i < arr.size(); ++i) {
      path_[depth_++] = {nullptr, 0, i};
      const json& item = arr[i];
      if (first != nullptr && item.is_object()) {
        PushObject(*item.get_ptr<const json::object_t*>(), first, shared_base, shared_count);
      } else {
        Push(item);
      }
      --depth_;
      lua_rawseti(L_, -2, static_cast<lua_Integer>(i) + 1);
    }
    if (shared_count > 0) {
      lua_replace(L_, shared_base);  // the array over the first shared key
      lua_settop(L_, shared_base);
    }
  }

  void PushObject(const json::object_t& obj) { PushObject(obj, nullptr, 0, 0); }

  // `shared` (may be null): the object whose keys are at stack slots
  // shared_base .. shared_base + shared_count - 1, in its (sorted) order.
  void PushObject(const json::object_t& obj, const json::object_t* shared, int shared_base,
                  int shared_count) {
    Enter();
    lua_createtable(L_, 0, SizeHint(obj.size()));
    // std::map iterators are trivially destructible (checked below), so a Lua
    // error raised while one is live skips no destructor.
    json::object_t::const_iterator shared_it{};
    if (shared != nullptr) shared_it = shared->begin();
    int j = 0;
    for (const auto& [key, value] : obj) {
      path_[depth_++] = {key.data(), key.size(), 0};
      if (j < shared_count && SameBytes(shared_it->first, key)) {
        lua_pushvalue(L_, shared_base + j);
      } else {
        PushString(key.data(), key.size());
      }
      if (j < shared_count) {
        ++shared_it;
        ++j;
      }
      Push(value);
      --depth_;
      lua_rawset(L_, -3);
    }
  }

  [[noreturn]] void Fail(const char* problem) {
    luaL_Buffer b;
    luaL_buffinit(L_, &b);
    luaL_addstring(&b, what_);
    luaL_addstring(&b, ": ");
    luaL_addstring(&b, problem);
    luaL_addstring(&b, " at ");
    FormatPath(path_, depth_, [&b](const char* s, std::size_t n) { luaL_addlstring(&b, s, n); });
    luaL_pushresult(&b);
    lua_error(L_);
    __builtin_unreachable();
  }

  lua_State* L_;
  int array_mt_index_;
  LuaStringCache* strings_;
  int strings_index_;
  const char* what_;
  int depth_ = 0;  // steps in path_
  int base_ = 0;   // 1 when path_ starts with a root key
  PathStep path_[kMaxJsonDepth + 2];
};

static_assert(std::is_trivially_destructible_v<Pusher>);
static_assert(std::is_trivially_destructible_v<json::object_t::const_iterator>);

// ---------------------------------------------------------------------------
// Lua -> JSON. Plain C++ that may throw (caught at the top) but never raises a
// Lua error: only lua_type/to*/next/rawget*/getmetatable/checkstack/settop.

class Converter {
 public:
  Converter(lua_State* L, const ToJsonOptions& options, std::string* error)
      : L_(L), options_(options), error_(error) {}

  bool Convert(int idx, json* out) {
    if (options_.budget != nullptr && (++values_ & 1023) == 0 && options_.budget->Consume(1024)) {
      return Fail("time limit exceeded");
    }
    bytes_ += sizeof(json);
    switch (lua_type(L_, idx)) {
      case LUA_TNIL: *out = nullptr; return true;
      case LUA_TBOOLEAN: *out = lua_toboolean(L_, idx) != 0; return true;
      case LUA_TNUMBER: {
        if (lua_isinteger(L_, idx)) {
          *out = static_cast<std::int64_t>(lua_tointeger(L_, idx));
          return true;
        }
        double d = lua_tonumber(L_, idx);
        if (!std::isfinite(d)) {
          return Fail(std::isnan(d) ? "NaN is not a JSON number" : "infinity is not a JSON number");
        }
        *out = d;
        return true;
      }
      case LUA_TSTRING: {
        std::size_t len = 0;
        const char* s = lua_tolstring(L_, idx, &len);
        if (!ValidUtf8(s, len)) return Fail("a string that is not valid UTF-8");
        bytes_ += len;
        if (TooLarge()) return false;
        *out = std::string(s, len);
        return true;
      }
      case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L_, idx) == JsonNullSentinel()) {
          *out = nullptr;
          return true;
        }
        return Fail("a light userdata");
      case LUA_TTABLE: return ConvertTable(idx, out);
      default: {
        std::string what = "a ";
        what += lua_typename(L_, lua_type(L_, idx));
        return Fail(what);
      }
    }
  }

 private:
  bool TooLarge() {
    if (options_.max_bytes != 0 && bytes_ > options_.max_bytes) {
      Fail("the value is larger than the memory limit");
      return true;
    }
    return false;
  }

  static bool ValidUtf8(const char* s, std::size_t n) {
    const auto* p = reinterpret_cast<const unsigned char*>(s);
    std::size_t i = 0;
    while (i < n) {
      unsigned char c = p[i];
      if (c < 0x80) {
        ++i;
        continue;
      }
      std::size_t extra;
      std::uint32_t cp;
      if ((c & 0xE0) == 0xC0) {
        extra = 1;
        cp = c & 0x1F;
      } else if ((c & 0xF0) == 0xE0) {
        extra = 2;
        cp = c & 0x0F;
      } else if ((c & 0xF8) == 0xF0) {
        extra = 3;
        cp = c & 0x07;
      } else {
        return false;
      }
      if (n - i <= extra) return false;  // truncated sequence
      for (std::size_t k = 1; k <= extra; ++k) {
        if ((p[i + k] & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (p[i + k] & 0x3F);
      }
      // Overlong forms, surrogates and values above U+10FFFF are not UTF-8.
      static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
      if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      i += extra + 1;
    }
    return true;
  }

  bool ConvertTable(int idx, json* out) {
    const void* self = lua_topointer(L_, idx);
    for (int i = 0; i < depth_; ++i) {
      if (ancestors_[i] == self) return Fail("a cycle (the table contains itself)");
    }
    if (depth_ >= kMaxJsonDepth) return Fail("nesting deeper than 200 levels");
    if (!lua_checkstack(L_, 4)) return Fail("nesting too deep for the Lua stack");

    bool marked_array = false;
    if (lua_getmetatable(L_, idx)) {
      marked_array = lua_topointer(L_, -1) == options_.array_metatable;
      lua_pop(L_, 1);
    }
    ancestors_[depth_] = self;
    if (!marked_array && lua_rawlen(L_, idx) == 0) return ConvertObject(idx, out);
    return ConvertClassified(idx, marked_array, out);
  }

  // The common case, an object (a table with no t[1]), in one pass: each value
  // is converted as its key comes. Keys that are not strings, or a value that
  // fails, defer to Classify, so the error is the one the two-pass conversion
  // (ConvertClassified) gives: a problem with the table's keys comes first.
  bool ConvertObject(int idx, json* out) {
    json::object_t* obj = nullptr;
    std::uint64_t values = values_;
    std::size_t bytes = bytes_;
    lua_pushnil(L_);
    while (lua_next(L_, idx) != 0) {
      if (lua_type(L_, -2) != LUA_TSTRING) {
        lua_pop(L_, 2);
        // Not an object after all: start again with the keys classified first
        // (which fails without converting anything when keys are mixed).
        values_ = values;
        bytes_ = bytes;
        *out = nullptr;
        return ConvertClassified(idx, false, out);
      }
      if (obj == nullptr) {
        *out = json::object();
        obj = &out->get_ref<json::object_t&>();
      }
      if (!ConvertField(obj)) {
        lua_pop(L_, 1);                 // the key
        Classify(idx, false, nullptr);  // a problem with the keys takes precedence
        return false;
      }
    }
    if (obj == nullptr) *out = json::object();  // the empty-table rule
    return true;
  }

  // Converts the value at the top of the stack, under the string key below it,
  // into `obj`; pops the value.
  bool ConvertField(json::object_t* obj) {
    std::size_t klen = 0;
    const char* k = lua_tolstring(L_, -2, &klen);  // a string: no conversion happens
    path_[depth_] = {k, klen, 0};
    ++depth_;
    bool ok = ValidUtf8(k, klen) || Fail("a key that is not valid UTF-8");
    if (ok) {
      bytes_ += klen + 32;
      auto [slot, inserted] = obj->emplace(std::string(k, klen), json());
      ok = !TooLarge() && Convert(lua_gettop(L_), &slot->second);
    }
    --depth_;
    lua_pop(L_, 1);
    return ok;
  }

  struct KeyClasses {
    std::size_t int_keys = 0, string_keys = 0;
  };

  // Classifies the keys of the table at `idx`: 1..n -> array, all strings ->
  // object, else Fail with the problem. *classes (may be null) gets the counts.
  bool Classify(int idx, bool marked_array, KeyClasses* classes) {
    std::size_t int_keys = 0, string_keys = 0;
    lua_Integer min_key = 0, max_key = 0;
    const char* first_string = nullptr;
    lua_pushnil(L_);
    while (lua_next(L_, idx) != 0) {
      lua_pop(L_, 1);  // the value; keep the key for lua_next
      int kt = lua_type(L_, -1);
      if (kt == LUA_TSTRING) {
        if (string_keys++ == 0) first_string = lua_tostring(L_, -1);
      } else if (kt == LUA_TNUMBER && lua_isinteger(L_, -1)) {
        lua_Integer k = lua_tointeger(L_, -1);
        min_key = int_keys == 0 ? k : std::min(min_key, k);
        max_key = int_keys == 0 ? k : std::max(max_key, k);
        ++int_keys;
      } else {
        std::string key_desc = "a table key that is ";
        if (kt == LUA_TNUMBER) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "the float %.17g", lua_tonumber(L_, -1));
          key_desc += buf;
        } else {
          key_desc += "a ";
          key_desc += lua_typename(L_, kt);
        }
        key_desc += " (JSON object keys are strings; arrays need keys 1..n)";
        lua_pop(L_, 1);
        return Fail(key_desc);
      }
    }

    if (int_keys > 0 && string_keys > 0) {
      std::string m = "a table with both integer keys and string keys (e.g. \"";
      m += first_string != nullptr ? first_string : "";
      m += "\"); JSON needs either an array (keys 1..n) or an object (string keys)";
      return Fail(m);
    }
    if (string_keys > 0 && marked_array) {
      std::string m = "an array (json.array) with the string key \"";
      m += first_string != nullptr ? first_string : "";
      m += "\"";
      return Fail(m);
    }

    if (int_keys > 0 && (min_key != 1 || max_key != static_cast<lua_Integer>(int_keys))) {
      char buf[200];
      std::snprintf(buf, sizeof buf,
                    "a sparse array (integer keys %lld..%lld with %zu entries; arrays need keys "
                    "1..n without holes: use json.null for missing values)",
                    static_cast<long long>(min_key), static_cast<long long>(max_key), int_keys);
      return Fail(buf);
    }
    if (classes != nullptr) *classes = {int_keys, string_keys};
    return true;
  }

  // The general case: the keys classified first, then the values converted.
  bool ConvertClassified(int idx, bool marked_array, json* out) {
    KeyClasses classes;
    if (!Classify(idx, marked_array, &classes)) return false;
    std::size_t int_keys = classes.int_keys;
    if (int_keys > 0) {
      *out = json::array();
      auto& arr = out->get_ref<json::array_t&>();
      arr.resize(int_keys);
      bytes_ += int_keys * sizeof(json);
      if (TooLarge()) return false;
      for (std::size_t i = 0; i < int_keys; ++i) {
        lua_rawgeti(L_, idx, static_cast<lua_Integer>(i) + 1);
        path_[depth_] = {nullptr, 0, i};
        ++depth_;
        bool ok = Convert(lua_gettop(L_), &arr[i]);
        --depth_;
        lua_pop(L_, 1);
        if (!ok) return false;
      }
      return true;
    }
    if (classes.string_keys == 0) {
      *out = marked_array ? json::array() : json::object();  // the empty-table rule
      return true;
    }
    *out = json::object();
    auto* obj = out->get_ptr<json::object_t*>();
    lua_pushnil(L_);
    while (lua_next(L_, idx) != 0) {
      if (!ConvertField(obj)) {
        lua_pop(L_, 1);  // the key
        return false;
      }
    }
    return true;
  }

  bool Fail(std::string_view problem) {
    std::string m = "cannot convert to JSON at ";
    FormatPath(path_, depth_, [&m](const char* s, std::size_t n) { m.append(s, n); });
    m += ": ";
    m += problem;
    *error_ = std::move(m);
    return false;
  }

  lua_State* L_;
  const ToJsonOptions& options_;
  std::string* error_;
  int depth_ = 0;
  std::uint64_t values_ = 0;
  std::size_t bytes_ = 0;
  // Written before read; left uninitialized to keep small conversions cheap.
  const void* ancestors_[kMaxJsonDepth + 1];
  PathStep path_[kMaxJsonDepth + 1];
};

}  // namespace

void* JsonNullSentinel() {
  return const_cast<char*>(&kJsonNull);
}

namespace {
int ArrayToString(lua_State* L) {
  lua_pushfstring(L, "json.array: %p", lua_topointer(L, 1));
  return 1;
}
}  // namespace

int CreateArrayMetatable(lua_State* L) {
  lua_createtable(L, 0, 3);
  lua_pushliteral(L, "json.array");
  lua_setfield(L, -2, "__name");
  // getmetatable(t) answers "json.array"; the marker cannot be changed or removed.
  lua_pushliteral(L, "json.array");
  lua_setfield(L, -2, "__metatable");
  lua_pushcfunction(L, ArrayToString);
  lua_setfield(L, -2, "__tostring");
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

void LuaStringCache::Create(lua_State* L) {
  lua_createtable(L, kSlots, 0);
  for (int i = 1; i <= kSlots; ++i) {  // fill the array part: later writes never allocate
    lua_pushboolean(L, 0);
    lua_rawseti(L, -2, i);
  }
  table_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
}

namespace {

template <typename T>
T LoadUnaligned(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // a fixed size: one load
  return v;
}

}  // namespace

void LuaStringCache::Push(lua_State* L, int table_index, const char* s, std::size_t n) {
  // Words that cover all n bytes (n <= 32): for n >= 8 the first and last 8
  // bytes, and beyond 16 also bytes 8..15 and n-16..n-1; for 4..7 the first and
  // last 4; for 1..3 the first, middle and last byte.
  std::uint64_t w0 = 0, w1 = 0, w2 = 0, w3 = 0;
  if (n >= 8) {
    w0 = LoadUnaligned<std::uint64_t>(s);
    w1 = LoadUnaligned<std::uint64_t>(s + n - 8);
    if (n > 16) {
      w2 = LoadUnaligned<std::uint64_t>(s + 8);
      w3 = LoadUnaligned<std::uint64_t>(s + n - 16);
    }
  } else if (n >= 4) {
    w0 = LoadUnaligned<std::uint32_t>(s);
    w1 = LoadUnaligned<std::uint32_t>(s + n - 4);
  } else if (n > 0) {
    w0 = static_cast<unsigned char>(s[0]) | (static_cast<unsigned char>(s[n / 2]) << 8) |
         (static_cast<unsigned char>(s[n - 1]) << 16);
  }
  std::uint64_t h = (w0 * 0x9E3779B97F4A7C15ull) ^ (w1 * 0xC2B2AE3D27D4EB4Full) ^
                    ((w2 ^ w3) * 0x165667B19E3779F9ull) ^ n;
  int slot = static_cast<int>((h >> 40) % kSlots);
  Slot& entry = slots_[slot];
  if (entry.length == n && entry.words[0] == w0 && entry.words[1] == w1 && entry.words[2] == w2 &&
      entry.words[3] == w3) {
    lua_rawgeti(L, table_index, slot + 1);
    return;
  }
  lua_pushlstring(L, s, n);  // may raise: the slot is untouched so far
  lua_pushvalue(L, -1);
  lua_rawseti(L, table_index, slot + 1);  // an existing array slot: no allocation
  entry.words[0] = w0;
  entry.words[1] = w1;
  entry.words[2] = w2;
  entry.words[3] = w3;
  entry.length = n;
}

void PushJson(lua_State* L, const nlohmann::json& value, const JsonPushOptions& options,
              const char* what, std::string_view root_key) {
  luaL_checkstack(L, 6, "JSON conversion");
  int base = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, options.array_metatable_ref);
  int strings_index = 0;
  if (options.strings != nullptr) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, options.strings->table_ref());
    strings_index = lua_gettop(L);
  }
  Pusher pusher(L, base + 1, options.strings, strings_index, what, root_key);
  pusher.Push(value);
  lua_replace(L, base + 1);  // the value over the metatable
  lua_settop(L, base + 1);
}

bool LuaToJson(lua_State* L, int index, const ToJsonOptions& options, nlohmann::json* out,
               std::string* error) noexcept {
  int top = lua_gettop(L);
  index = lua_absindex(L, index);
  try {
    Converter converter(L, options, error);
    bool ok = converter.Convert(index, out);
    lua_settop(L, top);
    return ok;
  } catch (const std::exception& e) {
    lua_settop(L, top);
    try {
      *error = std::string("cannot convert to JSON: ") + e.what();
    } catch (...) {
    }
    return false;
  } catch (...) {
    lua_settop(L, top);
    return false;
  }
}

}  // namespace storeflow::script
