#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "address.h"

namespace storeflow::plugins::email {

struct MimeAttachment {
  std::string filename;      // UTF-8
  std::string content_type;  // validated with storage::IsValidContentType
  std::string bytes;
};

// Everything that goes into one message. Validation (addresses, header names and
// values) happens before; the builder only encodes.
struct MimeMessage {
  Mailbox from;
  std::vector<Mailbox> to;
  std::vector<Mailbox> cc;
  std::vector<Mailbox> bcc;  // written only when include_bcc (the outbox copy)
  std::vector<Mailbox> reply_to;
  std::string subject;
  std::optional<std::string> text;
  std::optional<std::string> html;
  std::vector<MimeAttachment> attachments;
  std::vector<std::pair<std::string, std::string>> headers;  // custom, in order
  std::string message_id;                                    // with angle brackets
  std::string idempotency_key;  // X-Storeflow-Idempotency-Key; omitted when empty
  std::int64_t date_ms = 0;     // Unix milliseconds for the Date header
  bool include_bcc = false;
};

// Produces multipart boundaries; the builder asks again while a candidate occurs
// in the content it must separate.
using BoundarySource = std::function<std::string()>;

// A random boundary "=_sf_<24 hex>": "=_" cannot occur in quoted-printable or
// base64 output.
std::string RandomBoundary();

// The whole RFC 5322 message (CRLF line endings): text and/or html (both:
// multipart/alternative), attachments (multipart/mixed), UTF-8 headers as
// encoded words, bodies 7bit when safe, else quoted-printable (text) or base64
// (attachments).
std::string BuildMime(const MimeMessage& message,
                      const BoundarySource& boundaries = RandomBoundary);

// RFC 5322 date-time in UTC: "Thu, 01 Jan 2026 00:00:00 +0000".
std::string FormatRfc5322Date(std::int64_t unix_ms);

}  // namespace storeflow::plugins::email
