#include "credential_source.h"

namespace storeflow::plugins::aws {

Result<CredentialSecretNames> ParseCredentialSecretNames(const nlohmann::json& credentials,
                                                         const std::string& where) {
  CredentialSecretNames names;
  if (credentials.is_null()) return names;
  if (!credentials.is_object()) return InvalidArgument(where + " must be an object");
  const std::pair<const char*, std::string*> fields[] = {
      {"access_key_id_secret", &names.access_key_id},
      {"secret_access_key_secret", &names.secret_access_key},
      {"session_token_secret", &names.session_token}};
  for (const auto& [key, out] : fields) {
    auto it = credentials.find(key);
    if (it == credentials.end() || it->is_null()) continue;
    if (!it->is_string()) return InvalidArgument(where + "." + key + " must be a secret name");
    *out = it->get<std::string>();
  }
  if (names.access_key_id.empty() != names.secret_access_key.empty()) {
    return InvalidArgument(
        where +
        ": set both access_key_id_secret and secret_access_key_secret, or neither (then "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are used)");
  }
  return names;
}

Result<Credentials> ResolveCredentials(const CredentialSecretNames& names,
                                       const SecretLookup& secret, const std::string& where,
                                       const EnvironmentLookup& env) {
  if (names.access_key_id.empty()) {
    auto from_env = LoadCredentialsFromEnvironment(env);
    if (!from_env.ok()) return from_env.status();
    return from_env->credentials;
  }
  auto missing = [&where](const std::string& name) {
    return FailedPrecondition("the secret '" + name + "' named in " + where + " is not set");
  };
  std::optional<std::string> id = secret ? secret(names.access_key_id) : std::nullopt;
  if (!id) return missing(names.access_key_id);
  std::optional<std::string> key = secret(names.secret_access_key);
  if (!key) return missing(names.secret_access_key);
  Credentials c;
  c.access_key_id = std::move(*id);
  c.secret_access_key = std::move(*key);
  if (!names.session_token.empty()) {
    std::optional<std::string> token = secret(names.session_token);
    if (!token) return missing(names.session_token);
    c.session_token = std::move(*token);
  }
  STOREFLOW_RETURN_IF_ERROR(CheckCredentials(c));
  return c;
}

}  // namespace storeflow::plugins::aws
