#include "http/request_parser.h"

#include <algorithm>
#include <cctype>

namespace storeflow::http {
namespace {

constexpr std::size_t kChunkLineCap = 4096;  // chunk size with its extensions

bool IsTokenChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
  }
}

bool IsToken(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return IsTokenChar(c); });
}

// Field values: visible characters, spaces, tabs and obs-text; no other controls.
bool IsFieldValue(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "a, b ,,c" -> {"a", "b", "c"}
std::vector<std::string_view> SplitList(std::string_view text) {
  std::vector<std::string_view> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = Trim(text.substr(0, comma));
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

// Printable for an error message: at most 40 characters, controls as '?'.
std::string Shown(std::string_view text) {
  std::string out(text.substr(0, 40));
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  if (text.size() > 40) out += "...";
  return out;
}

}  // namespace

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

bool RequestParser::head_complete() const {
  switch (state_) {
    case State::kBody:
    case State::kChunkSize:
    case State::kChunkData:
    case State::kChunkDataEnd:
    case State::kTrailers:
    case State::kDone: return true;
    default: return false;
  }
}

void RequestParser::Reset() {
  state_ = State::kStart;
  started_ = false;
  blank_lines_ = 0;
  head_.clear();
  scanned_ = 0;
  line_.clear();
  trailer_bytes_ = 0;
  remaining_ = 0;
  request_ = ParsedRequest{};
  error_status_ = 0;
  error_message_.clear();
}

void RequestParser::Fail(int status, std::string message) {
  state_ = State::kFailed;
  error_status_ = status;
  error_message_ = std::move(message);
}

std::size_t RequestParser::Feed(std::string_view data) {
  std::size_t pos = 0;
  if (!data.empty()) started_ = true;
  while (pos < data.size()) {
    switch (state_) {
      case State::kStart: {
        // RFC 9112 2.2: empty lines before the request line are ignored.
        const char c = data[pos];
        if (c == '\r' || c == '\n') {
          ++pos;
          if (++blank_lines_ > limits_.head_limit) {
            Fail(431, "the request head is longer than " + std::to_string(limits_.head_limit) +
                          " bytes");
            return pos;
          }
          break;
        }
        state_ = State::kHead;
        break;
      }
      case State::kHead: {
        const std::size_t before = head_.size();
        head_.append(data.substr(pos));
        // The head ends with an empty line: LF followed by LF or CRLF.
        std::size_t end = std::string::npos;
        std::size_t restart = head_.size();
        for (std::size_t i = scanned_; i < head_.size(); ++i) {
          if (head_[i] != '\n') continue;
          if (i + 1 < head_.size() && head_[i + 1] == '\n') {
            end = i + 2;
          } else if (i + 2 < head_.size() && head_[i + 1] == '\r' && head_[i + 2] == '\n') {
            end = i + 3;
          } else if (i + 1 >= head_.size() || (head_[i + 1] == '\r' && i + 2 >= head_.size())) {
            restart = i;  // the terminator may be split across reads: look here again
            break;
          }
          if (end != std::string::npos) {
            head_.resize(i + 1);  // up to the last header line's LF
            break;
          }
        }
        if (end == std::string::npos) {
          scanned_ = restart;
          if (head_.size() > limits_.head_limit) {
            Fail(431, "the request head is longer than " + std::to_string(limits_.head_limit) +
                          " bytes");
          }
          return data.size();
        }
        if (end > limits_.head_limit) {
          Fail(431,
               "the request head is longer than " + std::to_string(limits_.head_limit) + " bytes");
          return pos + (end - before);
        }
        pos += end - before;
        ParseHead();
        if (state_ == State::kFailed) return pos;
        break;
      }
      case State::kBody: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - pos));
        request_.body.append(data.substr(pos, n));
        pos += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = State::kDone;
          return pos;
        }
        break;
      }
      case State::kChunkSize:
        if (!TakeLine(data, pos, kChunkLineCap, 400, "a chunk-size line")) return pos;
        ParseChunkSize();
        if (state_ == State::kFailed) return pos;
        break;
      case State::kChunkData: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - pos));
        request_.body.append(data.substr(pos, n));
        pos += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kChunkDataEnd;
        break;
      }
      case State::kChunkDataEnd:
        if (!TakeLine(data, pos, 2, 400, "the end of a chunk")) return pos;
        if (!line_.empty()) {
          Fail(400, "a chunk's data is longer than its chunk-size");
          return pos;
        }
        state_ = State::kChunkSize;
        break;
      case State::kTrailers: {
        const std::size_t cap = limits_.head_limit - std::min(limits_.head_limit, trailer_bytes_);
        if (!TakeLine(data, pos, cap, 431, "the trailer section")) return pos;
        trailer_bytes_ += line_.size() + 2;
        if (line_.empty()) {
          state_ = State::kDone;
          return pos;
        }
        if (line_[0] == ' ' || line_[0] == '\t') {
          Fail(400, "folded trailer line (obs-fold) is not accepted");
          return pos;
        }
        const auto colon = line_.find(':');
        if (colon == std::string::npos || !IsToken(std::string_view(line_).substr(0, colon)) ||
            !IsFieldValue(std::string_view(line_).substr(colon + 1))) {
          Fail(400, "malformed trailer field '" + Shown(line_) + "'");
          return pos;
        }
        line_.clear();
        break;
      }
      case State::kDone:
      case State::kFailed: return pos;
    }
  }
  return pos;
}

