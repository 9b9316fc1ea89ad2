// Fuzz target: the email plugin's MIME builder (plugins/email/src/mime_builder.h) with
// its input checked as email.send checks it (ParseMailbox, CheckHeaderValue,
// ParseCustomHeaders, LoadAttachments with content_base64).
//
// Input: lines "key: value" (unknown keys and refused values are skipped):
//   from, to, cc, bcc, reply_to   an address ("Name <a@b.example>")
//   subject, key                  the subject, the idempotency key
//   header                        "Name: value" (a custom header)
//   text, html                    a body line (several lines are joined with "\n")
//   attachment                    "filename|content_type|bytes"
//   boundary                      a candidate multipart boundary (tried in turn)
//   bcc_copy                      any value: write Bcc (the outbox copy)
//
// Properties of the message built:
//  - CRLF line endings only, no line longer than 998 octets, headers in ASCII;
//  - folding: no header line of blanks only; the Subject folds before blanks
//    (no blank ends a line before a fold) and its encoded-word lines have at
//    most 76 characters;
//  - the plugin tests' MIME reader takes it apart: one Date, From, Subject,
//    Message-ID and MIME-Version, To/Cc/Bcc/Reply-To exactly when given;
//  - the subject, custom headers, text, html and attachments (bytes, file name,
//    media type) decode back to what went in.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "address.h"
#include "attachments.h"
#include "base64.h"
#include "custom_headers.h"
#include "fuzz_check.h"
#include "message_id.h"
#include "mime_builder.h"
#include "mime_encoding.h"
#include "mime_reader.h"

using storeflow::fuzz::Printable;
namespace email = storeflow::plugins::email;
using email::testing::MimePart;

