#include "http/http_message.h"

#include <strings.h>

namespace storeflow::http {

std::optional<std::string> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return std::nullopt;
}

std::optional<std::string> Request::Query(std::string_view name) const {
  auto it = query_params.find(std::string(name));
  if (it == query_params.end()) return std::nullopt;
  return it->second;
}

Response Response::JsonBody(int status, const Json& body) {
  Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

Response Response::Error(int status, std::string_view code, std::string_view message,
                         const Json& details) {
  Json error = {{"code", code}, {"message", message}};
  if (!details.is_null()) error["details"] = details;
  return JsonBody(status, {{"error", error}});
}

Response& Response::WithHeader(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

}  // namespace storeflow::http
