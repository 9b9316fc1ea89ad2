#include "store/store_error.h"

namespace storeflow::store::internal {

Status Redact(const Status& status, const std::string& secret) {
  if (status.ok() || secret.empty()) return status;
  std::string message = status.message();
  for (std::size_t at = message.find(secret); at != std::string::npos;
       at = message.find(secret, at + 3)) {
    message.replace(at, secret.size(), "***");
  }
  return {status.code(), std::move(message)};
}

}  // namespace storeflow::store::internal
