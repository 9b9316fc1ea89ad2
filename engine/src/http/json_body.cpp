#include "http/json_body.h"

#include <string_view>

#include "common/json_nesting.h"

namespace storeflow::http {

namespace {

void SetPosition(const std::string& body, std::size_t byte, std::string message,
                 JsonParseError& error) {
  error.byte = byte;
  error.line = 1;
  error.column = 1;
  const std::size_t end = std::min(body.size(), byte > 0 ? byte - 1 : 0);
  for (std::size_t i = 0; i < end; ++i) {
    if (body[i] == '\n') {
      ++error.line;
      error.column = 1;
    } else {
      ++error.column;
    }
  }
  error.message = std::move(message);
}

// A quick check that says true only for text that is certainly valid JSON
// (RFC 8259, as nlohmann's parser accepts it); false means "not sure": anything
// unusual (a byte order mark, a \u escape of a surrogate, an exponent or a very
// long number, deep nesting) or invalid is left to the full parser, which also
// gives the error position.
class QuickJsonCheck {
 public:
  explicit QuickJsonCheck(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()) {}

  bool Valid() {
    char stack[kMaxDepth];
    int depth = 0;
    bool want_key = false;  // at the start of an object member
    for (;;) {
      // A value (or, when want_key, an object key and its colon, then a value).
      Space();
      if (p_ == end_) return false;
      if (want_key) {
        want_key = false;
        if (*p_ != '"' || !String()) return false;
        Space();
        if (p_ == end_ || *p_ != ':') return false;
        ++p_;
        Space();
        if (p_ == end_) return false;
      }
      const char c = *p_;
      if (c == '{' || c == '[') {
        ++p_;
        Space();
        if (p_ != end_ && *p_ == (c == '{' ? '}' : ']')) {
          ++p_;  // empty: a complete value
        } else {
          if (depth == kMaxDepth) return false;
          stack[depth++] = c;
          want_key = c == '{';
          continue;
        }
      } else if (c == '"') {
        if (!String()) return false;
      } else if (c == 't') {
        if (!Literal("true")) return false;
      } else if (c == 'f') {
        if (!Literal("false")) return false;
      } else if (c == 'n') {
        if (!Literal("null")) return false;
      } else if (!Number()) {
        return false;
      }
      // After a complete value: close containers, or a comma for the next one.
      for (;;) {
        Space();
        if (depth == 0) return p_ == end_;
        if (p_ == end_) return false;
        const char open = stack[depth - 1];
        if (*p_ == ',') {
          ++p_;
          want_key = open == '{';
          break;
        }
        if (*p_ != (open == '{' ? '}' : ']')) return false;
        ++p_;
        --depth;
      }
    }
  }

 private:
  static constexpr int kMaxDepth = kMaxJsonNesting;

  void Space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size()) return false;
    if (std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  static bool Digit(char c) { return c >= '0' && c <= '9'; }
  static bool Hex(char c) { return Digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
  static int HexValue(char c) {
    return Digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?, at most 32 characters (no exponent: those can
  // overflow, which the parser rejects).
  bool Number() {
    const char* start = p_;
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !Digit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && Digit(*p_)) ++p_;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !Digit(*p_)) return false;
      while (p_ != end_ && Digit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) return false;
    return p_ - start <= 32;
  }

  // A string from its opening quote: no control characters, known escapes,
  // well-formed UTF-8 (RFC 3629).
  bool String() {
    ++p_;
    for (;;) {
      while (p_ != end_) {
        const auto b = static_cast<unsigned char>(*p_);
        if (b < 0x20 || b == '"' || b == '\\' || b >= 0x80) break;
        ++p_;
      }
      if (p_ == end_) return false;
      const auto b = static_cast<unsigned char>(*p_);
      if (b == '"') {
        ++p_;
        return true;
      }
      if (b < 0x20) return false;
      if (b == '\\') {
        if (end_ - p_ < 2) return false;
        const char e = p_[1];
        if (e == 'u') {
          if (end_ - p_ < 6 || !Hex(p_[2]) || !Hex(p_[3]) || !Hex(p_[4]) || !Hex(p_[5])) {
            return false;
          }
          const int unit = (HexValue(p_[2]) << 12) | (HexValue(p_[3]) << 8) |
                           (HexValue(p_[4]) << 4) | HexValue(p_[5]);
          if (unit >= 0xD800 && unit <= 0xDFFF) return false;  // surrogates: the parser judges
          p_ += 6;
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
            e != 't') {
          return false;
        }
        p_ += 2;
        continue;
      }
      if (!Utf8()) return false;
    }
  }

  // One multi-byte UTF-8 sequence at p_ (its first byte is >= 0x80).
  bool Utf8() {
    const auto b0 = static_cast<unsigned char>(p_[0]);
    int length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;  // range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3;
      if (b0 == 0xE0) low = 0xA0;
      if (b0 == 0xED) high = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4;
      if (b0 == 0xF0) low = 0x90;
      if (b0 == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (end_ - p_ < length) return false;
    const auto b1 = static_cast<unsigned char>(p_[1]);
    if (b1 < low || b1 > high) return false;
    for (int i = 2; i < length; ++i) {
      const auto b = static_cast<unsigned char>(p_[i]);
      if (b < 0x80 || b > 0xBF) return false;
    }
    p_ += length;
    return true;
  }

  const char* p_;
  const char* end_;
};

// A SAX handler that accepts every value and keeps the first error.
class Validator {
 public:
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(Json::number_integer_t) { return true; }
  bool number_unsigned(Json::number_unsigned_t) { return true; }
  bool number_float(Json::number_float_t, const Json::string_t&) { return true; }
  bool string(Json::string_t&) { return true; }
  bool binary(Json::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(Json::string_t&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    failed = true;
    byte = position;
    message = e.what();
    return false;
  }

  bool failed = false;
  std::size_t byte = 0;
  std::string message;
};

// False (with the position) when `body` nests deeper than kMaxJsonNesting.
bool NestingWithinLimit(const std::string& body, JsonParseError& error) {
  const std::size_t at = FindJsonNestingOverflow(body);
  if (at == std::string_view::npos) return true;
  SetPosition(body, at + 1, JsonNestingMessage(), error);
  return false;
}

}  // namespace

bool ParseJsonBody(const std::string& body, Json& out, JsonParseError& error) {
  if (!NestingWithinLimit(body, error)) return false;
  try {
    out = Json::parse(body);
    return true;
  } catch (const Json::parse_error& e) {
    SetPosition(body, e.byte, e.what(), error);
    return false;
  } catch (const Json::out_of_range&) {
    // A number out of range (1e999) has no position in the exception: the
    // validator finds it again with its position.
    if (ValidateJsonBody(body, error)) throw;
    return false;
  }
}

bool ValidateJsonBody(const std::string& body, JsonParseError& error) {
  if (QuickJsonCheck(body).Valid()) return true;  // (and nests no deeper than the limit)
  if (!NestingWithinLimit(body, error)) return false;
  Validator validator;
  if (Json::sax_parse(body, &validator) && !validator.failed) return true;
  SetPosition(body, validator.byte, std::move(validator.message), error);
  return false;
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
