#include "script/lua_pattern.h"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "script/call_budget.h"
#include "script/script_context.h"

// Everything here runs inside lua_CFunctions and raises Lua errors (longjmp)
// from deep inside the matcher, so every type and frame holds only trivially
// destructible data. Subject and pattern are Lua strings, which always have a
// '\0' after their last byte; like Lua's matcher, this code may read that byte.

namespace storeflow::script {
namespace {

constexpr int kMaxCaptures = 32;     // LUA_MAXCAPTURES
constexpr int kMaxMatchDepth = 200;  // MAXCCALLS in lstrlib.c
constexpr std::uint32_t kChargeEvery = 1024;
constexpr char kEsc = '%';
constexpr char kSpecials[] = "^$*+?.([%-";
constexpr std::ptrdiff_t kCapUnfinished = -1;
constexpr std::ptrdiff_t kCapPosition = -2;

inline int Uchar(char c) {
  return static_cast<unsigned char>(c);
}

// A relative string position (negative = from the end) clipped to [1, inf).
std::size_t StartPosition(lua_Integer pos, std::size_t len) {
  if (pos > 0) return static_cast<std::size_t>(pos);
  if (pos == 0) return 1;
  if (pos < -static_cast<lua_Integer>(len)) return 1;
  return len + static_cast<std::size_t>(pos) + 1;
}

CallBudget* BudgetOf(lua_State* L) {
  ScriptContext* ctx = ScriptContext::Get(L);
  return ctx != nullptr ? &ctx->budget : nullptr;
}

// Whether character `c` belongs to class letter `cl` (%a, %d, ...; upper case
// negates); any other letter stands for itself.
bool ClassMatches(int c, int cl) {
  bool res;
  switch (std::tolower(cl)) {
    case 'a': res = std::isalpha(c) != 0; break;
    case 'c': res = std::iscntrl(c) != 0; break;
    case 'd': res = std::isdigit(c) != 0; break;
    case 'g': res = std::isgraph(c) != 0; break;
    case 'l': res = std::islower(c) != 0; break;
    case 'p': res = std::ispunct(c) != 0; break;
    case 's': res = std::isspace(c) != 0; break;
    case 'u': res = std::isupper(c) != 0; break;
    case 'w': res = std::isalnum(c) != 0; break;
    case 'x': res = std::isxdigit(c) != 0; break;
    case 'z': res = c == 0; break;  // deprecated in Lua, kept for compatibility
    default: return cl == c;
  }
  return std::islower(cl) ? res : !res;
}

// `open` points at '[' and `close` at the matching ']'.
bool InBracketClass(int c, const char* open, const char* close) {
  bool in = true;
  const char* p = open;
  if (p[1] == '^') {
    in = false;
    ++p;
  }
  while (++p < close) {
    if (*p == kEsc) {
      ++p;
      if (ClassMatches(c, Uchar(*p))) return in;
    } else if (p[1] == '-' && p + 2 < close) {
      p += 2;
      if (Uchar(p[-2]) <= c && c <= Uchar(*p)) return in;
    } else if (Uchar(*p) == c) {
      return in;
    }
  }
  return !in;
}

class Matcher {
 public:
  void Init(lua_State* L, const char* subject, std::size_t subject_len, const char* pattern,
            std::size_t pattern_len) {
    L_ = L;
    budget_ = BudgetOf(L);
    subject_ = subject;
    subject_end_ = subject + subject_len;
    pattern_end_ = pattern + pattern_len;
    depth_left_ = kMaxMatchDepth;
    level_ = 0;
    steps_ = 0;
  }
  void set_state(lua_State* L) { L_ = L; }
  void Reset() { level_ = 0; }
  const char* subject() const { return subject_; }
  const char* subject_end() const { return subject_end_; }
  lua_State* state() const { return L_; }

  // The end of the match of pattern `p` at `s`, or null.
  const char* Match(const char* s, const char* p) {
    if (depth_left_-- == 0) luaL_error(L_, "pattern too complex");
    const char* result = MatchHere(s, p);
    ++depth_left_;
    return result;
  }

