#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <Poco/Net/Context.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/StreamSocket.h>

#include "email_config.h"

namespace storeflow::plugins::email {

// One SMTP reply. code 0: the connection ended before a complete reply.
struct SmtpReply {
  int code = 0;
  std::string text;  // the reply lines without their codes, joined by "; "

  bool positive() const { return code >= 200 && code < 300; }
  bool intermediate() const { return code >= 300 && code < 400; }
  std::string Summary() const { return std::to_string(code) + " " + text; }
};

// An SMTP connection on Poco's SMTPClientSession, with the parts this plugin needs
// and that class keeps protected or does not offer: every reply code and text
// (for classifying failures), STARTTLS with our own TLS context and peer host name,
// and DATA from a ready-made RFC 5322 text. Network failures throw Poco exceptions.
class SmtpSession : private Poco::Net::SMTPClientSession {
 public:
  // Connects within config.connect_timeout_ms (with TLS when config.tls) and sets
  // the send/receive timeouts to config.command_timeout_ms.
  static std::unique_ptr<SmtpSession> Connect(const SmtpConfig& config,
                                              Poco::Net::Context::Ptr context);
  ~SmtpSession() override;

  SmtpReply ReadReply();
  SmtpReply Command(const std::string& line);
  // EHLO; on success fills capabilities() (upper-case keywords: "STARTTLS",
  // "AUTH PLAIN LOGIN", ...).
  SmtpReply Ehlo(const std::string& name);
  bool HasCapability(std::string_view keyword) const;
  bool SupportsAuth(std::string_view method) const;
  // The SIZE extension's limit (0: no fixed limit); nullopt when not offered.
  std::optional<std::uint64_t> SizeLimit() const;
  // After a 220 reply to STARTTLS: the TLS handshake (verifying against `host`).
  void UpgradeToTls(const std::string& host, Poco::Net::Context::Ptr context);
  // Sends the message (dot-stuffed, terminated by CRLF.CRLF) after a 354 reply
  // to DATA, and returns the server's final reply.
  SmtpReply SendData(std::string_view data);
  // QUIT when possible, then closes; never throws.
  void Close();
  // Closes without QUIT (the connection is broken or timed out); never throws.
  void Abort();

 private:
  explicit SmtpSession(const Poco::Net::StreamSocket& socket);
  void SendAll(std::string_view bytes);

  std::set<std::string> capabilities_;
  std::string last_raw_;  // the raw text of the last reply
  bool closed_ = false;
};

}  // namespace storeflow::plugins::email
