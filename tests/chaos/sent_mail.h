#pragma once

// The emails a chaos test's runs sent, read back from where they went (the SMTP
// peer's HTTP API, or the email plugin's outbox folder) and attributed to runs
// by their X-Storeflow-Idempotency-Key header (<installation>/<run id>/<step>).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "smtp_peer.h"

namespace storeflow::chaos {

struct SentMail {
  std::int64_t run_id = 0;  // 0 when the key is missing or not of a run
  std::string step;         // the step path of the key
  std::string message_id;
  std::int64_t received_ms = 0;  // when the peer recorded it (outbox: the file's time)
};

// The value of header `name` in a raw RFC 5322 message (unfolded, "" if absent).
std::string MailHeader(const std::string& raw, const std::string& name);

// Messages the peer recorded for `address`; throws std::runtime_error when the
// peer cannot be read.
std::vector<SentMail> MailsAtPeer(const plugins::email::testing::PeerEndpoint& peer,
                                  const std::string& address);

// The .eml files of an outbox folder.
std::vector<SentMail> MailsInOutbox(const std::filesystem::path& folder);

}  // namespace storeflow::chaos
