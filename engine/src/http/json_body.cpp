#include "http/json_body.h"

namespace storeflow::http {

bool ParseJsonBody(const std::string& body, Json& out, JsonParseError& error) {
  try {
    out = Json::parse(body);
    return true;
  } catch (const Json::parse_error& e) {
    error.byte = e.byte;
    error.line = 1;
    error.column = 1;
    const std::size_t end = std::min(body.size(), e.byte > 0 ? e.byte - 1 : 0);
    for (std::size_t i = 0; i < end; ++i) {
      if (body[i] == '\n') {
        ++error.line;
        error.column = 1;
      } else {
        ++error.column;
      }
    }
    error.message = e.what();
    return false;
  }
}

Response InvalidJsonResponse(const JsonParseError& error) {
  return Response::Error(400, "invalid_json",
                         "the body is not valid JSON at line " + std::to_string(error.line) +
                             ", column " + std::to_string(error.column) + " (byte " +
                             std::to_string(error.byte) + ")",
                         Json::array({{{"byte", error.byte},
                                       {"line", error.line},
                                       {"column", error.column},
                                       {"parser", error.message}}}));
}

}  // namespace storeflow::http
