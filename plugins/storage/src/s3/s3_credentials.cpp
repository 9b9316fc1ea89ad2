#include "s3_credentials.h"

#include "credentials.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage::s3 {
namespace {

using sdk::Error;

Credentials FromEnvironment() {
  auto env = aws::LoadCredentialsFromEnvironment();
  if (!env.ok()) {
    throw Error::Permanent("s3_credentials",
                           "no S3 credentials: " + env.status().message() +
                               " (or name secrets in plugins.config.storage.credentials)");
  }
  return Credentials{env->credentials.access_key_id, env->credentials.secret_access_key,
                     env->credentials.session_token};
}

std::string Required(const SecretLookup& secrets, const std::string& name) {
  auto value = secrets ? secrets(name) : std::nullopt;
  if (!value || value->empty()) {
    throw Error::Permanent("s3_credentials", "the secret '" + name +
                                                 "' named in plugins.config.storage.credentials "
                                                 "is not set");
  }
  return *value;
}

}  // namespace

CredentialsSource MakeCredentialsSource(CredentialSecretNames names, SecretLookup secrets) {
  if (names.access_key_id.empty()) return &FromEnvironment;
  return [names = std::move(names), secrets = std::move(secrets)]() {
    Credentials c;
    c.access_key_id = Required(secrets, names.access_key_id);
    c.secret_access_key = Required(secrets, names.secret_access_key);
    if (!names.session_token.empty()) c.session_token = Required(secrets, names.session_token);
    aws::Credentials check{c.access_key_id, c.secret_access_key, c.session_token};
    if (Status status = aws::CheckCredentials(check); !status.ok()) {
      throw Error::Permanent("s3_credentials",
                             "the S3 credentials from the secrets in "
                             "plugins.config.storage.credentials are unusable: " +
                                 status.message());
    }
    return c;
  };
}

}  // namespace storeflow::plugins::storage::s3
