#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace storeflow {

// Parses a size: a whole number of bytes ("1048576") or a number with a unit:
// B, KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024), e.g. "64MiB", "5MB".
Result<std::uint64_t> ParseByteSize(std::string_view text);

// "64MiB", "5MB", "1500B": the unit that represents the value exactly, largest first.
std::string FormatByteSize(std::uint64_t bytes);

}  // namespace storeflow
