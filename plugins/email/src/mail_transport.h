#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

// Who the message goes to on the wire (bcc included) and who sends it.
struct Envelope {
  std::string from;             // addr-spec for MAIL FROM
  std::vector<std::string> to;  // addr-specs for RCPT TO, deduplicated
};

// The message as a transport handles it: RFC 5322 text with CRLF line endings.
struct OutgoingMessage {
  Envelope envelope;
  std::string data;
  std::string message_id;
  std::string idempotency_key;
};

struct SendResult {
  std::vector<std::string> accepted;  // envelope recipients the server took
  std::string detail;                 // smtp: the final reply; outbox: the file path
};

// Delivers one message. Throws sdk::Error: retryable when trying again later may
// work (4xx replies, connection failures), permanent otherwise. Thread-safe.
class MailTransport {
 public:
  virtual ~MailTransport() = default;
  virtual SendResult Send(const OutgoingMessage& message, const sdk::Call& call) = 0;
};

}  // namespace storeflow::plugins::email
