#include "store/sql_text.h"

#include <cstdint>
#include <utility>

namespace storeflow::store::internal {
namespace {

// Calls on_char(i) for each byte of `sql` outside string literals, quoted
// identifiers and comments.
template <typename F>
void ForEachCodeChar(std::string_view sql, F&& on_char) {
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      for (++i; i < sql.size(); ++i) {
        if (sql[i] != c) continue;
        if (i + 1 < sql.size() && sql[i + 1] == c) {  // doubled quote: an escaped quote
          ++i;
          continue;
        }
        break;
      }
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const auto end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      on_char(i);
      ++i;
    }
  }
}

bool IsBlankOrComment(std::string_view statement) {
  bool blank = true;
  ForEachCodeChar(statement, [&](std::size_t i) {
    const char c = statement[i];
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') blank = false;
  });
  return blank;
}

// Decodes the last UTF-8 sequence of `text`; returns its code point and length,
// or nullopt when the tail is not a valid sequence.
std::optional<std::pair<char32_t, std::size_t>> LastCodePoint(std::string_view text) {
  std::size_t len = 1;
  while (len <= 4 && len <= text.size() &&
         (static_cast<unsigned char>(text[text.size() - len]) & 0xC0) == 0x80) {
    ++len;
  }
  if (len > 4 || len > text.size()) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data() + text.size() - len);
  char32_t cp = 0;
  if (len == 1 && p[0] < 0x80) {
    cp = p[0];
  } else if (len == 2 && (p[0] & 0xE0) == 0xC0) {
    cp = p[0] & 0x1F;
  } else if (len == 3 && (p[0] & 0xF0) == 0xE0) {
    cp = p[0] & 0x0F;
  } else if (len == 4 && (p[0] & 0xF8) == 0xF0) {
    cp = p[0] & 0x07;
  } else {
    return std::nullopt;
  }
  for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (p[k] & 0x3F);
  return std::make_pair(cp, len);
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  std::size_t copied = 0;
  int n = 0;
  ForEachCodeChar(sql, [&](std::size_t i) {
    if (sql[i] != '?') return;
    out.append(sql.substr(copied, i - copied));
    out += '$';
    out += std::to_string(++n);
    copied = i + 1;
  });
  out.append(sql.substr(copied));
  return out;
}

std::vector<std::string> SplitSqlStatements(std::string_view sql) {
  std::vector<std::string> statements;
  std::size_t start = 0;
  auto flush = [&](std::size_t end) {
    const std::string_view statement = sql.substr(start, end - start);
    if (!IsBlankOrComment(statement)) statements.emplace_back(statement);
    start = end + 1;
  };
  ForEachCodeChar(sql, [&](std::size_t i) {
    if (sql[i] == ';') flush(i);
  });
  if (start < sql.size()) flush(sql.size());
  return statements;
}

std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty()) {
    const auto last = LastCodePoint(bound);
    if (!last) {
      // Not UTF-8: fall back to byte order on the last byte.
      const auto byte = static_cast<unsigned char>(bound.back());
      bound.pop_back();
      if (byte < 0xFF) {
        bound += static_cast<char>(byte + 1);
        return bound;
      }
      continue;
    }
    auto [cp, len] = *last;
    bound.resize(bound.size() - len);
    if (cp >= 0x10FFFF) continue;
    ++cp;
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xE000;  // skip the surrogates
    AppendUtf8(bound, cp);
    return bound;
  }
  return std::nullopt;
}

}  // namespace storeflow::store::internal