namespace {

std::string Trim(std::string_view s) {
  const std::size_t b = s.find_first_not_of(" \t");
  const std::size_t e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A multipart boundary from arbitrary bytes: RFC 2046 bchars (no space), 1..70 long.
std::string BoundaryFrom(std::string_view bytes) {
  static constexpr std::string_view kChars =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=?";
  std::string out;
  for (char c : bytes.substr(0, 70)) out += kChars[static_cast<unsigned char>(c) % kChars.size()];
  return out.empty() ? "b" : out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// A parameter of a structured header value ("attachment; filename=...; ..."),
// honouring quoted strings and RFC 2231 `name*=UTF-8''%XX`.
std::optional<std::string> HeaderParam(const std::string& value, const std::string& name) {
  std::size_t i = value.find(';');
  while (i != std::string::npos && i < value.size()) {
    ++i;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    const std::size_t eq = value.find('=', i);
    if (eq == std::string::npos) return std::nullopt;
    const std::string key = Lower(Trim(value.substr(i, eq - i)));
    std::size_t j = eq + 1;
    std::string parsed;
    if (j < value.size() && value[j] == '"') {
      for (++j; j < value.size() && value[j] != '"'; ++j) {
        if (value[j] == '\\' && j + 1 < value.size()) ++j;
        parsed += value[j];
      }
      ++j;
    } else {
      while (j < value.size() && value[j] != ';') parsed += value[j++];
      parsed = Trim(parsed);
    }
    if (key == name) return parsed;
    if (key == name + "*" && parsed.starts_with("UTF-8''")) {
      std::string decoded;
      for (std::size_t k = 7; k < parsed.size(); ++k) {
        const int hi = k + 2 < parsed.size() ? HexDigit(parsed[k + 1]) : -1;
        const int lo = k + 2 < parsed.size() ? HexDigit(parsed[k + 2]) : -1;
        if (parsed[k] == '%' && hi >= 0 && lo >= 0) {
          decoded += static_cast<char>(hi * 16 + lo);
          k += 2;
        } else {
          decoded += parsed[k];
        }
      }
      return decoded;
    }
    i = value.find(';', j);
  }
  return std::nullopt;
}

struct Input {
  email::MimeMessage message;
  std::vector<std::string> boundaries;
};

void AddMailbox(std::vector<email::Mailbox>& list, const std::string& text) {
  try {
    list.push_back(email::ParseMailbox(text, "fuzz"));
  } catch (const std::runtime_error&) {
  }
}

Input Read(std::string_view data) {
  Input in;
  email::MimeMessage& m = in.message;
  std::vector<std::string> text_lines;
  std::vector<std::string> html_lines;
  std::string idempotency_key;
  bool have_from = false;
  std::size_t start = 0;
  while (start <= data.size()) {
    std::size_t end = data.find('\n', start);
    if (end == std::string_view::npos) end = data.size();
    const std::string_view line = data.substr(start, end - start);
    start = end + 1;
    const std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    const std::string value(line.substr(colon + 2));
    if (key == "from") {
      std::vector<email::Mailbox> one;
      AddMailbox(one, value);
      if (!one.empty()) {
        m.from = one[0];
        have_from = true;
      }
    } else if (key == "to") {
      AddMailbox(m.to, value);
    } else if (key == "cc") {
      AddMailbox(m.cc, value);
    } else if (key == "bcc") {
      AddMailbox(m.bcc, value);
    } else if (key == "reply_to") {
      AddMailbox(m.reply_to, value);
    } else if (key == "subject" || key == "key") {
      try {
        email::CheckHeaderValue(value, std::string(key));
        (key == "subject" ? m.subject : idempotency_key) = value;
      } catch (const std::runtime_error&) {
      }
    } else if (key == "header") {
      const std::size_t sep = value.find(": ");
      if (sep == std::string::npos) continue;
      try {
        auto parsed = email::ParseCustomHeaders(
            storeflow::sdk::Json::object({{value.substr(0, sep), value.substr(sep + 2)}}));
        m.headers.insert(m.headers.end(), parsed.begin(), parsed.end());
      } catch (const std::runtime_error&) {
      }
    } else if (key == "text") {
      text_lines.push_back(value);
    } else if (key == "html") {
      html_lines.push_back(value);
    } else if (key == "attachment") {
      const std::size_t a = value.find('|');
      const std::size_t b = a == std::string::npos ? a : value.find('|', a + 1);
      if (b == std::string::npos) continue;
      storeflow::sdk::Json item = {
          {"filename", value.substr(0, a)},
          {"content_base64", storeflow::plugins::storage::Base64Encode(value.substr(b + 1))}};
      if (b > a + 1) item["content_type"] = value.substr(a + 1, b - a - 1);
      try {
        auto loaded = email::LoadAttachments(storeflow::sdk::Json::array({item}), "/nonexistent");
        m.attachments.insert(m.attachments.end(), loaded.begin(), loaded.end());
      } catch (const std::runtime_error&) {
      }
    } else if (key == "boundary") {
      in.boundaries.push_back(BoundaryFrom(value));
    } else if (key == "bcc_copy") {
      m.include_bcc = true;
    }
  }
  auto join = [](const std::vector<std::string>& lines) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i > 0 ? "\n" : "") + lines[i];
    return out;
  };
  if (!have_from) m.from = {"", "sender@example.com"};
  if (!text_lines.empty()) m.text = join(text_lines);
  if (!html_lines.empty()) m.html = join(html_lines);
  if (!m.text && !m.html) m.text = "";
  m.idempotency_key = idempotency_key;
  m.message_id = email::MessageIdFor(idempotency_key, "fuzz.example");
  m.date_ms = 1'767'225'600'000;  // 2026-01-01
  return in;
}

void CheckWire(const std::string& raw) {
  FUZZ_CHECK(raw.ends_with("\r\n"), "the message does not end with CRLF");
  std::size_t line_start = 0;
  bool in_headers = true;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\r') {
      FUZZ_CHECK(i + 1 < raw.size() && raw[i + 1] == '\n',
                 "a bare CR at byte " + std::to_string(i));
      const std::size_t length = i - line_start;
      FUZZ_CHECK(length <= 998, "a line of " + std::to_string(length) + " octets at byte " +
                                    std::to_string(line_start) + ": " +
                                    Printable(raw.substr(line_start, 120)));
      if (length == 0) in_headers = false;
      ++i;
      line_start = i + 1;
      continue;
    }
    FUZZ_CHECK(c != '\n', "a bare LF at byte " + std::to_string(i));
    if (in_headers) {
      const auto byte = static_cast<unsigned char>(c);
      FUZZ_CHECK((byte >= 0x20 && byte < 0x7f) || c == '\t',
                 "a header byte that is not printable ASCII at " + std::to_string(i) + ": " +
                     Printable(raw.substr(line_start, 120)));
    }
  }
}

