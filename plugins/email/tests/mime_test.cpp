// Unit tests of the MIME builder and its encodings (RFC 2045, 2047, 2231, 5322).
#include <gtest/gtest.h>

#include <random>

#include "address.h"
#include "base64.h"
#include "message_id.h"
#include "mime_builder.h"
#include "mime_encoding.h"
#include "mime_reader.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {
namespace {

using testing::DecodeHeader;
using testing::DecodeQuotedPrintable;
using testing::ParseMime;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find("\r\n", start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

void ExpectNoBareNewlines(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ASSERT_TRUE(i > 0 && text[i - 1] == '\r') << "bare LF at " << i;
    }
    if (text[i] == '\r') {
      ASSERT_TRUE(i + 1 < text.size() && text[i + 1] == '\n') << "bare CR at " << i;
    }
  }
}

MimeMessage BasicMessage() {
  MimeMessage m;
  m.from = {"Shop", "shop@example.com"};
  m.to = {{"", "a@example.com"}};
  m.subject = "Hello";
  m.text = "Hi there\n";
  m.message_id = "<sf.1@storeflow.local>";
  m.idempotency_key = "run-1/send";
  m.date_ms = 1767225600000;
  return m;
}

TEST(QuotedPrintable, RoundTripsAndKeepsLinesShort) {
  std::string text = "Grüße aus Köln = 100%\r\nA line with trailing space \r\n\ttab\t\r\n" +
                     std::string(300, 'x') + "\r\n" + std::string(100, '=') + "\r\nend";
  std::string encoded = QuotedPrintableEncode(text);
  for (const std::string& line : Lines(encoded)) {
    EXPECT_LE(line.size(), 76u) << line;
    EXPECT_TRUE(line.empty() || (line.back() != ' ' && line.back() != '\t')) << line;
  }
  for (unsigned char c : encoded) EXPECT_LT(c, 0x80);
  EXPECT_EQ(DecodeQuotedPrintable(encoded), text + "\r\n");
  EXPECT_NE(encoded.find("=3D"), std::string::npos);
  EXPECT_NE(encoded.find("space=20\r\n"), std::string::npos);
  EXPECT_NE(encoded.find("Gr=C3=BC=C3=9Fe"), std::string::npos);
}

TEST(QuotedPrintable, RandomRoundTrip) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::string text;
    int n = static_cast<int>(rng() % 500);
    for (int i = 0; i < n; ++i) {
      int kind = static_cast<int>(rng() % 10);
      if (kind == 0) {
        text += "\r\n";
      } else if (kind == 1) {
        text += ' ';
      } else {
        text += static_cast<char>(rng() % 256);
      }
    }
    std::string normalized = NormalizeNewlines(text);
    std::string encoded = QuotedPrintableEncode(normalized);
    std::string expected = normalized;
    if (!expected.empty() && !expected.ends_with("\r\n")) expected += "\r\n";
    EXPECT_EQ(DecodeQuotedPrintable(encoded), expected);
    for (const std::string& line : Lines(encoded)) EXPECT_LE(line.size(), 76u);
  }
}

TEST(EncodedWords, AreShortAndDecodeBack) {
  std::string subject =
      "Ihre Bestellung 🎉 wurde versandt — Größe XL, Farbe Grün, Lieferung "
      "morgen zwischen 10 und 12 Uhr. 日本語のテキストも。";
  std::string encoded = EncodeUnstructured(subject, 7);
  for (const std::string& line : Lines(encoded)) {
    std::string word = line.front() == ' ' ? line.substr(1) : line;
    EXPECT_LE(word.size(), 75u) << word;
    EXPECT_TRUE(word.starts_with("=?UTF-8?B?") && word.ends_with("?=")) << word;
  }
  std::string unfolded;
  for (const std::string& line : Lines(encoded)) unfolded += line;
  EXPECT_EQ(DecodeHeader(unfolded), subject);
}

