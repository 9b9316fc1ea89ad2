#include "http/access_log.h"

#include <cstdio>

namespace storeflow::http {

std::string EscapeForLog(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u < 0x7f && u != '%') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string AccessLine(std::string_view method, std::string_view path, int status,
                       std::size_t bytes, double seconds, std::string_view request_id) {
  char ms[32];
  std::snprintf(ms, sizeof(ms), "%.1f", seconds * 1000);
  std::string line;
  line.reserve(method.size() + path.size() + request_id.size() + 40);
  line += method.empty() ? std::string("-") : EscapeForLog(method);
  line += ' ';
  line += path.empty() ? std::string("-") : EscapeForLog(path);
  line += ' ';
  line += std::to_string(status);
  line += ' ';
  line += std::to_string(bytes);
  line += ' ';
  line += ms;
  line += "ms ";
  line += request_id;
  return line;
}

}  // namespace storeflow::http
