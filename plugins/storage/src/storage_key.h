#pragma once

#include <string>
#include <string_view>

namespace storeflow::plugins::storage {

// Longest key accepted, in bytes.
inline constexpr std::size_t kMaxKeyBytes = 1024;

// Refuses, with Error::Permanent("invalid_key") naming the key, a key that could
// leave the storage root or that the backends cannot store: empty, longer than
// kMaxKeyBytes, absolute ("/x"), with a backslash, NUL or other control byte, not
// UTF-8, with an empty, "." or ".." segment, or with a segment starting with
// ".storeflow" (reserved for temporary and metadata files).
void ValidateKey(std::string_view key);

// Refuses a list prefix that no valid key could start with in a harmful way
// (absolute, backslash, NUL, control bytes, a ".." segment). "" is valid.
void ValidatePrefix(std::string_view prefix);

// The key quoted for an error message: control bytes shown as \xNN, NUL as \0.
std::string DisplayKey(std::string_view key);

// True for names reserved by the storage layer (temporary and metadata files).
bool IsReservedName(std::string_view segment);

}  // namespace storeflow::plugins::storage