  // Capture i as (start, length), or kCapPosition after pushing a position
  // capture. With no captures, "capture 0" is the whole match [s, e).
  std::ptrdiff_t GetCapture(int i, const char* s, const char* e, const char** start) {
    if (i >= level_) {
      if (i != 0) luaL_error(L_, "invalid capture index %%%d", i + 1);
      *start = s;
      return e - s;
    }
    std::ptrdiff_t len = captures_[i].len;
    *start = captures_[i].start;
    if (len == kCapUnfinished) luaL_error(L_, "unfinished capture");
    if (len == kCapPosition) lua_pushinteger(L_, (captures_[i].start - subject_) + 1);
    return len;
  }

  void PushCapture(int i, const char* s, const char* e) {
    const char* start;
    std::ptrdiff_t len = GetCapture(i, s, e, &start);
    if (len != kCapPosition) lua_pushlstring(L_, start, static_cast<std::size_t>(len));
  }

  // Pushes every capture (or the whole match when there are none and s is set).
  int PushCaptures(const char* s, const char* e) {
    int n = (level_ == 0 && s != nullptr) ? 1 : level_;
    luaL_checkstack(L_, n, "too many captures");
    for (int i = 0; i < n; ++i) PushCapture(i, s, e);
    return n;
  }

  void Tick() {
    if (++steps_ >= kChargeEvery) {
      steps_ = 0;
      if (budget_ != nullptr) budget_->Charge(L_, kChargeEvery);
    }
  }

 private:
  const char* MatchHere(const char* s, const char* p) {
    for (;;) {
      Tick();
      if (p == pattern_end_) return s;
      switch (*p) {
        case '(':
          if (p[1] == ')') return StartCapture(s, p + 2, kCapPosition);
          return StartCapture(s, p + 1, kCapUnfinished);
        case ')': return EndCapture(s, p + 1);
        case '$':
          if (p + 1 == pattern_end_) return s == subject_end_ ? s : nullptr;
          break;  // a '$' elsewhere is an ordinary character
        case kEsc:
          switch (p[1]) {
            case 'b':
              s = MatchBalanced(s, p + 2);
              if (s == nullptr) return nullptr;
              p += 4;
              continue;
            case 'f': {
              p += 2;
              if (*p != '[') luaL_error(L_, "missing '[' after '%%f' in pattern");
              const char* ep = ClassEnd(p);
              int previous = (s == subject_) ? '\0' : Uchar(s[-1]);
              int current = Uchar(*s);  // '\0' at the end of the subject
              if (!InBracketClass(previous, p, ep - 1) && InBracketClass(current, p, ep - 1)) {
                p = ep;
                continue;
              }
              return nullptr;
            }
            case '0':
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7':
            case '8':
            case '9':
              s = MatchBackReference(s, Uchar(p[1]));
              if (s == nullptr) return nullptr;
              p += 2;
              continue;
            default: break;  // a class such as %d: handled below
          }
          break;
        default: break;
      }
      // A single-character class, maybe followed by a repetition suffix.
      const char* ep = ClassEnd(p);
      char suffix = ep < pattern_end_ ? *ep : '\0';
      if (!SingleMatch(s, p, ep)) {
        if (suffix == '*' || suffix == '?' || suffix == '-') {  // zero repetitions are fine
          p = ep + 1;
          continue;
        }
        return nullptr;
      }
      switch (suffix) {
        case '?': {
          const char* r = Match(s + 1, ep + 1);
          if (r != nullptr) return r;
          p = ep + 1;
          continue;
        }
        case '+': return MaxExpand(s + 1, p, ep);
        case '*': return MaxExpand(s, p, ep);
        case '-': return MinExpand(s, p, ep);
        default:
          ++s;
          p = ep;
          continue;
      }
    }
  }

