#include "content_type.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace storeflow::plugins::storage {
namespace {

bool IsTokenChar(char c) {
  if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// Consumes a token at `pos`; false when there is none.
bool Token(std::string_view s, std::size_t& pos) {
  std::size_t start = pos;
  while (pos < s.size() && IsTokenChar(s[pos])) ++pos;
  return pos > start;
}

void Spaces(std::string_view s, std::size_t& pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
}

bool QuotedString(std::string_view s, std::size_t& pos) {
  if (pos >= s.size() || s[pos] != '"') return false;
  ++pos;
  while (pos < s.size() && s[pos] != '"') {
    auto byte = static_cast<unsigned char>(s[pos]);
    if (byte < 0x20 || byte >= 0x7f) return false;
    if (s[pos] == '\\') ++pos;
    ++pos;
  }
  if (pos >= s.size()) return false;
  ++pos;
  return true;
}

}  // namespace

bool IsValidContentType(std::string_view s) {
  std::size_t pos = 0;
  if (!Token(s, pos) || pos >= s.size() || s[pos] != '/') return false;
  ++pos;
  if (!Token(s, pos)) return false;
  while (true) {
    Spaces(s, pos);
    if (pos == s.size()) return true;
    if (s[pos] != ';') return false;
    ++pos;
    Spaces(s, pos);
    if (!Token(s, pos) || pos >= s.size() || s[pos] != '=') return false;
    ++pos;
    if (!Token(s, pos) && !QuotedString(s, pos)) return false;
  }
}

std::string GuessContentType(std::string_view filename) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes = {{
      {"txt", "text/plain; charset=utf-8"},
      {"csv", "text/csv; charset=utf-8"},
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"json", "application/json"},
      {"xml", "application/xml"},
      {"pdf", "application/pdf"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"svg", "image/svg+xml"},
      {"webp", "image/webp"},
      {"zip", "application/zip"},
      {"gz", "application/gzip"},
      {"ics", "text/calendar; charset=utf-8"},
  }};
  std::size_t slash = filename.find_last_of('/');
  if (slash != std::string_view::npos) filename = filename.substr(slash + 1);
  std::size_t dot = filename.find_last_of('.');
  if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
  std::string ext(filename.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [known, type] : kTypes) {
    if (ext == known) return std::string(type);
  }
  return "application/octet-stream";
}

}  // namespace storeflow::plugins::storage
