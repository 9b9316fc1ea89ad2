#pragma once

// Small pure helpers on SQL text and keys.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storeflow::store::internal {

// Rewrites `?` placeholders as PostgreSQL's `$1..$n` (outside quotes and comments).
std::string NumberPlaceholders(std::string_view sql);

// Splits a migration file into statements at `;` outside quotes and comments.
// Comments are kept with the statement that follows them; empty statements are
// dropped. (Dollar-quoted bodies are not supported: migrations don't use them.)
std::vector<std::string> SplitSqlStatements(std::string_view sql);

// The smallest string greater than every string that starts with `prefix`, in
// byte order (= code point order for UTF-8), still valid UTF-8 when `prefix` is;
// nullopt when there is none (empty prefix, or only U+10FFFF / 0xFF bytes).
std::optional<std::string> PrefixUpperBound(std::string_view prefix);

}  // namespace storeflow::store::internal
