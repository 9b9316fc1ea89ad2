#pragma once

#include <filesystem>

#include "email_config.h"
#include "mail_transport.h"

namespace storeflow::plugins::email {

// Writes each message as <folder>/<SafeFileStem(idempotency key)>.eml, atomically
// (temporary file + fsync + rename): a resend of the same step replaces the file
// instead of adding a second one. Without a key the Message-ID names the file.
class OutboxTransport : public MailTransport {
 public:
  // Creates the folder; throws Error::Permanent("outbox_folder") when it cannot.
  explicit OutboxTransport(const OutboxConfig& config);
  SendResult Send(const OutgoingMessage& message, const sdk::Call& call) override;

 private:
  std::filesystem::path folder_;
  bool fsync_;
};

}  // namespace storeflow::plugins::email
