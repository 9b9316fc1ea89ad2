#pragma once

// The request and response the HTTP surface's handlers see: plain values, no
// Poco types, so handlers (webhooks, REST triggers, the admin API) are testable
// without a socket. The server (http/server.*) converts from and to Poco.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace storeflow::http {

using Json = nlohmann::json;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path, no query: "/api/v1/runs/42"
  std::string query;   // raw query string, without '?'
  std::multimap<std::string, std::string> query_params;      // decoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::map<std::string, std::string> path_params;  // filled by the router
  std::string request_id;
  std::string remote_address;

  // The first header named `name` (case-insensitive), if any.
  std::optional<std::string> Header(std::string_view name) const;
  // The first query parameter named `name`, if any.
  std::optional<std::string> Query(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // application/json body.
  static Response JsonBody(int status, const Json& body);
  // The error shape of every endpoint:
  // {"error": {"code": "...", "message": "...", "details": [...]?}}
  static Response Error(int status, std::string_view code, std::string_view message,
                        const Json& details = Json());
  Response& WithHeader(std::string name, std::string value);
};

}  // namespace storeflow::http