TEST(EncodedWords, AsciiIsFoldedNotEncoded) {
  std::string subject;
  for (int i = 0; i < 30; ++i) subject += "word" + std::to_string(i) + " ";
  subject += "end";
  std::string encoded = EncodeUnstructured(subject, 7);
  EXPECT_EQ(encoded.find("=?"), std::string::npos);
  for (const std::string& line : Lines(encoded)) EXPECT_LE(line.size(), 78u);
  std::string unfolded;
  for (const std::string& line : Lines(encoded)) unfolded += line;
  EXPECT_EQ(unfolded, subject);
  // Text that looks like an encoded word is encoded, so it reads back literally.
  EXPECT_EQ(DecodeHeader(EncodeUnstructured("=?UTF-8?B?eA==?=", 7)), "=?UTF-8?B?eA==?=");
}

// The header lines of `raw` (up to the empty line), each without its CRLF.
std::vector<std::string> HeaderLines(const std::string& raw) {
  return Lines(raw.substr(0, raw.find("\r\n\r\n")));
}

// The lines of the field `name` ("Subject") in `raw`, the first with its name.
std::vector<std::string> FieldLines(const std::string& raw, const std::string& name) {
  std::vector<std::string> out;
  bool inside = false;
  for (const std::string& line : HeaderLines(raw)) {
    const bool continuation = line.front() == ' ' || line.front() == '\t';
    if (!continuation) inside = line.starts_with(name + ": ");
    if (inside) out.push_back(line);
  }
  return out;
}

