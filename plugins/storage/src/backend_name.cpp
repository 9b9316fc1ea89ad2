#include "backend_name.h"

#include "json_input.h"

namespace storeflow::plugins::storage {

std::string BackendName(const sdk::Json& config) {
  std::string backend = OptionalString(config, "backend").value_or("local");
  if (backend != "local" && backend != "s3") {
    throw sdk::Error::Permanent("invalid_config",
                                "storage backend \"" + backend + "\" is unknown; valid: local, s3");
  }
  return backend;
}

}  // namespace storeflow::plugins::storage