  // The end of the single-character class starting at p.
  const char* ClassEnd(const char* p) {
    char c = *p++;
    if (c == kEsc) {
      if (p == pattern_end_) luaL_error(L_, "malformed pattern (ends with '%%')");
      return p + 1;
    }
    if (c == '[') {
      if (*p == '^') ++p;
      do {  // find the closing ']'; the first character may be a literal ']'
        if (p == pattern_end_) luaL_error(L_, "malformed pattern (missing ']')");
        char cc = *p++;
        if (cc == kEsc && p < pattern_end_) ++p;  // skip escapes such as %]
      } while (*p != ']');
      return p + 1;
    }
    return p;
  }

  bool SingleMatch(const char* s, const char* p, const char* ep) const {
    if (s >= subject_end_) return false;
    int c = Uchar(*s);
    switch (*p) {
      case '.': return true;
      case kEsc: return ClassMatches(c, Uchar(p[1]));
      case '[': return InBracketClass(c, p, ep - 1);
      default: return Uchar(*p) == c;
    }
  }

  const char* MatchBalanced(const char* s, const char* p) {
    if (p >= pattern_end_ - 1) luaL_error(L_, "malformed pattern (missing arguments to '%%b')");
    if (s >= subject_end_ || *s != *p) return nullptr;
    char open = p[0], close = p[1];
    int depth = 1;
    while (++s < subject_end_) {
      Tick();
      if (*s == close) {
        if (--depth == 0) return s + 1;
      } else if (*s == open) {
        ++depth;
      }
    }
    return nullptr;
  }

  const char* MaxExpand(const char* s, const char* p, const char* ep) {
    std::ptrdiff_t i = 0;
    while (SingleMatch(s + i, p, ep)) {
      ++i;
      Tick();
    }
    for (; i >= 0; --i) {  // longest first, then one repetition less each time
      const char* r = Match(s + i, ep + 1);
      if (r != nullptr) return r;
    }
    return nullptr;
  }

  const char* MinExpand(const char* s, const char* p, const char* ep) {
    for (;;) {
      const char* r = Match(s, ep + 1);
      if (r != nullptr) return r;
      if (!SingleMatch(s, p, ep)) return nullptr;
      ++s;
    }
  }

  const char* StartCapture(const char* s, const char* p, std::ptrdiff_t what) {
    if (level_ >= kMaxCaptures) luaL_error(L_, "too many captures");
    captures_[level_].start = s;
    captures_[level_].len = what;
    ++level_;
    const char* r = Match(s, p);
    if (r == nullptr) --level_;
    return r;
  }

  const char* EndCapture(const char* s, const char* p) {
    int open = -1;
    for (int i = level_ - 1; i >= 0; --i) {
      if (captures_[i].len == kCapUnfinished) {
        open = i;
        break;
      }
    }
    if (open < 0) luaL_error(L_, "invalid pattern capture");
    captures_[open].len = s - captures_[open].start;
    const char* r = Match(s, p);
    if (r == nullptr) captures_[open].len = kCapUnfinished;
    return r;
  }

  const char* MatchBackReference(const char* s, int digit) {
    int i = digit - '1';
    if (i < 0 || i >= level_ || captures_[i].len == kCapUnfinished) {
      luaL_error(L_, "invalid capture index %%%d", i + 1);
    }
    auto len = static_cast<std::size_t>(captures_[i].len);
    if (static_cast<std::size_t>(subject_end_ - s) >= len &&
        std::memcmp(captures_[i].start, s, len) == 0) {
      return s + len;
    }
    return nullptr;
  }

  struct Capture {
    const char* start;
    std::ptrdiff_t len;  // or kCapUnfinished / kCapPosition
  };

