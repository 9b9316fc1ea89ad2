#pragma once

#include <string>

#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage {

// The `backend` of the storage plugin's config: "local" (also when unset) or
// "s3". Anything else throws Error::Permanent("invalid_config") naming the valid
// ones. The engine refuses such a config against config_schema before init; this
// is init's own check.
std::string BackendName(const sdk::Json& config);

}  // namespace storeflow::plugins::storage
