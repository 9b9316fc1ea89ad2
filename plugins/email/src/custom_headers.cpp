#include "custom_headers.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace storeflow::plugins::email {
namespace {

using sdk::Error;

bool IsReserved(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 13> kReserved = {
      "from",    "to",          "cc",         "bcc",          "reply-to",
      "subject", "date",        "message-id", "mime-version", "x-storeflow-idempotency-key",
      "sender",  "return-path", "received"};
  if (name.starts_with("content-")) return true;
  return std::find(kReserved.begin(), kReserved.end(), name) != kReserved.end();
}

}  // namespace

void CheckHeaderValue(const std::string& value, const std::string& field) {
  if (value.find_first_of("\r\n") != std::string::npos) {
    throw Error::Permanent("header_injection",
                           field +
                               " contains a line break (CR or LF), which could add headers "
                               "to the message; a header value must be one line");
  }
  if (value.find('\0') != std::string::npos) {
    throw Error::Permanent("invalid_header", field + " contains a NUL byte");
  }
}

std::vector<std::pair<std::string, std::string>> ParseCustomHeaders(const sdk::Json& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  if (headers.is_null()) return out;
  if (!headers.is_object()) {
    throw Error::Permanent("invalid_input", "`headers` must be an object of name: value strings");
  }
  for (const auto& [name, value] : headers.items()) {
    bool valid_name = !name.empty() && name.size() <= 76;
    for (char c : name) {
      auto byte = static_cast<unsigned char>(c);
      if (byte <= 32 || byte >= 127 || c == ':') valid_name = false;
    }
    if (!valid_name) {
      throw Error::Permanent("invalid_header",
                             "header name \"" + name +
                                 "\" is not valid: use printable ASCII without spaces or ':', "
                                 "at most 76 characters (e.g. X-Campaign)");
    }
    if (IsReserved(name)) {
      throw Error::Permanent("invalid_header",
                             "header \"" + name +
                                 "\" is written by the email plugin; set it through its own "
                                 "input (to, cc, subject, ...) instead of `headers`");
    }
    if (!value.is_string()) {
      throw Error::Permanent("invalid_input", "header \"" + name + "\" must have a string value");
    }
    std::string text = value.get<std::string>();
    CheckHeaderValue(text, "header \"" + name + "\"");
    out.emplace_back(name, std::move(text));
  }
  return out;
}

}  // namespace storeflow::plugins::email