// The message's own header lines (to the first empty line), without CRLF.
std::vector<std::string> HeaderLines(const std::string& raw) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = raw.find("\r\n", start);
    if (end == std::string::npos || end == start) break;
    lines.push_back(raw.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}

// Folding (RFC 5322 3.2.2): no header line is blanks only. The Subject's lines
// end in a blank only where the subject itself does (its last line), and a line
// holding encoded words has at most 76 characters (RFC 2047 2).
void CheckFolding(const std::string& raw) {
  const std::vector<std::string> lines = HeaderLines(raw);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    FUZZ_CHECK(line.find_first_not_of(" \t") != std::string::npos,
               "header line " + std::to_string(i + 1) + " is blanks only");
    if (!line.starts_with("Subject: ")) continue;
    for (std::size_t j = i; j < lines.size() && (j == i || IsBlank(lines[j].front())); ++j) {
      const bool last = j + 1 == lines.size() || !IsBlank(lines[j + 1].front());
      FUZZ_CHECK(last || !IsBlank(lines[j].back()),
                 "a Subject line ends in a blank before a fold: " + Printable(lines[j]));
      FUZZ_CHECK(lines[j].find("=?") == std::string::npos || lines[j].size() <= 76,
                 "a Subject line with encoded words has " + std::to_string(lines[j].size()) +
                     " characters: " + Printable(lines[j]));
    }
  }
}

void CheckHeaders(const email::MimeMessage& m, const MimePart& top) {
  for (const char* name : {"date", "from", "subject", "message-id", "mime-version"}) {
    FUZZ_CHECK(top.HeaderCount(name) == 1,
               std::string(name) + " appears " + std::to_string(top.HeaderCount(name)) + " times");
  }
  const std::pair<const char*, std::size_t> lists[] = {{"to", m.to.size()},
                                                       {"cc", m.cc.size()},
                                                       {"bcc", m.include_bcc ? m.bcc.size() : 0},
                                                       {"reply-to", m.reply_to.size()}};
  for (const auto& [name, count] : lists) {
    FUZZ_CHECK(top.HeaderCount(name) == (count > 0 ? 1 : 0),
               std::string(name) + " appears " + std::to_string(top.HeaderCount(name)) +
                   " times for " + std::to_string(count) + " addresses");
  }
  FUZZ_CHECK(top.Header("from").ends_with("<" + m.from.address + ">"),
             "From does not end with the address: " + Printable(top.Header("from")));
  const std::string subject = email::testing::DecodeHeader(top.Header("subject"));
  FUZZ_CHECK(Trim(subject) == Trim(m.subject),
             "the subject " + Printable(m.subject) + " comes back as " + Printable(subject));
  // Custom headers, compared in order per (case-insensitive) name.
  for (const auto& [name, value] : m.headers) {
    const std::string lower = Lower(name);
    std::vector<std::string> sent;
    for (const auto& [n, v] : m.headers) {
      if (Lower(n) == lower) sent.push_back(Trim(v));
    }
    std::vector<std::string> got;
    for (const auto& [n, v] : top.headers) {
      if (n == lower) got.push_back(Trim(email::testing::DecodeHeader(v)));
    }
    FUZZ_CHECK(sent == got, "header " + Printable(name) + " " + Printable(value) +
                                " does not come back as written");
  }
}