bool RequestParser::TakeLine(std::string_view data, std::size_t& pos, std::size_t cap, int status,
                             const char* what) {
  const auto lf = data.find('\n', pos);
  const std::size_t end = lf == std::string_view::npos ? data.size() : lf;
  line_.append(data.substr(pos, end - pos));
  pos = lf == std::string_view::npos ? data.size() : lf + 1;
  // The CR of a CRLF counts towards the line until the LF is seen.
  const std::size_t length = line_.size() - (!line_.empty() && line_.back() == '\r' ? 1 : 0);
  if (length > cap) {
    Fail(status, std::string(what) + " is longer than " + std::to_string(cap) + " bytes");
    return false;
  }
  if (lf == std::string_view::npos) return false;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

void RequestParser::ParseChunkSize() {
  const std::string_view line = line_;
  std::size_t i = 0;
  std::uint64_t size = 0;
  while (i < line.size() && std::isxdigit(static_cast<unsigned char>(line[i]))) {
    if (i >= 15) {
      Fail(413, "a chunk is larger than the body limit of " + std::to_string(limits_.body_limit) +
                    " bytes");
      return;
    }
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(line[i])));
    size = size * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    ++i;
  }
  if (i == 0) {
    Fail(400, "malformed chunk-size '" + Shown(line) + "' (expected hexadecimal digits)");
    return;
  }
  std::string_view rest = Trim(line.substr(i));
  if (!rest.empty() && (rest[0] != ';' || !IsFieldValue(rest))) {
    Fail(400, "malformed chunk-size line '" + Shown(line) + "'");
    return;
  }
  line_.clear();
  if (size == 0) {
    state_ = State::kTrailers;
    return;
  }
  if (size > limits_.body_limit - std::min(limits_.body_limit, request_.body.size())) {
    Fail(413,
         "the body is longer than the limit of " + std::to_string(limits_.body_limit) + " bytes");
    return;
  }
  remaining_ = size;
  state_ = State::kChunkData;
}

bool RequestParser::ParseRequestLine(std::string_view line) {
  const auto first = line.find(' ');
  const auto last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    Fail(400, "malformed request line '" + Shown(line) + "' (expected METHOD TARGET HTTP/1.1)");
    return false;
  }
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, last - first - 1);
  const std::string_view version = line.substr(last + 1);
  if (!IsToken(method)) {
    Fail(400, "malformed method '" + Shown(method) + "'");
    return false;
  }
  if (target.empty() || !std::all_of(target.begin(), target.end(),
                                     [](unsigned char c) { return c > 0x20 && c < 0x7f; })) {
    Fail(400, "malformed request target '" + Shown(target) + "'");
    return false;
  }
  if (version == "HTTP/1.1") {
    request_.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    request_.minor_version = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
             std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
             std::isdigit(static_cast<unsigned char>(version[7]))) {
    Fail(505, "HTTP version '" + Shown(version) + "' is not supported (HTTP/1.1 and 1.0 are)");
    return false;
  } else {
    Fail(400, "malformed HTTP version '" + Shown(version) + "'");
    return false;
  }
  request_.method = std::string(method);
  request_.target = std::string(target);
  return true;
}

