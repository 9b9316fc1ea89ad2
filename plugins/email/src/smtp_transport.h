#pragma once

#include <Poco/Net/Context.h>

#include "email_config.h"
#include "mail_transport.h"

namespace storeflow::plugins::email {

// Sends over SMTP with one connection per message: EHLO, STARTTLS (per config),
// AUTH PLAIN/LOGIN with the password from a secret, MAIL/RCPT/DATA, QUIT.
// Failures are classified: 4xx replies and connection problems are retryable
// (`smtp_<code>`, `smtp_connect`, `smtp_timeout`, `smtp_connection_lost`); 5xx
// replies are permanent with the server's text (`smtp_<code>`, `smtp_auth` for
// rejected credentials); TLS problems are permanent `smtp_tls`.
class SmtpTransport : public MailTransport {
 public:
  // Builds the TLS context (CA file, verification) and checks the secret exists.
  SmtpTransport(const SmtpConfig& config, const sdk::Host& host);
  SendResult Send(const OutgoingMessage& message, const sdk::Call& call) override;

 private:
  class Conversation;
  std::string Password() const;

  SmtpConfig config_;
  const sdk::Host& host_;
  Poco::Net::Context::Ptr context_;
};

}  // namespace storeflow::plugins::email
