#include "s3_credentials.h"

#include "credential_source.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage::s3 {

// The resolution is the AWS core's (aws::ResolveCredentials, shared with the sqs
// plugin and the email plugin's ses transport); this adapts it to the backend's
// per-call source and the plugin SDK's errors.
CredentialsSource MakeCredentialsSource(CredentialSecretNames names, SecretLookup secrets) {
  const aws::CredentialSecretNames named{names.access_key_id, names.secret_access_key,
                                         names.session_token};
  return [named, secrets = std::move(secrets)]() {
    auto resolved = aws::ResolveCredentials(named, secrets, "plugins.config.storage.credentials");
    if (!resolved.ok()) {
      throw sdk::Error::Permanent(
          "s3_credentials", "no usable S3 credentials: " + resolved.status().message() +
                                (named.access_key_id.empty()
                                     ? " (or name secrets in plugins.config.storage.credentials)"
                                     : ""));
    }
    return Credentials{resolved->access_key_id, resolved->secret_access_key,
                       resolved->session_token};
  };
}

}  // namespace storeflow::plugins::storage::s3
