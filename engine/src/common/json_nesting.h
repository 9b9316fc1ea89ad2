#pragma once

// How deep JSON text nests, found before anything recursive sees it.
//
// nlohmann's parser keeps its own stack, but copying a parsed value, dump()
// and the JSON <-> Lua bridge recurse: a body of 500,000 '[' (1 MB) parses,
// then overflows a thread's stack when it is copied. Every JSON text that
// comes from outside the engine (request bodies, plugin replies, HTTP
// answers, json.decode in Lua) is checked against kMaxJsonNesting first and
// refused with the position of the bracket that goes too deep.

#include <cstddef>
#include <string_view>

namespace storeflow {

// Arrays and objects inside one another, counting the outermost as 1. Shopify's
// deepest payloads nest about 6 levels; 128 leaves room for any honest document
// and stays far below what a handler thread's stack can recurse through.
inline constexpr int kMaxJsonNesting = 128;

// The 0-based offset of the '[' or '{' that opens level max_depth + 1, or
// std::string_view::npos when `text` never nests deeper than max_depth.
// Brackets inside strings do not count (escapes are honoured). `text` need not
// be valid JSON: the check is one pass over the bytes and judges only depth.
std::size_t FindJsonNestingOverflow(std::string_view text, int max_depth = kMaxJsonNesting);

// "nesting deeper than 128 levels" (the message every caller uses).
const char* JsonNestingMessage();

}  // namespace storeflow
