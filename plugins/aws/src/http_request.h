#pragma once

#include <optional>
#include <string>
#include <vector>

namespace storeflow::plugins::aws {

struct HttpHeader {
  std::string name;
  std::string value;
};

// A request as it will go on the wire: what the signer signs.
struct HttpRequest {
  std::string method = "GET";
  // The path of the request line, without the query ("/", "/bucket/my%20key"). The
  // signer encodes it for the canonical request (see SigningOptions).
  std::string path = "/";
  // The query of the request line after '?', as sent ("" for none), e.g.
  // "list-type=2&prefix=a%2Fb". Spaces must be sent as %20: '+' means a plus sign.
  std::string query;
  // Every header here is signed, in this order (duplicates are joined with ','). Host is
  // required. Add unsigned headers (User-Agent, ...) after signing.
  std::vector<HttpHeader> headers;
  std::string body;
  // Lower-case hex SHA-256 of the body when the caller has it already (a file hashed
  // while it was read); then `body` is not hashed.
  std::optional<std::string> payload_sha256;
};

}  // namespace storeflow::plugins::aws
