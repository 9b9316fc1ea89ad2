#pragma once

// Most targets read their input as "TEXT\nPARAMETERS": the text under test on the first
// line (so a seed is just the text, one line), and the bytes after the first newline
// feed a FuzzedDataProvider for the rest (times, zones, choices).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace storeflow::fuzz {

struct SplitInput {
  std::string_view text;
  const std::uint8_t* rest = nullptr;
  std::size_t rest_size = 0;
};

inline SplitInput SplitFirstLine(const std::uint8_t* data, std::size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = all.find('\n');
  if (newline == std::string_view::npos) return {all, data + size, 0};
  return {all.substr(0, newline), data + newline + 1, size - newline - 1};
}

}  // namespace storeflow::fuzz