// `in_multipart`: the reader counts the CRLF before a boundary as part of the
// boundary (RFC 2046), so a part's body comes back without its final CRLF.
void CheckText(const MimePart& part, const char* type, const std::string& content,
               bool in_multipart) {
  FUZZ_CHECK(part.MediaType() == type,
             "expected " + std::string(type) + ", got " + part.MediaType());
  std::string expected = email::NormalizeNewlines(content);
  if (!expected.empty() && !expected.ends_with("\r\n")) expected += "\r\n";
  std::string decoded = part.Decoded();
  if (in_multipart && !expected.empty()) decoded += "\r\n";
  FUZZ_CHECK(decoded == expected, std::string(type) + " body " + Printable(content) +
                                      " comes back as " + Printable(part.Decoded()));
}

void CheckBody(const email::MimeMessage& m, const MimePart& body, bool in_multipart) {
  if (m.text && m.html) {
    FUZZ_CHECK(body.MediaType() == "multipart/alternative" && body.children.size() == 2,
               "text and html are not a multipart/alternative of two: " + body.MediaType());
    CheckText(body.children[0], "text/plain", *m.text, true);
    CheckText(body.children[1], "text/html", *m.html, true);
  } else if (m.html) {
    CheckText(body, "text/html", *m.html, in_multipart);
  } else {
    CheckText(body, "text/plain", m.text.value_or(""), in_multipart);
  }
}

void CheckAttachment(const email::MimeAttachment& a, const MimePart& part) {
  const std::string type = Lower(Trim(a.content_type.substr(0, a.content_type.find(';'))));
  FUZZ_CHECK(part.MediaType() == type,
             "attachment type " + Printable(a.content_type) + " comes back as " + part.MediaType());
  FUZZ_CHECK(part.Decoded() == a.bytes,
             "attachment " + Printable(a.filename) + " bytes do not come back");
  const auto filename = HeaderParam(part.Header("content-disposition"), "filename");
  FUZZ_CHECK(filename && *filename == a.filename,
             "attachment file name " + Printable(a.filename) + " comes back as " +
                 (filename ? Printable(*filename) : std::string("nothing")) + " from " +
                 Printable(part.Header("content-disposition")));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Input in = Read(std::string_view(reinterpret_cast<const char*>(data), size));
  const email::MimeMessage& m = in.message;
  std::size_t next_boundary = 0;
  email::BoundarySource boundaries = email::RandomBoundary;
  if (!in.boundaries.empty()) {
    boundaries = [&] { return in.boundaries[next_boundary++ % in.boundaries.size()]; };
  }
  std::string raw;
  try {
    raw = email::BuildMime(m, boundaries);
  } catch (const std::runtime_error& e) {
    // Only a boundary source whose every candidate clashes may make it give up.
    FUZZ_CHECK(!in.boundaries.empty(), std::string("BuildMime failed: ") + e.what());
    return 0;
  }
  CheckWire(raw);
  CheckFolding(raw);

  MimePart top;
  try {
    top = email::testing::ParseMime(raw);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("the MIME reader cannot take the message apart: ") + e.what() +
                          "\n" + Printable(raw, 2000));
  }
  CheckHeaders(m, top);
  if (m.attachments.empty()) {
    CheckBody(m, top, false);
    return 0;
  }
  FUZZ_CHECK(
      top.MediaType() == "multipart/mixed" && top.children.size() == m.attachments.size() + 1,
      "attachments are not in a multipart/mixed: " + top.MediaType() + " with " +
          std::to_string(top.children.size()) + " parts");
  CheckBody(m, top.children[0], true);
  for (std::size_t i = 0; i < m.attachments.size(); ++i) {
    CheckAttachment(m.attachments[i], top.children[i + 1]);
  }
  return 0;
}
