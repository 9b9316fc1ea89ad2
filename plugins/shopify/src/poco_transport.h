#pragma once

#include "http_exchange.h"

namespace storeflow::plugins::shopify {

// HttpTransport over Poco::Net: HTTPClientSession for http://, HTTPSClientSession
// (system CAs, certificate verified) for https://. One session per request; a
// response body larger than kMaxResponseBytes is a network error.
class PocoTransport : public HttpTransport {
 public:
  static constexpr std::size_t kMaxResponseBytes = 64 * 1024 * 1024;
  HttpResponse Send(const HttpRequest& request, std::int64_t timeout_ms) override;
};

}  // namespace storeflow::plugins::shopify
