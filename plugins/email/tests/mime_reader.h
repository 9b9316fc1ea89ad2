#pragma once

// A small MIME reader for the tests: enough to take apart what the plugin wrote
// (headers, nested multiparts, quoted-printable and base64 bodies, RFC 2047 words).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace storeflow::plugins::email::testing {

struct MimePart {
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case name, unfolded raw value
  std::string body;                                          // as on the wire
  std::vector<MimePart> children;                            // multipart only
  std::string preamble_boundary;                             // multipart only

  // The first header with that (case-insensitive) name, unfolded; "" when absent.
  std::string Header(std::string_view name) const;
  int HeaderCount(std::string_view name) const;
  // "text/plain" (lower case, without parameters).
  std::string MediaType() const;
  // A parameter of a structured header ("boundary", "charset", "filename").
  std::string Param(std::string_view header, std::string_view name) const;
  // The body with its Content-Transfer-Encoding undone.
  std::string Decoded() const;
};

MimePart ParseMime(std::string_view raw);
std::string DecodeHeader(std::string_view value);  // RFC 2047 encoded words -> UTF-8
std::string DecodeQuotedPrintable(std::string_view text);

}  // namespace storeflow::plugins::email::testing
