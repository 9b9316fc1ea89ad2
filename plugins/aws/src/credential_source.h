#pragma once

// Where a plugin's AWS credentials come from: secrets named in its config, else the
// standard environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
// Shared by the AWS plugins (sqs, the email plugin's ses transport).

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "credentials.h"

namespace storeflow::plugins::aws {

// Names of secrets (Host::Secret) holding the credentials; all empty: the
// standard AWS_* environment.
struct CredentialSecretNames {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

// Reads a `credentials` config object ({access_key_id_secret,
// secret_access_key_secret, session_token_secret}; null or absent: all empty).
// InvalidArgument, naming `where` (e.g. "plugins.config.email.ses.credentials"),
// when only one of the key pair is named or a value is not a string.
Result<CredentialSecretNames> ParseCredentialSecretNames(const nlohmann::json& credentials,
                                                         const std::string& where);

// Looks a secret up by name; std::nullopt when it is not defined.
using SecretLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The credentials from the named secrets, else (no names) from `env` (empty: the
// process environment). FailedPrecondition naming the missing secret and `where`;
// never the secret values.
Result<Credentials> ResolveCredentials(const CredentialSecretNames& names,
                                       const SecretLookup& secret, const std::string& where,
                                       const EnvironmentLookup& env = {});

}  // namespace storeflow::plugins::aws
