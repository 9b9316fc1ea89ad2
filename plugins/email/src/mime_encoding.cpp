#include "mime_encoding.h"

#include <algorithm>
#include <cstdio>

#include "base64.h"

namespace storeflow::plugins::email {
namespace {

constexpr std::size_t kMaxEncodedWordLine = 76;  // RFC 2047 2: a line holding encoded words
constexpr std::size_t kFoldColumn = 78;
constexpr std::size_t kMaxLine = 998;

std::string Hex2(unsigned char c) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02X", c);
  return buf;
}

// Length of the UTF-8 sequence starting with `lead` (1 for invalid bytes).
std::size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// How many bytes an encoded word "=?UTF-8?B?...?=" (12 characters and the base64)
// may carry when it starts at `column` of a line: 45 on a continuation line (" "
// and 72 characters), fewer after "Name: ".
std::size_t EncodedWordBudget(std::size_t column) {
  if (column + 12 + 4 > kMaxEncodedWordLine) return 0;
  return (kMaxEncodedWordLine - column - 12) / 4 * 3;
}

}  // namespace

std::string NormalizeNewlines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

bool IsPrintableAscii(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte >= 0x7f) return false;
  }
  return true;
}

bool Is7bitSafe(std::string_view text) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte == 0 || byte >= 0x80) return false;
    if (byte == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') return false;
      ++i;
      line = 0;
      continue;
    }
    if (byte == '\n') return false;
    if (++line > kMaxLine) return false;
  }
  return true;
}

std::string QuotedPrintableEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 11 / 10 + 8);
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find("\r\n", start);
    bool last = end == std::string_view::npos;
    std::string_view line = text.substr(start, last ? std::string_view::npos : end - start);
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      auto c = static_cast<unsigned char>(line[i]);
      bool at_end = i + 1 == line.size();
      std::string token;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end)) {
        token.assign(1, static_cast<char>(c));
      } else {
        token = "=" + Hex2(c);
      }
      // Keep room for the '=' of a soft break: at most 75 + 1 characters a line.
      if (column + token.size() > 75) {
        out += "=\r\n";
        column = 0;
      }
      out += token;
      column += token.size();
    }
    if (last) {
      if (!line.empty()) out += "\r\n";
      break;
    }
    out += "\r\n";
    start = end + 2;
    if (start == text.size()) break;
  }
  return out;
}

std::string EncodeWords(std::string_view text, std::size_t first_column) {
  std::string out;
  std::size_t column = first_column;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t budget = EncodedWordBudget(column);
    std::size_t end = i;
    while (end < text.size()) {
      std::size_t next = end + SequenceLength(static_cast<unsigned char>(text[end]));
      if (next > text.size()) next = text.size();
      if (next - i > budget) break;
      end = next;
    }
    if (end == i) {
      if (column > 1) {  // not even one character fits after the header name
        out += "\r\n ";
        column = 1;
        continue;
      }
      end = i + 1;  // a fresh line holds 45 bytes, so this cannot happen; never loop forever
    }
    const std::string word = "=?UTF-8?B?" + storage::Base64Encode(text.substr(i, end - i)) + "?=";
    out += word;
    column += word.size();
    i = end;
    if (i < text.size()) {
      out += "\r\n ";
      column = 1;
    }
  }
  return out;
}

std::string EncodeUnstructured(std::string_view text, std::size_t name_length) {
  const std::size_t first_column = name_length + 2;  // "Name: "
  bool needs_encoding = !IsPrintableAscii(text) || text.find("=?") != std::string_view::npos;
  if (!needs_encoding) {
    // Fold before a run of blanks that precedes a word, so that no line ends in a
    // blank and no line is blank only (RFC 5322 3.2.2); blanks at the very end stay
    // on the last line. A word longer than a line is kept whole, up to 998.
    std::string out;
    std::size_t column = first_column;
    std::size_t i = 0;
    while (i < text.size()) {
      const std::size_t word_start = std::min(text.find_first_not_of(" \t", i), text.size());
      const std::size_t word_end = std::min(text.find_first_of(" \t", word_start), text.size());
      const std::string_view piece = text.substr(i, word_end - i);  // blanks, then a word
      const bool foldable = word_start > i && word_end > word_start && !out.empty();
      if (foldable && column + piece.size() > kFoldColumn) {
        out += "\r\n";
        column = 0;
      }
      if (column + piece.size() > kMaxLine) {
        needs_encoding = true;
        break;
      }
      out += piece;
      column += piece.size();
      i = word_end;
    }
    if (!needs_encoding) return out;
  }
  return EncodeWords(text, first_column);
}

std::string EncodeParameter(std::string_view name, std::string_view value) {
  bool plain = IsPrintableAscii(value) && value.find_first_of("\"\\\t") == std::string_view::npos;
  if (plain) return std::string(name) + "=\"" + std::string(value) + "\"";
  std::string out = std::string(name) + "*=UTF-8''";
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    bool attr_char = (byte >= '0' && byte <= '9') || (byte >= 'A' && byte <= 'Z') ||
                     (byte >= 'a' && byte <= 'z') ||
                     std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    out += attr_char ? std::string(1, c) : "%" + Hex2(byte);
  }
  return out;
}

}  // namespace storeflow::plugins::email