  lua_State* L_;
  CallBudget* budget_;
  const char* subject_;
  const char* subject_end_;
  const char* pattern_end_;
  int depth_left_;
  int level_;
  std::uint32_t steps_;
  Capture captures_[kMaxCaptures];
};

static_assert(std::is_trivially_destructible_v<Matcher>);
static_assert(std::is_trivially_copyable_v<Matcher>);

bool HasSpecials(const char* p, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i) {
    if (p[i] != '\0' && std::strchr(kSpecials, p[i]) != nullptr) return true;
  }
  return false;
}

// memmem with its scanning charged to the budget (a naive search is quadratic
// on inputs like ("a" x 1e6, "a" x 5e5 .. "b")).
const char* PlainFind(lua_State* L, const char* s, std::size_t ls, const char* p, std::size_t lp) {
  if (lp == 0) return s;
  if (lp > ls) return nullptr;
  CallBudget* budget = BudgetOf(L);
  const char* last = s + (ls - lp);  // the last possible start
  std::uint64_t pending = 0;
  while (s <= last) {
    const void* hit = std::memchr(s, p[0], static_cast<std::size_t>(last - s) + 1);
    if (hit == nullptr) return nullptr;
    const char* c = static_cast<const char*>(hit);
    pending += static_cast<std::uint64_t>(c - s) / 64 + lp / 16 + 1;
    if (pending >= kChargeEvery && budget != nullptr) {
      budget->Charge(L, pending);
      pending = 0;
    }
    if (std::memcmp(c + 1, p + 1, lp - 1) == 0) return c;
    s = c + 1;
  }
  return nullptr;
}

int FindOrMatch(lua_State* L, bool find) {
  std::size_t ls = 0, lp = 0;
  const char* s = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checklstring(L, 2, &lp);
  std::size_t init = StartPosition(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) {
    luaL_pushfail(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) || !HasSpecials(p, lp))) {
    const char* hit = PlainFind(L, s + init, ls - init, p, lp);
    if (hit != nullptr) {
      lua_pushinteger(L, (hit - s) + 1);
      lua_pushinteger(L, (hit - s) + static_cast<lua_Integer>(lp));
      return 2;
    }
  } else {
    bool anchor = *p == '^';
    if (anchor) {
      ++p;
      --lp;
    }
    Matcher m;
    m.Init(L, s, ls, p, lp);
    const char* s1 = s + init;
    do {
      m.Reset();
      const char* e = m.Match(s1, p);
      if (e != nullptr) {
        if (find) {
          lua_pushinteger(L, (s1 - s) + 1);
          lua_pushinteger(L, e - s);
          return m.PushCaptures(nullptr, nullptr) + 2;
        }
        return m.PushCaptures(s1, e);
      }
    } while (s1++ < m.subject_end() && !anchor);
  }
  luaL_pushfail(L);
  return 1;
}

int Find(lua_State* L) {
  return FindOrMatch(L, true);
}
int MatchFn(lua_State* L) {
  return FindOrMatch(L, false);
}

struct GMatchState {
  const char* next;  // where the next search starts
  const char* pattern;
  const char* last_match;  // end of the previous match (an empty match there is skipped)
  Matcher m;
};
static_assert(std::is_trivially_destructible_v<GMatchState>);

int GMatchStep(lua_State* L) {
  auto* gm = static_cast<GMatchState*>(lua_touserdata(L, lua_upvalueindex(3)));
  gm->m.set_state(L);
  for (const char* src = gm->next; src <= gm->m.subject_end(); ++src) {
    gm->m.Reset();
    const char* e = gm->m.Match(src, gm->pattern);
    if (e != nullptr && e != gm->last_match) {
      gm->next = gm->last_match = e;
      return gm->m.PushCaptures(src, e);
    }
  }
  return 0;
}

int GMatch(lua_State* L) {
  std::size_t ls = 0, lp = 0;
  const char* s = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checklstring(L, 2, &lp);
  std::size_t init = StartPosition(luaL_optinteger(L, 3, 1), ls) - 1;
  lua_settop(L, 2);  // subject and pattern become upvalues: they stay alive
  auto* gm = static_cast<GMatchState*>(lua_newuserdatauv(L, sizeof(GMatchState), 0));
  if (init > ls) init = ls + 1;  // past the end: no match, and no overflow
  gm->m.Init(L, s, ls, p, lp);
  gm->next = s + init;
  gm->pattern = p;
  gm->last_match = nullptr;
  lua_pushcclosure(L, GMatchStep, 3);
  return 1;
}

