#include "storage_key.h"

#include <cstdio>

#include "storeflow/plugin.hpp"
#include "utf8.h"

namespace storeflow::plugins::storage {
namespace {

using sdk::Error;

constexpr std::size_t kMaxSegmentBytes = 255;

[[noreturn]] void Refuse(std::string_view what, std::string_view key, const std::string& why) {
  throw Error::Permanent("invalid_key",
                         std::string(what) + " " + DisplayKey(key) + " is refused: " + why);
}

// Checks the bytes every key and prefix must satisfy.
void CheckBytes(std::string_view what, std::string_view text) {
  if (!text.empty() && text.front() == '/') {
    Refuse(what, text, "it is an absolute path; keys are relative to the storage root");
  }
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte == 0) Refuse(what, text, "it contains a NUL byte");
    if (c == '\\') Refuse(what, text, "it contains a backslash; separate folders with '/'");
    if (byte < 0x20 || byte == 0x7f) Refuse(what, text, "it contains a control character");
  }
  if (!IsValidUtf8(text)) Refuse(what, text, "it is not valid UTF-8");
}

void CheckSegment(std::string_view what, std::string_view text, std::string_view segment) {
  if (segment.empty()) {
    Refuse(what, text, "it has an empty segment ('//', or a '/' at the end)");
  }
  if (segment == "..") Refuse(what, text, "it contains a '..' segment");
  if (segment == ".") Refuse(what, text, "it contains a '.' segment");
  if (IsReservedName(segment)) {
    Refuse(what, text, "segments starting with '.storeflow' are reserved");
  }
  if (segment.size() > kMaxSegmentBytes) {
    Refuse(what, text, "a segment is longer than 255 bytes");
  }
}

}  // namespace

bool IsReservedName(std::string_view segment) {
  return segment.starts_with(".storeflow");
}

std::string DisplayKey(std::string_view key) {
  std::string out = "\"";
  for (char c : key) {
    auto byte = static_cast<unsigned char>(c);
    if (byte == 0) {
      out += "\\0";
    } else if (byte < 0x20 || byte == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", byte);
      out += buf;
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

void ValidateKey(std::string_view key) {
  if (key.empty()) throw Error::Permanent("invalid_key", "the storage key is empty");
  if (key.size() > kMaxKeyBytes) {
    Refuse("storage key", key.substr(0, 64), "it is longer than 1024 bytes");
  }
  CheckBytes("storage key", key);
  std::size_t start = 0;
  while (true) {
    std::size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    CheckSegment("storage key", key, segment);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

void ValidatePrefix(std::string_view prefix) {
  if (prefix.empty()) return;
  if (prefix.size() > kMaxKeyBytes) {
    Refuse("prefix", prefix.substr(0, 64), "it is longer than 1024 bytes");
  }
  CheckBytes("prefix", prefix);
  std::size_t start = 0;
  while (true) {
    std::size_t slash = prefix.find('/', start);
    if (slash == std::string_view::npos) {
      // The last, partial segment: only ".." is refused ("." may start ".hidden").
      if (prefix.substr(start) == "..") Refuse("prefix", prefix, "it contains a '..' segment");
      break;
    }
    CheckSegment("prefix", prefix, prefix.substr(start, slash - start));
    start = slash + 1;
  }
}

}  // namespace storeflow::plugins::storage
