#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace storeflow::plugins::email {

// Low-level encodings for building messages (RFC 2045, 2047, 2231, 5322).

// Turns LF and lone CR into CRLF.
std::string NormalizeNewlines(std::string_view text);

// True when `text` (CRLF newlines) can travel as 7bit: ASCII without NUL, no
// bare CR or LF, lines of at most 998 octets.
bool Is7bitSafe(std::string_view text);

// Quoted-printable (RFC 2045 §6.7) of CRLF-normalized text: lines of at most 76
// characters, soft breaks "=\r\n", trailing whitespace encoded. Ends with CRLF.
std::string QuotedPrintableEncode(std::string_view text);

// Encoded words (RFC 2047, B encoding, UTF-8) for `text`, each at most 75
// characters and never splitting a UTF-8 sequence, joined by "\r\n " (folding),
// so that every line holding them has at most 76 characters. `first_column` is
// where the first word starts (9 after "Subject: "); when not even one character
// fits there, the result starts with the fold "\r\n ".
std::string EncodeWords(std::string_view text, std::size_t first_column = 1);

// An unstructured header value (Subject, custom headers): kept as is when it is
// printable ASCII (folded before blanks to about 78 columns; no line ends in a
// blank or is blank only), else encoded words. `name_length` is the length of
// "Name" so the first line is folded right.
std::string EncodeUnstructured(std::string_view text, std::size_t name_length);

// A MIME parameter `name="value"` for a header (filename, name): quoted when
// printable ASCII, else RFC 2231 `name*=UTF-8''%XX` encoding.
std::string EncodeParameter(std::string_view name, std::string_view value);

// True for printable ASCII (0x20..0x7e) and tab.
bool IsPrintableAscii(std::string_view text);

}  // namespace storeflow::plugins::email
