#include "common/http_header_field.h"

#include <cstdio>
#include <string>

namespace storeflow {
namespace {

bool IsTokenChar(unsigned char c) {
  static constexpr std::string_view kPunctuation = "!#$%&'*+-.^_`|~";
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && kPunctuation.find(static_cast<char>(c)) != std::string_view::npos;
}

// The name with control and non-ASCII characters escaped (\r, \n, \x00).
std::string Printable(std::string_view name) {
  std::string out = "'";
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string_view Describe(unsigned char c) {
  if (c == '\r') return "a carriage return (CR)";
  if (c == '\n') return "a line feed (LF)";
  if (c == 0) return "a NUL character";
  return "a control character";
}

}  // namespace

Status CheckHeaderField(std::string_view name, std::string_view value) {
  if (name.empty()) return InvalidArgument("a header name is empty");
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsTokenChar(c)) continue;
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument("header name " + Printable(name) + " contains " +
                             std::string(Describe(c)));
    }
    return InvalidArgument("header name " + Printable(name) +
                           " may only contain letters, digits and !#$%&'*+-.^_`|~");
  }
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return InvalidArgument("the value of header " + Printable(name) + " contains " +
                             std::string(Describe(c)));
    }
  }
  return Status::Ok();
}

}  // namespace storeflow
