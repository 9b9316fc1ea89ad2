#pragma once

#include <string>
#include <string_view>

namespace storeflow::script {

// An expression compiles as the chunk "return EXPR". Lua accepts nothing after
// a return's expression list but the end of the chunk, so a statement smuggled
// in ("1) os.exit(", "x; y = 1") is a syntax error; a trailing "-- comment" is
// fine, and line numbers in messages are those of EXPR (line 1 is its first
// line). Of a list ("a, b") only the first value is used.
inline std::string ExpressionChunk(std::string_view expression) {
  std::string code;
  code.reserve(expression.size() + 8);
  code += "return ";
  code += expression;
  return code;
}

// Whether `expression` has nothing but white space (which would compile to a
// bare "return").
inline bool IsBlankExpression(std::string_view expression) {
  return expression.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

// "workflows/cart.yaml:42:1: empty expression" (chunk name shown as Lua would).
inline std::string BlankExpressionMessage(std::string_view chunk_name) {
  if (!chunk_name.empty() && (chunk_name.front() == '@' || chunk_name.front() == '=')) {
    chunk_name.remove_prefix(1);
  }
  std::string m(chunk_name);
  m += ":1: empty expression";
  return m;
}

}  // namespace storeflow::script
