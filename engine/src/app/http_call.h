#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace storeflow::app {

// What one HTTP exchange gave: the status and body, or why it failed (the
// connection, the timeout) with status 0.
struct HttpReply {
  int status = 0;
  std::string body;
  std::string error;
};

// One HTTP/1.1 request to a running engine (the CLI commands that talk to its
// API: demo, reconcile). A POST carries `body` as JSON. Never throws.
HttpReply HttpCall(const std::string& host, std::uint16_t port, const std::string& method,
                   const std::string& target, const std::string& body = "",
                   const std::map<std::string, std::string>& headers = {},
                   std::chrono::seconds timeout = std::chrono::seconds(30));

}  // namespace storeflow::app
