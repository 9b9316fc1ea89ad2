#pragma once

// The s3 backend's settings in plugins.config.storage (README: "The s3 backend").

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "s3_client.h"
#include "s3_credentials.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage::s3 {

struct BackendConfig {
  ClientOptions client;
  CredentialSecretNames secrets;
};

// Reads a variable of the process environment; nullopt when unset or empty.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The config keys only the s3 backend reads (the local backend refuses them).
bool IsS3ConfigKey(const std::string& key);

// Reads and checks the s3 settings: bucket (required), region (else AWS_REGION,
// then AWS_DEFAULT_REGION), endpoint, addressing, server_side_encryption,
// sse_kms_key_id, credentials, timeout_ms. Throws
// sdk::Error::Permanent("invalid_config") naming the key.
BackendConfig ParseS3Config(const sdk::Json& config, std::uint64_t max_object_bytes,
                            const EnvironmentLookup& env);

}  // namespace storeflow::plugins::storage::s3
