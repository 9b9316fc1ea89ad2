#include "runtime/respond_headers.h"

#include "common/http_header_field.h"

namespace storeflow::runtime {

std::optional<ActionError> CheckRespondHeaders(const Json& headers) {
  if (headers.is_null()) return std::nullopt;
  if (!headers.is_object()) {
    return ActionError::Permanent("invalid_header",
                                  "respond 'headers' must be a map of header name -> value, got " +
                                      std::string(headers.type_name()));
  }
  for (const auto& [name, value] : headers.items()) {
    // The same text the HTTP writer sends: a string as is, anything else as JSON.
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (Status s = CheckHeaderField(name, text); !s.ok()) {
      return ActionError::Permanent("invalid_header", "respond 'headers': " + s.message());
    }
  }
  return std::nullopt;
}

}  // namespace storeflow::runtime
