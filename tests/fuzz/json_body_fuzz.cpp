// Fuzz target: the request-body JSON check and parse (engine/src/http/json_body.h).
//
// Properties:
//  - ValidateJsonBody and ParseJsonBody agree: one accepts exactly when the other
//    does, and when both refuse they name the same byte, line and column;
//  - the reported position is inside the body (or just after it) and its line and
//    column match the byte offset;
//  - a parsed value dumps to JSON that parses back to an equal value, and that
//    dump passes ValidateJsonBody too;
//  - InvalidJsonResponse is a 400 whose body is JSON naming the same position.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "http/json_body.h"

using storeflow::fuzz::Printable;
using storeflow::http::Json;
using storeflow::http::JsonParseError;

namespace {

std::string Where(const JsonParseError& e) {
  return "byte " + std::to_string(e.byte) + " line " + std::to_string(e.line) + " column " +
         std::to_string(e.column) + " (" + e.message + ")";
}

// The line and column of 1-based byte `byte`, counted independently.
void ExpectedPosition(const std::string& body, std::size_t byte, std::size_t& line,
                      std::size_t& column) {
  line = 1;
  column = 1;
  for (std::size_t i = 0; i + 1 < byte && i < body.size(); ++i) {
    if (body[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);

  JsonParseError validate_error;
  const bool valid = storeflow::http::ValidateJsonBody(body, validate_error);
  Json value;
  JsonParseError parse_error;
  const bool parsed = storeflow::http::ParseJsonBody(body, value, parse_error);

  FUZZ_CHECK(valid == parsed, std::string("ValidateJsonBody says ") +
                                  (valid ? "valid" : "invalid") + ", ParseJsonBody says " +
                                  (parsed ? "valid" : "invalid") + " for: " + Printable(body) +
                                  " / validate: " + Where(validate_error) +
                                  " / parse: " + Where(parse_error));
  if (!valid) {
    FUZZ_CHECK(validate_error.byte == parse_error.byte && validate_error.line == parse_error.line &&
                   validate_error.column == parse_error.column,
               "positions differ: validate " + Where(validate_error) + ", parse " +
                   Where(parse_error) + " for: " + Printable(body));
    FUZZ_CHECK(validate_error.byte >= 1 && validate_error.byte <= body.size() + 1,
               "error byte outside the body: " + Where(validate_error) + " size " +
                   std::to_string(body.size()));
    std::size_t line = 0;
    std::size_t column = 0;
    ExpectedPosition(body, validate_error.byte, line, column);
    FUZZ_CHECK(line == validate_error.line && column == validate_error.column,
               "line/column do not match byte: " + Where(validate_error) + ", expected line " +
                   std::to_string(line) + " column " + std::to_string(column));
    FUZZ_CHECK(!validate_error.message.empty(), "error without a message");

    const auto response = storeflow::http::InvalidJsonResponse(validate_error);
    FUZZ_CHECK(response.status == 400,
               "InvalidJsonResponse status " + std::to_string(response.status));
    const Json answer = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    FUZZ_CHECK(!answer.is_discarded(),
               "InvalidJsonResponse body is not JSON: " + Printable(response.body));
    const Json& detail = answer["error"]["details"][0];
    FUZZ_CHECK(detail["byte"] == validate_error.byte && detail["line"] == validate_error.line &&
                   detail["column"] == validate_error.column,
               "InvalidJsonResponse names another position: " + Printable(response.body));
    return 0;
  }

  // A valid body: its value survives dump -> parse unchanged.
  std::string dumped;
  try {
    dumped = value.dump();
  } catch (const Json::exception& e) {
    FUZZ_CHECK(false, std::string("a parsed value does not dump: ") + e.what() +
                          " for: " + Printable(body));
  }
  JsonParseError again_error;
  Json again;
  FUZZ_CHECK(storeflow::http::ParseJsonBody(dumped, again, again_error),
             "the dump of a parsed value does not parse: " + Printable(dumped) + " / " +
                 Where(again_error));
  FUZZ_CHECK(again == value, "dump -> parse changed the value: " + Printable(body) + " -> " +
                                 Printable(dumped) + " -> " + Printable(again.dump()));
  FUZZ_CHECK(storeflow::http::ValidateJsonBody(dumped, again_error),
             "ValidateJsonBody refuses a dump: " + Printable(dumped) + " / " + Where(again_error));
  return 0;
}
