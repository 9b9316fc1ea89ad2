#pragma once

// Turns an http::Response into the bytes of an HTTP/1.1 response: status line,
// the handler's headers, X-Request-Id, Date, Content-Length and, when the
// connection ends after it, `Connection: close` (or `Connection: keep-alive`
// for an HTTP/1.0 caller that asked for it). Framing headers a handler set
// (Content-Length, Transfer-Encoding, Connection) are replaced by the
// server's own.

#include <string>
#include <string_view>

#include "http/http_message.h"

namespace storeflow::http {

struct ResponseFraming {
  bool keep_alive = true;  // the connection stays open after this response
  bool http10 = false;     // the request was HTTP/1.0
  bool head_only = false;  // a HEAD request: headers, no body
};

std::string SerializeResponse(const Response& response, std::string_view request_id,
                              const ResponseFraming& framing);

// "HTTP/1.1 100 Continue\r\n\r\n"
std::string_view ContinueLine();

}  // namespace storeflow::http
