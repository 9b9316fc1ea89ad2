#pragma once

// A tolerant reader for the raw HTTP requests of the SigV4 test suites (.req,
// request.txt). It is not an HTTP parser: the suites deliberately contain what a
// real parser rejects (a space in the request target, raw UTF-8, folded header
// lines), and the signer must still see those bytes as written.

#include <string>
#include <vector>

#include "http_request.h"

namespace storeflow::plugins::aws::testing {

struct RawRequest {
  std::string request_line;  // "GET /example space/ HTTP/1.1"
  // Each header as written: the name before the first ':' and the value after it,
  // untrimmed; a folded line is kept in the value as "\n" + the line.
  std::vector<HttpHeader> headers;
  bool has_body_separator = false;  // the file has an empty line after the headers
  HttpRequest request;              // method, path, query, headers, body
};

// Splits `text`; throws std::runtime_error when there is no "METHOD target HTTP/x"
// request line or a header line without ':'.
RawRequest ReadRawRequest(const std::string& text);

// The whole file; throws std::runtime_error when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace storeflow::plugins::aws::testing
