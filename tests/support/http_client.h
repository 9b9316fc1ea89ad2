#pragma once

// A minimal HTTP/1.1 client for tests (Poco::Net over loopback): one request to
// 127.0.0.1:port, the whole answer read. A connection error throws (Poco).

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace storeflow::test_support {

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // as sent (names as the server spelled them)

  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  // A header by name in any case (HTTP names are case-insensitive: Node servers send
  // "content-type"); "" when absent.
  std::string header(const std::string& name) const;
};

// A body (or a POST/PUT without one) is sent as application/json.
HttpReply Http(std::uint16_t port, const std::string& method, const std::string& target,
               const std::string& body = "", const std::map<std::string, std::string>& headers = {},
               long timeout_seconds = 30);

}  // namespace storeflow::test_support
