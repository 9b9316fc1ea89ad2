#include "canonical_request.h"

#include <algorithm>
#include <map>

#include "uri_encoding.h"

namespace storeflow::plugins::aws {
namespace {

bool IsTokenChar(unsigned char c) {
  // RFC 9110 tchar.
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string Printable(std::string_view text) {
  std::string out;
  for (char ch : text.substr(0, 64)) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c == 0x7F) ? '?' : ch;
  }
  if (text.size() > 64) out += "...";
  return out;
}

}  // namespace

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    const bool last = end == path.size();
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    if (last) trailing_slash = segment.empty() || segment == "." || segment == "..";
    start = end + 1;
  }
  std::string out;
  for (std::string_view segment : segments) {
    out += '/';
    out += segment;
  }
  if (out.empty() || trailing_slash) out += '/';
  return out;
}

Result<std::string> CanonicalUri(std::string_view path, bool normalize, bool double_encode) {
  if (path.empty()) return std::string("/");
  if (path.front() != '/') {
    return InvalidArgument("request path `" + Printable(path) + "` must start with '/'");
  }
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c == 0x7F) {
      return InvalidArgument("request path has a control character at offset " + std::to_string(i));
    }
    if (c == '?' || c == '#') {
      return InvalidArgument("request path `" + Printable(path) + "` contains '" +
                             static_cast<char>(c) + "' at offset " + std::to_string(i) +
                             "; the query goes in `query` and a fragment is never sent");
    }
  }
  const std::string normalized = normalize ? NormalizePath(path) : std::string(path);
  if (double_encode) return UriEncode(normalized, /*keep_slash=*/true);
  Result<std::string> decoded = PercentDecode(normalized, "request path");
  if (!decoded.ok()) return decoded.status();
  return UriEncode(*decoded, /*keep_slash=*/true);
}

Result<std::vector<QueryParam>> ParseQuery(std::string_view query) {
  std::vector<QueryParam> params;
  std::size_t start = 0;
  int index = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view piece = query.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) continue;
    ++index;
    for (char ch : piece) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c == 0x7F || c == '#') {
        return InvalidArgument("query parameter " + std::to_string(index) + " (`" +
                               Printable(piece) + "`) contains a control character or '#'");
      }
    }
    const std::size_t equals = piece.find('=');
    const std::string_view raw_name = piece.substr(0, equals);
    const std::string_view raw_value =
        equals == std::string_view::npos ? std::string_view() : piece.substr(equals + 1);
    const std::string where =
        "query parameter " + std::to_string(index) + " (`" + Printable(piece) + "`)";
    Result<std::string> name = PercentDecode(raw_name, where + " name");
    if (!name.ok()) return name.status();
    Result<std::string> value = PercentDecode(raw_value, where + " value");
    if (!value.ok()) return value.status();
    params.push_back({std::move(*name), std::move(*value)});
  }
  return params;
}

std::string CanonicalQuery(std::vector<QueryParam> params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const QueryParam& param : params) {
    encoded.emplace_back(UriEncode(param.name, false), UriEncode(param.value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

Status CheckHeader(const HttpHeader& header) {
  if (header.name.empty()) return InvalidArgument("a header has an empty name");
  for (char ch : header.name) {
    if (!IsTokenChar(static_cast<unsigned char>(ch))) {
      return InvalidArgument("header name `" + Printable(header.name) +
                             "` contains a character that is not allowed in a header name");
    }
  }
  const std::string_view value = header.value;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n') continue;
    if (c == '\n' && i + 1 < value.size() && (value[i + 1] == ' ' || value[i + 1] == '\t')) {
      continue;  // a folded line
    }
    if ((c < 0x20 && c != '\t') || c == 0x7F) {
      return InvalidArgument("header `" + header.name + "` has a " +
                             (c == '\n' || c == '\r' ? std::string("line break not followed by a "
                                                                   "space or tab")
                                                     : std::string("control character")) +
                             " at offset " + std::to_string(i) + " of its value");
    }
  }
  return Status::Ok();
}

std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

Result<CanonicalHeaders> CanonicalizeHeaders(const std::vector<HttpHeader>& headers) {
  std::map<std::string, std::string> joined;
  for (const HttpHeader& header : headers) {
    STOREFLOW_RETURN_IF_ERROR(CheckHeader(header));
    auto [it, inserted] = joined.try_emplace(LowerAscii(header.name));
    if (!inserted) it->second += ',';
    it->second += CanonicalHeaderValue(header.value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : joined) {
    out.block += name + ':' + value + '\n';
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += name;
  }
  return out;
}

}  // namespace storeflow::plugins::aws
