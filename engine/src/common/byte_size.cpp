#include "common/byte_size.h"

#include <cctype>
#include <limits>

namespace storeflow {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

constexpr Unit kUnits[] = {
    {"GiB", 1ull << 30},  {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"GB", 1'000'000'000ull},
    {"MB", 1'000'000ull}, {"KB", 1'000ull},    {"kB", 1'000ull},    {"B", 1ull},
};

}  // namespace

Result<std::uint64_t> ParseByteSize(std::string_view text) {
  auto error = [&](std::string_view why) {
    return InvalidArgument("invalid size \"" + std::string(text) + "\": " + std::string(why) +
                           " (expected e.g. 1048576, 512KiB, 64MiB, 5MB)");
  };
  size_t pos = 0;
  std::uint64_t value = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    std::uint64_t digit = static_cast<std::uint64_t>(text[pos] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return error("too large");
    value = value * 10 + digit;
    ++pos;
  }
  if (pos == 0) return error("expected a whole number");
  while (pos < text.size() && text[pos] == ' ') ++pos;
  std::string_view unit = text.substr(pos);
  if (unit.empty()) return value;
  for (const Unit& u : kUnits) {
    if (unit == u.name) {
      if (value > std::numeric_limits<std::uint64_t>::max() / u.factor) return error("too large");
      return value * u.factor;
    }
  }
  return error("unknown unit \"" + std::string(unit) + "\"");
}

std::string FormatByteSize(std::uint64_t bytes) {
  for (const Unit& u : kUnits) {
    if (u.name == "kB") continue;
    if (bytes != 0 && bytes % u.factor == 0)
      return std::to_string(bytes / u.factor) + std::string(u.name);
  }
  return std::to_string(bytes) + "B";
}

}  // namespace storeflow
