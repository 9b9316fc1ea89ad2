#pragma once

// The credentials the S3 backend signs with: from secrets named in the config
// (read on every call, so a rotated secret is picked up), else the standard
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN environment.
// Neither the secret key nor the token ever appears in an error message.

#include <functional>
#include <optional>
#include <string>

namespace storeflow::plugins::storage::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" for long-term keys
};

// Gives the credentials for one call; throws sdk::Error::Permanent("s3_credentials")
// naming the secret or variable that is missing.
using CredentialsSource = std::function<Credentials()>;

// Names of secrets (Host::Secret); all empty: the environment.
struct CredentialSecretNames {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional
};

using SecretLookup = std::function<std::optional<std::string>(const std::string& name)>;

CredentialsSource MakeCredentialsSource(CredentialSecretNames names, SecretLookup secrets);

}  // namespace storeflow::plugins::storage::s3
