#include "outbox_transport.h"

#include <system_error>

#include "atomic_file.h"
#include "message_id.h"

namespace storeflow::plugins::email {

OutboxTransport::OutboxTransport(const OutboxConfig& config) : fsync_(config.fsync) {
  std::error_code ec;
  std::filesystem::create_directories(config.folder, ec);
  if (ec) {
    throw sdk::Error::Permanent(
        "outbox_folder", "cannot create the outbox folder " + config.folder + ": " + ec.message());
  }
  folder_ = std::filesystem::absolute(config.folder, ec);
  if (ec) folder_ = config.folder;
}

SendResult OutboxTransport::Send(const OutgoingMessage& message, const sdk::Call&) {
  std::string name = message.idempotency_key.empty() ? message.message_id : message.idempotency_key;
  std::filesystem::path path = folder_ / (SafeFileStem(name) + ".eml");
  storage::WriteFileAtomic(path, message.data, fsync_, "outbox_io");
  return SendResult{message.envelope.to, path.string()};
}

}  // namespace storeflow::plugins::email
