#pragma once

// The parts of SigV4's canonical request (AWS General Reference, "Create a canonical
// request"): the URI, the query and the headers.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "http_request.h"

namespace storeflow::plugins::aws {

// The canonical URI of a wire path. `normalize` removes "." and ".." segments and
// empty segments ("//"); `double_encode` encodes the path as given ('%' becomes %25),
// otherwise it is decoded first and encoded once (S3: neither).
Result<std::string> CanonicalUri(std::string_view path, bool normalize, bool double_encode);

// RFC 3986 dot-segment removal that also drops empty segments; keeps a trailing '/'.
std::string NormalizePath(std::string_view path);

struct QueryParam {
  std::string name;  // decoded
  std::string value;
};

// The parameters of a wire query ("a=1&b&c=%20"), decoded, in order. Empty pieces
// ("a=1&&b=2") are skipped; a piece without '=' has an empty value.
Result<std::vector<QueryParam>> ParseQuery(std::string_view query);

// name=value pairs encoded and sorted by name, then value; joined with '&'.
std::string CanonicalQuery(std::vector<QueryParam> params);

struct CanonicalHeaders {
  std::string block;           // "name:value\n" per header name, sorted
  std::string signed_headers;  // "host;x-amz-date"
};

// Lower-cased names, sorted; values trimmed, runs of whitespace (folded lines too)
// collapsed to one space; repeated names joined with ',' in their order.
Result<CanonicalHeaders> CanonicalizeHeaders(const std::vector<HttpHeader>& headers);

// Checks one header: a token name; a value without control characters except tabs
// and folded lines (a line break followed by a space or tab).
Status CheckHeader(const HttpHeader& header);

// A value as the canonical request shows it (see CanonicalizeHeaders).
std::string CanonicalHeaderValue(std::string_view value);

// ASCII lower case.
std::string LowerAscii(std::string_view text);

}  // namespace storeflow::plugins::aws
