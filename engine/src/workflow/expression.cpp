#include "workflow/expression.h"

#include <cctype>

namespace storeflow::workflow {
namespace {

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool IsSpace(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// At code[i] == '[': the level of a long bracket ("[[" = 0, "[==[" = 2), or -1.
int LongBracketLevel(std::string_view code, std::size_t i) {
  std::size_t j = i + 1;
  int level = 0;
  while (j < code.size() && code[j] == '=') {
    ++level;
    ++j;
  }
  return j < code.size() && code[j] == '[' ? level : -1;
}

// Skips a long string/comment body opened at code[i] with `level`; returns the index
// after its closing bracket (or the end).
std::size_t SkipLongBracket(std::string_view code, std::size_t i, int level) {
  std::string close = "]" + std::string(static_cast<std::size_t>(level), '=') + "]";
  std::size_t end = code.find(close, i + static_cast<std::size_t>(level) + 2);
  return end == std::string_view::npos ? code.size() : end + close.size();
}

// Skips a quoted string starting at code[i]; returns the index after it.
std::size_t SkipQuoted(std::string_view code, std::size_t i) {
  char quote = code[i];
  ++i;
  while (i < code.size() && code[i] != quote && code[i] != '\n') {
    if (code[i] == '\\') ++i;
    ++i;
  }
  return i < code.size() ? i + 1 : i;
}

std::size_t SkipSpaces(std::string_view code, std::size_t i) {
  while (i < code.size() && IsSpace(code[i])) ++i;
  return i;
}

// Reads a simple quoted string literal ("x" or 'x', no escapes) at code[i].
std::optional<std::string> ReadSimpleString(std::string_view code, std::size_t& i) {
  if (i >= code.size() || (code[i] != '"' && code[i] != '\'')) return std::nullopt;
  char quote = code[i];
  std::size_t end = i + 1;
  while (end < code.size() && code[end] != quote) {
    if (code[end] == '\\' || code[end] == '\n') return std::nullopt;
    ++end;
  }
  if (end >= code.size()) return std::nullopt;
  std::string out(code.substr(i + 1, end - i - 1));
  i = end + 1;
  return out;
}

}  // namespace

ExpressionScan ScanExpression(std::string_view code) {
  ExpressionScan scan;
  char prev_token_char = 0;  // last non-space character outside strings/comments
  std::size_t i = 0;
  while (i < code.size()) {
    char c = code[i];
    if (c == '-' && i + 1 < code.size() && code[i + 1] == '-') {
      if (i + 2 < code.size() && code[i + 2] == '[' && LongBracketLevel(code, i + 2) >= 0) {
        i = SkipLongBracket(code, i + 2, LongBracketLevel(code, i + 2));
      } else {
        while (i < code.size() && code[i] != '\n') ++i;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      i = SkipQuoted(code, i);
      prev_token_char = c;
      continue;
    }
    if (c == '[' && LongBracketLevel(code, i) >= 0) {
      i = SkipLongBracket(code, i, LongBracketLevel(code, i));
      prev_token_char = ']';
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < code.size() && (IsIdentChar(code[i]) || code[i] == '.')) ++i;
      prev_token_char = '0';
      continue;
    }
    if (IsIdentStart(c)) {
      std::size_t start = i;
      while (i < code.size() && IsIdentChar(code[i])) ++i;
      std::string_view word = code.substr(start, i - start);
      // A field (`x.steps`, `x:steps`) is not the global.
      bool global = prev_token_char != '.' && prev_token_char != ':';
      if (global && word == "secrets" && !scan.secrets_offset) scan.secrets_offset = start;
      if (global && word == "steps") {
        std::size_t j = SkipSpaces(code, i);
        if (j < code.size() && code[j] == '.' && (j + 1 >= code.size() || code[j + 1] != '.')) {
          std::size_t k = SkipSpaces(code, j + 1);
          std::size_t id_start = k;
          while (k < code.size() && IsIdentChar(code[k])) ++k;
          if (k > id_start) {
            scan.step_refs.push_back({std::string(code.substr(id_start, k - id_start)), start});
          }
        } else if (j < code.size() && code[j] == '[') {
          std::size_t k = SkipSpaces(code, j + 1);
          if (auto id = ReadSimpleString(code, k)) {
            k = SkipSpaces(code, k);
            if (k < code.size() && code[k] == ']') scan.step_refs.push_back({*id, start});
          }
        }
      }
      prev_token_char = 'a';
      continue;
    }
    if (!IsSpace(c)) prev_token_char = c;
    ++i;
  }
  return scan;
}

SourceLocation Expression::LocationOfLine(int lua_line) const {
  // Line 1, and lines past the code (Lua names the closing chunk text), are the
  // expression's own position.
  std::size_t index = static_cast<std::size_t>(lua_line > 0 ? lua_line - 1 : 0);
  if (index == 0 || index >= lines.size()) return loc;
  return lines[index];
}

Expression MakeExpression(std::string code, SourceLocation written_at, const Locator& locate) {
  Expression e;
  e.loc = std::move(written_at);
  e.lines.push_back(locate(0));
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (code[i] == '\n') e.lines.push_back(locate(i + 1));
  }
  ExpressionScan scan = ScanExpression(code);
  for (ExpressionScan::Ref& ref : scan.step_refs) {
    e.step_refs.push_back({std::move(ref.step_id), locate(ref.offset)});
  }
  if (scan.secrets_offset) e.secrets_use = locate(*scan.secrets_offset);
  e.code = std::move(code);
  return e;
}

Expression MakeExpression(std::string code, std::string file) {
  SourceLocation start{file, 1, 1};
  return MakeExpression(std::move(code), start, [file](std::size_t offset) {
    return SourceLocation{file, 1, static_cast<int>(offset) + 1};
  });
}

}  // namespace storeflow::workflow
