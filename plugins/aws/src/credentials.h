#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace storeflow::plugins::aws {

// An access key pair, with the session token of temporary (STS) credentials. The
// secret key and the token never appear in an error message or a log line.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" for long-term keys
};

// Checks that the fields can be signed with (no secret text in the errors).
Status CheckCredentials(const Credentials& credentials);

// What the standard environment gives.
struct EnvironmentCredentials {
  Credentials credentials;
  std::optional<std::string> region;  // AWS_REGION, else AWS_DEFAULT_REGION
};

// Reads a variable; std::nullopt when it is not set. The default reads the process
// environment (getenv).
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (both required), AWS_SESSION_TOKEN
// (optional), AWS_REGION / AWS_DEFAULT_REGION (optional). Empty counts as unset.
Result<EnvironmentCredentials> LoadCredentialsFromEnvironment(EnvironmentLookup lookup = {});

// A region name such as "us-east-1" or "eu-central-2": lower-case letters, digits, '-'.
bool IsRegionName(std::string_view region);

}  // namespace storeflow::plugins::aws
