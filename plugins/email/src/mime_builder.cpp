#include "mime_builder.h"

#include <cstdio>
#include <ctime>
#include <random>
#include <stdexcept>

#include "base64.h"
#include "mime_encoding.h"

namespace storeflow::plugins::email {
namespace {

// A leaf or multipart entity being assembled.
struct Entity {
  std::vector<std::string> headers;  // complete lines without CRLF
  std::string body;                  // encoded, CRLF-terminated lines
};

Entity TextEntity(std::string_view subtype, const std::string& content) {
  std::string normalized = NormalizeNewlines(content);
  if (!normalized.empty() && !normalized.ends_with("\r\n")) normalized += "\r\n";
  Entity entity;
  entity.headers.push_back("Content-Type: text/" + std::string(subtype) + "; charset=utf-8");
  if (Is7bitSafe(normalized)) {
    entity.headers.push_back("Content-Transfer-Encoding: 7bit");
    entity.body = std::move(normalized);
  } else {
    entity.headers.push_back("Content-Transfer-Encoding: quoted-printable");
    entity.body = QuotedPrintableEncode(normalized);
  }
  return entity;
}

Entity AttachmentEntity(const MimeAttachment& attachment) {
  Entity entity;
  std::string name_param = IsPrintableAscii(attachment.filename) &&
                                   attachment.filename.find_first_of("\"\\") == std::string::npos
                               ? "name=\"" + attachment.filename + "\""
                               : "name=\"" + EncodeWords(attachment.filename) + "\"";
  entity.headers.push_back("Content-Type: " + attachment.content_type + ";\r\n " + name_param);
  entity.headers.push_back("Content-Disposition: attachment;\r\n " +
                           EncodeParameter("filename", attachment.filename));
  entity.headers.push_back("Content-Transfer-Encoding: base64");
  entity.body = storage::Base64Encode(attachment.bytes, 76);
  if (!entity.body.empty()) entity.body += "\r\n";
  return entity;
}

std::string Serialize(const Entity& entity) {
  std::string out;
  for (const std::string& line : entity.headers) out += line + "\r\n";
  out += "\r\n";
  out += entity.body;
  return out;
}

Entity Multipart(std::string_view subtype, const std::vector<Entity>& parts,
                 const BoundarySource& boundaries) {
  std::vector<std::string> serialized;
  serialized.reserve(parts.size());
  for (const Entity& part : parts) serialized.push_back(Serialize(part));
  std::string boundary;
  for (int attempt = 0;; ++attempt) {
    boundary = boundaries();
    bool clash = false;
    for (const std::string& text : serialized) {
      if (text.find("--" + boundary) != std::string::npos) clash = true;
    }
    if (!clash) break;
    if (attempt > 100) throw std::runtime_error("no MIME boundary free of the content was found");
  }
  Entity entity;
  entity.headers.push_back("Content-Type: multipart/" + std::string(subtype) + ";\r\n boundary=\"" +
                           boundary + "\"");
  for (const std::string& text : serialized) {
    entity.body += "--" + boundary + "\r\n" + text;
  }
  entity.body += "--" + boundary + "--\r\n";
  return entity;
}

Entity BodyEntity(const MimeMessage& message, const BoundarySource& boundaries) {
  if (message.text && message.html) {
    return Multipart("alternative",
                     {TextEntity("plain", *message.text), TextEntity("html", *message.html)},
                     boundaries);
  }
  if (message.html) return TextEntity("html", *message.html);
  return TextEntity("plain", message.text.value_or(""));
}

}  // namespace

std::string RandomBoundary() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "=_sf_%016llx%08x", static_cast<unsigned long long>(engine()),
                static_cast<unsigned>(engine() & 0xffffffffu));
  return buf;
}

std::string FormatRfc5322Date(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string BuildMime(const MimeMessage& message, const BoundarySource& boundaries) {
  Entity body = BodyEntity(message, boundaries);
  if (!message.attachments.empty()) {
    std::vector<Entity> parts{std::move(body)};
    for (const MimeAttachment& attachment : message.attachments) {
      parts.push_back(AttachmentEntity(attachment));
    }
    body = Multipart("mixed", parts, boundaries);
  }

  std::string out;
  auto header = [&out](std::string_view name, const std::string& value) {
    out += std::string(name) + ": " + value + "\r\n";
  };
  header("Date", FormatRfc5322Date(message.date_ms));
  header("From", FormatMailbox(message.from));
  if (!message.to.empty()) header("To", FormatMailboxList(message.to, "To"));
  if (!message.cc.empty()) header("Cc", FormatMailboxList(message.cc, "Cc"));
  if (message.include_bcc && !message.bcc.empty()) {
    header("Bcc", FormatMailboxList(message.bcc, "Bcc"));
  }
  if (!message.reply_to.empty())
    header("Reply-To", FormatMailboxList(message.reply_to, "Reply-To"));
  header("Subject", EncodeUnstructured(message.subject, 7));
  header("Message-ID", message.message_id);
  if (!message.idempotency_key.empty()) {
    header("X-Storeflow-Idempotency-Key", EncodeUnstructured(message.idempotency_key, 27));
  }
  for (const auto& [name, value] : message.headers) {
    header(name, EncodeUnstructured(value, name.size()));
  }
  header("MIME-Version", "1.0");
  out += Serialize(body);
  return out;
}

}  // namespace storeflow::plugins::email
