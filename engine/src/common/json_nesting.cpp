#include "common/json_nesting.h"

#include <cstring>
#include <string>

namespace storeflow {

std::size_t FindJsonNestingOverflow(std::string_view text, int max_depth) {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* p = begin;
  int depth = 0;
  while (p != end) {
    const char c = *p;
    if (c == '"') {
      // Skip the string: to the next quote that no backslash escapes.
      ++p;
      for (;;) {
        const void* hit = std::memchr(p, '"', static_cast<std::size_t>(end - p));
        if (hit == nullptr) return std::string_view::npos;  // unterminated: not deep
        const char* quote = static_cast<const char*>(hit);
        std::size_t backslashes = 0;
        for (const char* q = quote; q != p && q[-1] == '\\'; --q) ++backslashes;
        p = quote + 1;
        if (backslashes % 2 == 0) break;
      }
      continue;
    }
    if (c == '[' || c == '{') {
      if (++depth > max_depth) return static_cast<std::size_t>(p - begin);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    ++p;
  }
  return std::string_view::npos;
}

const char* JsonNestingMessage() {
  static const std::string message =
      "nesting deeper than " + std::to_string(kMaxJsonNesting) + " levels";
  return message.c_str();
}

}  // namespace storeflow
