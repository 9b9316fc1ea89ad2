#pragma once

#include <memory>
#include <string_view>

#include "email_config.h"
#include "email_request.h"
#include "mail_transport.h"
#include "ses_transport.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

// email.send: builds the MIME message and hands it to the configured transport.
class EmailPlugin : public sdk::Plugin {
 public:
  EmailPlugin(sdk::Host& host, const sdk::Json& config);

  sdk::Json Invoke(std::string_view action, const sdk::Json& input, const sdk::Call& call) override;

 private:
  sdk::Json Send(const sdk::Json& input, const sdk::Call& call);
  // The smtp and outbox transports: the MIME message, handed to transport_.
  sdk::Json SendMime(PreparedEmail& prepared, const sdk::Call& call);
  // The ses transport: an SES v2 SendEmail request.
  sdk::Json SendSes(const PreparedEmail& prepared, const sdk::Call& call);

  sdk::Host& host_;
  EmailConfig config_;
  std::unique_ptr<MailTransport> transport_;  // smtp, outbox
  std::unique_ptr<SesTransport> ses_;         // ses
};

}  // namespace storeflow::plugins::email
