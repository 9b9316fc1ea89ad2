#pragma once

// A request as the handlers see it and the reply they build; the router converts
// from and to Poco::Net.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace storeflow::shopify_sim {

struct SimRequest {
  std::string method;
  std::string path;                                        // decoded, without the query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // names lower-cased
  std::string body;
  std::string host;  // the Host header ("127.0.0.1:PORT"), for absolute links

  std::optional<std::string> Query(const std::string& name) const {
    for (const auto& [k, v] : query) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
  std::string Header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Compact JSON; bytes that are not UTF-8 (say, from a query string) become U+FFFD
// instead of an exception.
inline std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct SimReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static SimReply Json(int status, const nlohmann::json& body) {
    SimReply r;
    r.status = status;
    r.body = DumpJson(body);
    return r;
  }
};

}  // namespace storeflow::shopify_sim
