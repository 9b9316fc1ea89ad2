#pragma once

// Parsing a request body as JSON, with the position of the first error.
// Text that nests deeper than kMaxJsonNesting (common/json_nesting.h) is an
// error at the bracket that goes too deep, so no parsed value is ever deep
// enough to overflow a stack when it is copied or dumped.

#include <string>

#include "common/result.h"
#include "http/http_message.h"

namespace storeflow::http {

struct JsonParseError {
  std::size_t byte = 0;  // 1-based offset of the error (nlohmann's position)
  std::size_t line = 1;
  std::size_t column = 1;
  std::string message;
};

// The parsed value, or the error with its position.
bool ParseJsonBody(const std::string& body, Json& out, JsonParseError& error);
// The same check without building the value (cheaper when only validity
// matters): true when `body` is valid JSON; else the error as ParseJsonBody
// gives it.
bool ValidateJsonBody(const std::string& body, JsonParseError& error);

// A 400 `invalid_json` answer naming the position:
// details = [{"byte": N, "line": L, "column": C}].
Response InvalidJsonResponse(const JsonParseError& error);

}  // namespace storeflow::http
