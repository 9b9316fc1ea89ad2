#pragma once

#include <memory>
#include <string_view>

#include "email_config.h"
#include "mail_transport.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

// email.send: builds the MIME message and hands it to the configured transport.
class EmailPlugin : public sdk::Plugin {
 public:
  EmailPlugin(sdk::Host& host, const sdk::Json& config);

  sdk::Json Invoke(std::string_view action, const sdk::Json& input, const sdk::Call& call) override;

 private:
  sdk::Json Send(const sdk::Json& input, const sdk::Call& call);

  sdk::Host& host_;
  EmailConfig config_;
  std::unique_ptr<MailTransport> transport_;
};

}  // namespace storeflow::plugins::email