// True when `bytes` is whole UTF-8 sequences (no sequence cut at either end).
bool IsWholeUtf8(const std::string& bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    const std::size_t n = lead < 0x80    ? 1
                          : lead >= 0xF0 ? 4
                          : lead >= 0xE0 ? 3
                          : lead >= 0xC0 ? 2
                                         : 0;
    if (n == 0 || i + n > bytes.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(bytes[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// tests/fuzz/findings/mime_builder-subject-1.bin: two spaces where the subject is
// folded. The fold went between them, leaving "to " at the end of a line, and
// blanks at a fold could make a line of blanks only. Folding now goes before a
// run of blanks that precedes a word (RFC 5322 3.2.2).
TEST(EncodedWords, FoldingKeepsBlanksAndNeverEndsALineWithOne) {
  const std::string finding =
      "ruxt:&&&&f&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&came to  l$ine with "
      "traifrom: t: Hello Ada,";
  const std::string word(70, 'a');
  for (const std::string& subject :
       {finding, word + "   ", word + " \t  b", word + "  x  ", "  " + word + " b",
        "a  b   c    d" + std::string(80, ' ') + "e  " + word + "\t\t" + word}) {
    MimeMessage m = BasicMessage();
    m.subject = subject;
    const std::string raw = BuildMime(m);
    const std::vector<std::string> lines = FieldLines(raw, "Subject");
    ASSERT_FALSE(lines.empty()) << raw;
    std::string unfolded;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      EXPECT_NE(lines[i].find_first_not_of(" \t"), std::string::npos) << "a blank line:\n" << raw;
      if (i + 1 < lines.size()) {
        EXPECT_TRUE(lines[i].back() != ' ' && lines[i].back() != '\t')
            << "a blank before a fold: '" << lines[i] << "'\n"
            << raw;
      }
      unfolded += lines[i];
    }
    EXPECT_EQ(unfolded, "Subject: " + subject);
    const std::size_t b = subject.find_first_not_of(" \t");
    const std::size_t e = subject.find_last_not_of(" \t");
    EXPECT_EQ(DecodeHeader(ParseMime(raw).Header("subject")), subject.substr(b, e - b + 1));
  }
}

// RFC 2047 2: a line that holds an encoded word has at most 76 characters, the
// first one too ("Subject: =?UTF-8?B?...?="), whatever the header name's length;
// and no word cuts a UTF-8 sequence.
TEST(EncodedWords, FirstLineCountsTheHeaderName) {
  MimeMessage m = BasicMessage();
  m.subject = "Grüße — " + std::string(200, 'x') + " 🎉🎉🎉 Ende";
  m.idempotency_key = "schlüssel-" + std::string(60, 'k');
  m.headers = {{std::string(60, 'X'), "wert ü " + std::string(100, 'w')},
               {std::string(76, 'Y'), "ü"}};
  const std::string raw = BuildMime(m);
  for (const std::string& line : HeaderLines(raw)) {
    if (line.find("=?") != std::string::npos) {
      EXPECT_LE(line.size(), 76u) << line;
    }
  }
  const auto mime = ParseMime(raw);
  EXPECT_EQ(DecodeHeader(mime.Header("subject")), m.subject);
  EXPECT_EQ(DecodeHeader(mime.Header("x-storeflow-idempotency-key")), m.idempotency_key);
  EXPECT_EQ(DecodeHeader(mime.Header(std::string(60, 'x'))), m.headers[0].second);
  EXPECT_EQ(DecodeHeader(mime.Header(std::string(76, 'y'))), "ü");

  const std::string text = "🎉ü🎉" + std::string(50, 'a') + "🎉🎉ü";
  for (std::size_t column : {1, 9, 29, 58, 59, 60, 61, 62, 78}) {
    const std::string words = EncodeWords(text, column);
    std::string decoded;
    const std::vector<std::string> lines = Lines(words);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const std::size_t at = lines[i].find_first_not_of(' ');
      if (at == std::string::npos) continue;  // the fold when nothing fits after the name
      EXPECT_LE((i == 0 ? column : 0) + lines[i].size(), 76u) << column << ": " << words;
      const std::string word = lines[i].substr(at);
      ASSERT_TRUE(word.starts_with("=?UTF-8?B?") && word.ends_with("?=")) << word;
      const auto bytes = storage::Base64Decode(word.substr(10, word.size() - 12));
      ASSERT_TRUE(bytes.has_value()) << word;
      decoded += *bytes;
      EXPECT_TRUE(IsWholeUtf8(*bytes)) << column << ": " << word;
    }
    EXPECT_EQ(decoded, text) << column;
  }
}

// The test MIME reader unfolds before it trims: blanks before a fold stay.
TEST(MimeReader, UnfoldsBeforeTrimming) {
  const auto part = ParseMime("Subject: a \r\n b\r\nX-Two:  c\t\r\n\td \r\n\r\nbody");
  EXPECT_EQ(part.Header("subject"), "a  b");
  EXPECT_EQ(part.Header("x-two"), "c\t\td");
}

TEST(Address, ParsesCommonForms) {
  Mailbox plain = ParseMailbox("ada@example.com", "to");
  EXPECT_EQ(plain.address, "ada@example.com");
  EXPECT_EQ(plain.display_name, "");
  Mailbox named = ParseMailbox("  Ada Lovelace <ada@example.com> ", "to");
  EXPECT_EQ(named.display_name, "Ada Lovelace");
  EXPECT_EQ(named.address, "ada@example.com");
  Mailbox quoted = ParseMailbox("\"Lovelace, Ada \\\"A\\\"\" <ada@example.com>", "to");
  EXPECT_EQ(quoted.display_name, "Lovelace, Ada \"A\"");
  EXPECT_EQ(ParseMailbox("<x.y+tag@sub.example.co>", "to").address, "x.y+tag@sub.example.co");
}

TEST(Address, RefusesBadAddressesNamingTheField) {
  auto code_of = [](const std::string& text) {
    try {
      ParseMailbox(text, "cc[2]");
    } catch (const sdk::Error& e) {
      EXPECT_NE(std::string(e.what()).find("cc[2]"), std::string::npos) << e.what();
      return e.code();
    }
    return std::string("ok");
  };
  EXPECT_EQ(code_of("no-at-sign"), "invalid_address");
  EXPECT_EQ(code_of("a@"), "invalid_address");
  EXPECT_EQ(code_of("a..b@example.com"), "invalid_address");
  EXPECT_EQ(code_of("a b@example.com"), "invalid_address");
  EXPECT_EQ(code_of("ü@example.com"), "invalid_address");
  EXPECT_EQ(code_of("a@exa_mple.com"), "invalid_address");
  EXPECT_EQ(code_of("a@example.com\r\nBcc: evil@example.com"), "header_injection");
  EXPECT_EQ(code_of("Evil\n <a@example.com>"), "header_injection");
}

TEST(Address, FormatsDisplayNames) {
  EXPECT_EQ(FormatMailbox({"", "a@example.com"}), "<a@example.com>");
  EXPECT_EQ(FormatMailbox({"Ada Lovelace", "a@example.com"}), "Ada Lovelace <a@example.com>");
  EXPECT_EQ(FormatMailbox({"Lovelace, Ada", "a@example.com"}), "\"Lovelace, Ada\" <a@example.com>");
  std::string encoded = FormatMailbox({"Zoë", "z@example.com"});
  EXPECT_TRUE(encoded.starts_with("=?UTF-8?B?")) << encoded;
  EXPECT_EQ(DecodeHeader(encoded), "Zoë <z@example.com>");
}

// Found by tests/fuzz/mime_builder_fuzz.cpp: a long display name was written on
// one line, past RFC 5322's 998 octets; it is now sent as folded encoded words.
TEST(Address, LongDisplayNamesKeepLinesShort) {
  for (const std::string& name : {std::string(1200, 'A'), "\"" + std::string(1200, ',') + "\""}) {
    // The longest address: 60 + 1 + 190 characters.
    const std::string address = std::string(60, 'x') + "@" + std::string(60, 'a') + "." +
                                std::string(60, 'b') + "." + std::string(60, 'c') + ".example";
    Mailbox mailbox = ParseMailbox(name + " <" + address + ">", "to");
    const std::string header = "Reply-To: " + FormatMailboxList({mailbox, mailbox}, "Reply-To");
    for (const std::string& line : Lines(header)) EXPECT_LE(line.size(), 998u);
    std::string unfolded = FormatMailbox(mailbox);
    for (std::size_t at; (at = unfolded.find("\r\n")) != std::string::npos;) unfolded.erase(at, 2);
    EXPECT_EQ(DecodeHeader(unfolded.substr(0, unfolded.rfind(" <"))), mailbox.display_name);
  }
}

TEST(MimeBuilder, SingleTextPart) {
  std::string raw = BuildMime(BasicMessage());
  ExpectNoBareNewlines(raw);
  auto mime = ParseMime(raw);
  EXPECT_EQ(mime.Header("From"), "Shop <shop@example.com>");
  EXPECT_EQ(mime.Header("To"), "<a@example.com>");
  EXPECT_EQ(mime.Header("Subject"), "Hello");
  EXPECT_EQ(mime.Header("Date"), "Thu, 01 Jan 2026 00:00:00 +0000");
  EXPECT_EQ(mime.Header("Message-ID"), "<sf.1@storeflow.local>");
  EXPECT_EQ(mime.Header("X-Storeflow-Idempotency-Key"), "run-1/send");
  EXPECT_EQ(mime.Header("MIME-Version"), "1.0");
  EXPECT_EQ(mime.MediaType(), "text/plain");
  EXPECT_EQ(mime.Param("content-type", "charset"), "utf-8");
  EXPECT_EQ(mime.Header("Content-Transfer-Encoding"), "7bit");
  EXPECT_EQ(mime.Decoded(), "Hi there\r\n");
  EXPECT_EQ(mime.HeaderCount("Bcc"), 0);
}

TEST(MimeBuilder, NonAsciiTextIsQuotedPrintable) {
  MimeMessage m = BasicMessage();
  m.text = "Grüße\n.leading dot\nFrom here";
  m.subject = "Bestellbestätigung";
  auto mime = ParseMime(BuildMime(m));
  EXPECT_EQ(mime.Header("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(mime.Decoded(), "Grüße\r\n.leading dot\r\nFrom here\r\n");
  EXPECT_EQ(DecodeHeader(mime.Header("Subject")), "Bestellbestätigung");
}

TEST(MimeBuilder, TextAndHtmlMakeMultipartAlternativeAndAttachmentsMixed) {
  MimeMessage m = BasicMessage();
  m.html = "<p>Hi <b>there</b></p>";
  std::string binary;
  for (int i = 0; i < 1000; ++i) binary.push_back(static_cast<char>(i % 256));
  m.attachments.push_back({"invoice 1001.pdf", "application/pdf", binary});
  m.attachments.push_back({"Résumé.txt", "text/plain; charset=utf-8", "hello"});
  std::string raw = BuildMime(m);
  ExpectNoBareNewlines(raw);
  auto mime = ParseMime(raw);
  ASSERT_EQ(mime.MediaType(), "multipart/mixed");
  ASSERT_EQ(mime.children.size(), 3u);
  const auto& alternative = mime.children[0];
  ASSERT_EQ(alternative.MediaType(), "multipart/alternative");
  ASSERT_EQ(alternative.children.size(), 2u);
  EXPECT_EQ(alternative.children[0].MediaType(), "text/plain");
  EXPECT_EQ(alternative.children[1].MediaType(), "text/html");
  EXPECT_EQ(alternative.children[1].Decoded(), "<p>Hi <b>there</b></p>");
  EXPECT_EQ(mime.children[1].MediaType(), "application/pdf");
  EXPECT_EQ(mime.children[1].Header("Content-Transfer-Encoding"), "base64");
  EXPECT_EQ(mime.children[1].Param("content-disposition", "filename"), "invoice 1001.pdf");
  EXPECT_EQ(mime.children[1].Decoded(), binary);
  EXPECT_EQ(mime.children[2].Param("content-disposition", "filename*"),
            "UTF-8''R%C3%A9sum%C3%A9.txt");
  EXPECT_EQ(mime.children[2].Decoded(), "hello");
  EXPECT_NE(mime.preamble_boundary, alternative.preamble_boundary);
  for (const std::string& line : Lines(raw)) EXPECT_LE(line.size(), 998u);
}

TEST(MimeBuilder, BoundaryNeverOccursInTheContent) {
  MimeMessage m = BasicMessage();
  m.text = "line\n--taken\nmore --taken-- text";  // 7bit: kept verbatim
  m.html = "<p>x</p>";
  std::vector<std::string> offered;
  std::vector<std::string> candidates = {"taken", "free-1", "free-2"};
  std::size_t next = 0;
  std::string raw = BuildMime(m, [&] {
    offered.push_back(candidates[next]);
    return candidates[next++];
  });
  auto mime = ParseMime(raw);
  EXPECT_EQ(mime.Param("content-type", "boundary"), "free-1");
  ASSERT_EQ(mime.children.size(), 2u);
  EXPECT_EQ(mime.children[0].Decoded(), "line\r\n--taken\r\nmore --taken-- text");
  EXPECT_EQ(offered.front(), "taken");
}

TEST(MimeBuilder, RandomBoundariesCannotAppearInEncodedBodies) {
  std::string boundary = RandomBoundary();
  EXPECT_TRUE(boundary.starts_with("=_sf_"));
  EXPECT_NE(RandomBoundary(), boundary);
}

TEST(MimeBuilder, BccOnlyInTheOutboxCopy) {
  MimeMessage m = BasicMessage();
  m.bcc = {{"", "hidden@example.com"}};
  EXPECT_EQ(ParseMime(BuildMime(m)).HeaderCount("Bcc"), 0);
  m.include_bcc = true;
  EXPECT_EQ(ParseMime(BuildMime(m)).Header("Bcc"), "<hidden@example.com>");
}

TEST(MimeBuilder, CustomHeadersAreEncodedWhenNeeded) {
  MimeMessage m = BasicMessage();
  m.headers = {{"X-Campaign", "spring"}, {"X-Note", "Grüße"}};
  auto mime = ParseMime(BuildMime(m));
  EXPECT_EQ(mime.Header("X-Campaign"), "spring");
  EXPECT_EQ(DecodeHeader(mime.Header("X-Note")), "Grüße");
}

TEST(MessageId, IsDeterministicPerKey) {
  EXPECT_EQ(MessageIdFor("run-7/send", "shop.example"), MessageIdFor("run-7/send", "shop.example"));
  EXPECT_NE(MessageIdFor("run-7/send", "shop.example"), MessageIdFor("run-8/send", "shop.example"));
  std::string id = MessageIdFor("k", "shop.example");
  EXPECT_TRUE(id.starts_with("<sf.") && id.ends_with("@shop.example>")) << id;
  EXPECT_EQ(id.size(), std::string("<sf.@shop.example>").size() + 32);
  EXPECT_NE(MessageIdFor("", "d"), MessageIdFor("", "d"));
}

TEST(MessageId, SafeFileStems) {
  EXPECT_TRUE(SafeFileStem("run-1/send").starts_with("run-1_send-"));
  EXPECT_NE(SafeFileStem("a/b"), SafeFileStem("a_b"));
  EXPECT_EQ(SafeFileStem("../x").front(), '_');
  EXPECT_LE(SafeFileStem(std::string(500, 'k')).size(), 80u + 17u);
}

}  // namespace
}  // namespace storeflow::plugins::email
