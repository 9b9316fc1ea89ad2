#pragma once

// FUZZ_CHECK(condition, what): a property of a fuzz target. When it does not hold,
// the input is a finding: the message goes to stderr and the process aborts, so
// libFuzzer keeps the input as a crash file.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace storeflow::fuzz {

[[noreturn]] inline void PropertyFailed(const char* expression, const std::string& what,
                                        const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n  %s\n", file, line, expression,
               what.c_str());
  std::abort();
}

// Printable form of bytes for messages: non-printable bytes as \xHH.
inline std::string Printable(std::string_view bytes, std::size_t limit = 400) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (bytes.size() > limit) out += "...";
  return out;
}

}  // namespace storeflow::fuzz

#define FUZZ_CHECK(condition, what)                                                              \
  do {                                                                                           \
    if (!(condition)) ::storeflow::fuzz::PropertyFailed(#condition, (what), __FILE__, __LINE__); \
  } while (0)