// Appends the replacement string (argument 3) with %0..%9 and %% expanded.
void AddReplacementString(Matcher& m, luaL_Buffer* b, const char* s, const char* e) {
  lua_State* L = m.state();
  std::size_t l = 0;
  const char* text = lua_tolstring(L, 3, &l);
  const char* p;
  while ((p = static_cast<const char*>(std::memchr(text, kEsc, l))) != nullptr) {
    luaL_addlstring(b, text, static_cast<std::size_t>(p - text));
    ++p;  // the character after '%' ('\0' when '%' ends the string)
    if (*p == kEsc) {
      luaL_addchar(b, *p);
    } else if (*p == '0') {
      luaL_addlstring(b, s, static_cast<std::size_t>(e - s));
    } else if (std::isdigit(Uchar(*p))) {
      const char* cap;
      std::ptrdiff_t len = m.GetCapture(*p - '1', s, e, &cap);
      if (len == kCapPosition) {
        luaL_addvalue(b);  // the position GetCapture pushed
      } else {
        luaL_addlstring(b, cap, static_cast<std::size_t>(len));
      }
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", kEsc);
    }
    l -= static_cast<std::size_t>(p + 1 - text);
    text = p + 1;
  }
  luaL_addlstring(b, text, l);
}

// Appends the replacement for the match [s, e); true when it changed the text.
bool AddReplacement(Matcher& m, luaL_Buffer* b, const char* s, const char* e, int type) {
  lua_State* L = m.state();
  switch (type) {
    case LUA_TFUNCTION: {
      lua_pushvalue(L, 3);
      int n = m.PushCaptures(s, e);
      lua_call(L, n, 1);
      break;
    }
    case LUA_TTABLE:
      m.PushCapture(0, s, e);
      lua_gettable(L, 3);
      break;
    default: AddReplacementString(m, b, s, e); return true;
  }
  if (!lua_toboolean(L, -1)) {  // nil or false: keep the original text
    lua_pop(L, 1);
    luaL_addlstring(b, s, static_cast<std::size_t>(e - s));
    return false;
  }
  if (!lua_isstring(L, -1)) {
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  }
  luaL_addvalue(b);
  return true;
}

int GSub(lua_State* L) {
  std::size_t srcl = 0, lp = 0;
  const char* src = luaL_checklstring(L, 1, &srcl);
  const char* p = luaL_checklstring(L, 2, &lp);
  const char* last_match = nullptr;
  int type = lua_type(L, 3);
  lua_Integer max_replacements = luaL_optinteger(L, 4, static_cast<lua_Integer>(srcl) + 1);
  bool anchor = *p == '^';
  lua_Integer n = 0;
  bool changed = false;
  luaL_argexpected(
      L, type == LUA_TNUMBER || type == LUA_TSTRING || type == LUA_TFUNCTION || type == LUA_TTABLE,
      3, "string/function/table");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (anchor) {
    ++p;
    --lp;
  }
  Matcher m;
  m.Init(L, src, srcl, p, lp);
  while (n < max_replacements) {
    m.Reset();
    m.Tick();
    const char* e = m.Match(src, p);
    if (e != nullptr && e != last_match) {
      ++n;
      changed = AddReplacement(m, &b, src, e, type) || changed;
      src = last_match = e;
    } else if (src < m.subject_end()) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor) break;
  }
  if (!changed) {
    lua_pushvalue(L, 1);  // unchanged: return the original string
  } else {
    luaL_addlstring(&b, src, static_cast<std::size_t>(m.subject_end() - src));
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

}  // namespace

void InstallBudgetedPatternFunctions(lua_State* L, int lib_index) {
  lib_index = lua_absindex(L, lib_index);
  lua_pushcfunction(L, Find);
  lua_setfield(L, lib_index, "find");
  lua_pushcfunction(L, MatchFn);
  lua_setfield(L, lib_index, "match");
  lua_pushcfunction(L, GMatch);
  lua_setfield(L, lib_index, "gmatch");
  lua_pushcfunction(L, GSub);
  lua_setfield(L, lib_index, "gsub");
}

}  // namespace storeflow::script
