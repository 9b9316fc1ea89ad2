#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace storeflow::plugins::shopify {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: http(s)://host[:port]/path?query
  HeaderList headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;
  std::string body;

  // The first header named `name` (case-insensitive).
  std::optional<std::string> Header(std::string_view name) const;
};

// Sends one request; a transport failure (connect, TLS, timeout, reset) throws
// sdk::Error::Retryable("network") with what happened. An interface so tests
// can script answers.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpResponse Send(const HttpRequest& request, std::int64_t timeout_ms) = 0;
};

}  // namespace storeflow::plugins::shopify
