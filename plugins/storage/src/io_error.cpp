#include "io_error.h"

#include <cerrno>
#include <cstring>

#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage {

void ThrowIoError(std::string_view code, const std::string& what, int error_number) {
  std::string message = what + ": " + std::strerror(error_number);
  switch (error_number) {
    case EACCES:
    case EPERM:
    case EROFS:
    case ENOTDIR:
    case EISDIR:
    case ENAMETOOLONG:
    case ELOOP: throw sdk::Error::Permanent(std::string(code), message);
    default: throw sdk::Error::Retryable(std::string(code), message);
  }
}

}  // namespace storeflow::plugins::storage
