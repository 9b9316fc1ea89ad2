#include "mime_reader.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "base64.h"

namespace storeflow::plugins::email::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t");
  std::size_t e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string DecodeQuotedPrintable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
      continue;
    }
    if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
      i += 2;  // soft line break
      continue;
    }
    int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) throw std::runtime_error("bad quoted-printable at " + std::to_string(i));
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string DecodeHeader(std::string_view value) {
  std::string out;
  std::size_t pos = 0;
  bool last_was_word = false;
  while (pos < value.size()) {
    std::size_t start = value.find("=?", pos);
    if (start == std::string_view::npos) {
      out += value.substr(pos);
      break;
    }
    std::string between(value.substr(pos, start - pos));
    if (!(last_was_word && Trim(between).empty())) out += between;
    std::size_t q1 = value.find('?', start + 2);
    std::size_t q2 = q1 == std::string_view::npos ? q1 : value.find('?', q1 + 1);
    std::size_t end = q2 == std::string_view::npos ? q2 : value.find("?=", q2 + 1);
    if (end == std::string_view::npos) {
      out += value.substr(start);
      break;
    }
    char encoding = static_cast<char>(std::toupper(value[q1 + 1]));
    std::string_view payload = value.substr(q2 + 1, end - q2 - 1);
    if (encoding == 'B') {
      auto decoded = storage::Base64Decode(payload);
      if (!decoded) throw std::runtime_error("bad encoded word");
      out += *decoded;
    } else {
      std::string q(payload);
      std::replace(q.begin(), q.end(), '_', ' ');
      out += DecodeQuotedPrintable(q);
    }
    last_was_word = true;
    pos = end + 2;
  }
  return out;
}

std::string MimePart::Header(std::string_view name) const {
  std::string wanted = Lower(std::string(name));
  for (const auto& [n, v] : headers) {
    if (n == wanted) return v;
  }
  return "";
}

int MimePart::HeaderCount(std::string_view name) const {
  std::string wanted = Lower(std::string(name));
  return static_cast<int>(std::count_if(headers.begin(), headers.end(),
                                        [&](const auto& h) { return h.first == wanted; }));
}

std::string MimePart::MediaType() const {
  std::string type = Header("content-type");
  if (type.empty()) return "text/plain";
  return Lower(Trim(type.substr(0, type.find(';'))));
}

std::string MimePart::Param(std::string_view header, std::string_view name) const {
  std::string value = Header(header);
  std::string wanted = Lower(std::string(name));
  std::size_t pos = value.find(';');
  while (pos != std::string::npos) {
    std::size_t next = value.find(';', pos + 1);
    // Quoted values may contain ';' -- not in what the plugin writes for these tests.
    std::string item =
        Trim(value.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1));
    std::size_t eq = item.find('=');
    if (eq != std::string::npos && Lower(Trim(item.substr(0, eq))) == wanted) {
      std::string v = Trim(item.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
    pos = next;
  }
  return "";
}

std::string MimePart::Decoded() const {
  std::string encoding = Lower(Trim(Header("content-transfer-encoding")));
  if (encoding == "base64") {
    auto decoded = storage::Base64Decode(body);
    if (!decoded) throw std::runtime_error("bad base64 body");
    return *decoded;
  }
  if (encoding == "quoted-printable") return DecodeQuotedPrintable(body);
  return body;
}

MimePart ParseMime(std::string_view raw) {
  MimePart part;
  std::size_t split = raw.find("\r\n\r\n");
  std::string_view head = split == std::string_view::npos ? raw : raw.substr(0, split);
  part.body = split == std::string_view::npos ? "" : std::string(raw.substr(split + 4));
  std::size_t pos = 0;
  while (pos < head.size()) {
    std::size_t end = head.find("\r\n", pos);
    std::string line(
        head.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    pos = end == std::string_view::npos ? head.size() : end + 2;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !part.headers.empty()) {
      part.headers.back().second += line;  // unfold: CRLF removed, the space stays
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error("bad header line: " + line);
    part.headers.emplace_back(Lower(line.substr(0, colon)), line.substr(colon + 1));
  }
  // Trimmed once unfolded: blanks before a fold belong to the value (RFC 5322 2.2.3).
  for (auto& header : part.headers) header.second = Trim(header.second);
  if (part.MediaType().starts_with("multipart/")) {
    std::string boundary = part.Param("content-type", "boundary");
    if (boundary.empty()) throw std::runtime_error("multipart without boundary");
    part.preamble_boundary = boundary;
    std::string delimiter = "--" + boundary;
    std::string_view body = part.body;
    std::size_t at = body.starts_with(delimiter) ? 0 : body.find("\r\n" + delimiter);
    if (at == std::string_view::npos) throw std::runtime_error("no first boundary");
    at = body.find('\n', at + (at == 0 ? 0 : 2)) + 1;
    while (true) {
      std::size_t next = body.find("\r\n" + delimiter, at);
      if (next == std::string_view::npos) throw std::runtime_error("unterminated multipart");
      part.children.push_back(ParseMime(body.substr(at, next - at)));
      std::size_t after = next + 2 + delimiter.size();
      if (body.substr(after, 2) == "--") break;
      at = body.find('\n', after) + 1;
    }
  }
  return part;
}

}  // namespace storeflow::plugins::email::testing
