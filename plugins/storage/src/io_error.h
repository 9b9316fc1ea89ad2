#pragma once

#include <string>
#include <string_view>

namespace storeflow::plugins::storage {

// Throws a classified sdk::Error for a failed file operation: permanent (with
// `code`) when retrying cannot help (permission denied, read-only file system,
// not a directory, name too long), retryable otherwise (disk full, I/O error,
// too many open files). The message is "<what>: <strerror>".
[[noreturn]] void ThrowIoError(std::string_view code, const std::string& what, int error_number);

}  // namespace storeflow::plugins::storage