void RequestParser::ParseHead() {
  std::string_view head = head_;
  bool first = true;
  while (!head.empty()) {
    const auto lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    head.remove_prefix(lf == std::string_view::npos ? head.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) {
      Fail(400, "a bare CR in the request head");
      return;
    }
    if (first) {
      first = false;
      if (!ParseRequestLine(line)) return;
      continue;
    }
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      Fail(400, "folded header line (obs-fold) is not accepted: '" + Shown(line) + "'");
      return;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      Fail(400, "malformed header line '" + Shown(line) + "' (expected NAME: VALUE)");
      return;
    }
    const std::string_view name = line.substr(0, colon);
    if (!IsToken(name)) {
      Fail(400, "malformed header name '" + Shown(name) + "'");
      return;
    }
    const std::string_view value = Trim(line.substr(colon + 1));
    if (!IsFieldValue(value)) {
      Fail(400, "header " + std::string(name) + ": the value has control characters");
      return;
    }
    if (request_.headers.size() >= limits_.max_headers) {
      Fail(431, "more than " + std::to_string(limits_.max_headers) + " header fields");
      return;
    }
    request_.headers.emplace_back(Lower(name), std::string(value));
  }
  head_.clear();
  head_.shrink_to_fit();
  ParseFraming();
}

bool RequestParser::ParseFraming() {
  ParsedRequest& r = request_;
  int hosts = 0;
  bool has_length = false;
  std::string length_text;
  std::vector<std::string_view> codings;
  bool has_coding = false;
  bool close = false;
  bool keep_alive = false;
  for (const auto& [name, value] : r.headers) {
    if (name == "host") {
      ++hosts;
    } else if (name == "content-length") {
      for (std::string_view item : SplitList(value)) {
        if (!std::all_of(item.begin(), item.end(),
                         [](unsigned char c) { return std::isdigit(c) != 0; })) {
          Fail(400, "header Content-Length: '" + Shown(value) + "' is not a number of bytes");
          return false;
        }
        if (has_length && item != length_text) {
          Fail(400, "header Content-Length: conflicting values " + Shown(length_text) + " and " +
                        Shown(item));
          return false;
        }
        has_length = true;
        length_text = std::string(item);
      }
      if (!has_length) {
        Fail(400, "header Content-Length: empty value");
        return false;
      }
    } else if (name == "transfer-encoding") {
      has_coding = true;
      for (std::string_view item : SplitList(value)) codings.push_back(item);
    } else if (name == "connection") {
      for (std::string_view item : SplitList(value)) {
        const std::string token = Lower(item);
        if (token == "close") close = true;
        if (token == "keep-alive") keep_alive = true;
      }
    } else if (name == "expect") {
      if (Lower(value) != "100-continue") {
        Fail(417, "header Expect: '" + Shown(value) + "' is not supported (only 100-continue)");
        return false;
      }
      r.expect_continue = r.minor_version >= 1;
    }
  }
  if (r.minor_version >= 1 && hosts != 1) {
    Fail(400,
         hosts == 0 ? "header Host is missing (HTTP/1.1 requires it)" : "header Host is repeated");
    return false;
  }
  r.keep_alive = !close && (r.minor_version >= 1 || keep_alive);
  if (has_coding) {
    if (r.minor_version == 0) {
      Fail(400, "header Transfer-Encoding is not allowed in HTTP/1.0");
      return false;
    }
    if (has_length) {
      Fail(400, "headers Transfer-Encoding and Content-Length together are refused");
      return false;
    }
    if (codings.size() != 1 || Lower(codings[0]) != "chunked") {
      std::string list;
      for (auto c : codings) list += (list.empty() ? "" : ", ") + std::string(c);
      Fail(501, "header Transfer-Encoding: '" + Shown(list) + "' is not supported (only chunked)");
      return false;
    }
    state_ = State::kChunkSize;
    return true;
  }
  if (has_length) {
    const std::string_view digits = Trim(length_text);
    std::string_view significant =
        digits.substr(std::min(digits.find_first_not_of('0'), digits.size()));
    std::uint64_t length = 0;
    const bool huge = significant.size() > 18;
    if (!huge) {
      for (char c : significant) length = length * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (huge || length > limits_.body_limit) {
      Fail(413, "the body is " + std::string(digits) + " bytes; the limit is " +
                    std::to_string(limits_.body_limit));
      return false;
    }
    if (length > 0) {
      r.body.reserve(static_cast<std::size_t>(length));
      remaining_ = length;
      state_ = State::kBody;
      return true;
    }
  }
  state_ = State::kDone;
  return true;
}

}  // namespace storeflow::http
