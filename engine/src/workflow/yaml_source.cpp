#include "workflow/yaml_source.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

// The definitions of YAML::Node's inline members (the copy this file makes in
// ScalarLocator): node.h only declares them.
#include <yaml-cpp/node/impl.h>

namespace storeflow::workflow {
namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::size_t Utf8Length(std::uint32_t cp) {
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  return 4;
}

// For a double-quoted escape starting at text[r] == '\\': how many raw bytes it
// takes and how many bytes it decodes to. raw 0 means "not understood".
void DecodeEscape(std::string_view text, std::size_t r, std::size_t& raw, std::size_t& decoded) {
  raw = 0;
  decoded = 0;
  if (r + 1 >= text.size()) return;
  char kind = text[r + 1];
  std::size_t hex_digits = kind == 'x' ? 2 : kind == 'u' ? 4 : kind == 'U' ? 8 : 0;
  if (hex_digits > 0) {
    std::uint32_t cp = 0;
    for (std::size_t i = 0; i < hex_digits; ++i) {
      if (r + 2 + i >= text.size() || HexValue(text[r + 2 + i]) < 0) return;
      cp = cp * 16 + static_cast<std::uint32_t>(HexValue(text[r + 2 + i]));
    }
    raw = 2 + hex_digits;
    decoded = Utf8Length(cp);
    return;
  }
  raw = 2;
  switch (kind) {
    case 'N':
    case '_': decoded = 2; break;  // U+0085, U+00A0
    case 'L':
    case 'P': decoded = 3; break;  // U+2028, U+2029
    default: decoded = 1; break;
  }
}

}  // namespace

YamlSource::YamlSource(std::string text, std::string display_path)
    : text_(std::move(text)), path_(std::move(display_path)) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourceLocation YamlSource::AtOffset(std::size_t byte_offset) const {
  byte_offset = std::min(byte_offset, text_.size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), byte_offset);
  std::size_t line_index = static_cast<std::size_t>(it - line_starts_.begin()) - 1;
  int col = 1;
  for (std::size_t i = line_starts_[line_index]; i < byte_offset; ++i) {
    // Count characters: skip UTF-8 continuation bytes.
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++col;
  }
  return {path_, static_cast<int>(line_index) + 1, col};
}

SourceLocation YamlSource::At(const YAML::Mark& mark) const {
  if (mark.pos < 0) return {path_, 1, 1};
  return AtOffset(static_cast<std::size_t>(mark.pos));
}

SourceLocation YamlSource::InScalar(const YAML::Node& scalar, std::size_t offset) const {
  const SourceLocation fallback = At(scalar);
  if (!scalar.IsScalar() || scalar.Mark().pos < 0) return fallback;
  const std::string& value = scalar.Scalar();
  if (offset > value.size()) return fallback;
  std::string_view raw = text_;
  std::size_t r = static_cast<std::size_t>(scalar.Mark().pos);

  // Anchors (&a) and tags (!!str) before the value.
  while (r < raw.size() && (raw[r] == '&' || raw[r] == '!')) {
    while (r < raw.size() && !IsBlank(raw[r])) ++r;
    while (r < raw.size() && (raw[r] == ' ' || raw[r] == '\t')) ++r;
  }
  if (r >= raw.size()) return fallback;
  enum class Style { kPlain, kSingle, kDouble, kBlock } style = Style::kPlain;
  if (raw[r] == '"') {
    style = Style::kDouble;
    ++r;
  } else if (raw[r] == '\'') {
    style = Style::kSingle;
    ++r;
  } else if (raw[r] == '|' || raw[r] == '>') {
    style = Style::kBlock;
    while (r < raw.size() && raw[r] != '\n') ++r;  // header line (indicators, comment)
  }

  std::size_t v = 0;
  while (v < offset) {
    if (r >= raw.size()) return fallback;
    char rc = raw[r];
    char vc = value[v];
    if (style == Style::kDouble && rc == '\\') {
      if (r + 1 < raw.size() && (raw[r + 1] == '\n' || raw[r + 1] == '\r')) {
        r += 2;  // escaped line break: continues without a space
        while (r < raw.size() && IsBlank(raw[r])) ++r;
        continue;
      }
      std::size_t raw_len = 0;
      std::size_t decoded_len = 0;
      DecodeEscape(raw, r, raw_len, decoded_len);
      if (raw_len == 0) return fallback;
      r += raw_len;
      v += decoded_len;
      continue;
    }
    if (style == Style::kDouble && rc == '"') return fallback;  // ran past the end
    if (style == Style::kSingle && rc == '\'') {
      if (r + 1 < raw.size() && raw[r + 1] == '\'' && vc == '\'') {
        r += 2;
        ++v;
        continue;
      }
      return fallback;
    }
    if (rc == vc) {
      ++r;
      ++v;
    } else if (IsBlank(rc)) {
      ++r;  // indentation, a folded line break, trailing blanks
    } else if (vc == ' ' || vc == '\n') {
      ++v;  // a line break the value folded into a space
    } else {
      return fallback;
    }
  }
  if (v > offset) return fallback;  // landed inside a multi-byte escape
  if (offset < value.size() && !IsBlank(value[offset])) {
    while (r < raw.size() && IsBlank(raw[r]) && raw[r] != value[offset]) ++r;
  }
  return AtOffset(r);
}

Locator YamlSource::ScalarLocator(const YAML::Node& scalar, std::size_t base) const {
  return [this, scalar, base](std::size_t offset) { return InScalar(scalar, base + offset); };
}

}  // namespace storeflow::workflow
