#include "credentials.h"

#include <cstdlib>

namespace storeflow::plugins::aws {
namespace {

// True when `text` has a byte that cannot be in a key: whitespace or a control
// character (often a stray newline from a file).
bool HasBadByte(std::string_view text) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) return true;
  }
  return false;
}

}  // namespace

bool IsRegionName(std::string_view region) {
  if (region.empty() || region.size() > 64 || region.front() == '-' || region.back() == '-') {
    return false;
  }
  for (char c : region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Status CheckCredentials(const Credentials& credentials) {
  const std::string& id = credentials.access_key_id;
  if (id.empty()) return InvalidArgument("the AWS access key id is empty");
  for (char c : id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      // The id is not secret: naming it helps find the wrong one.
      std::string shown = id.substr(0, 32);
      for (char& ch : shown) {
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) ch = '?';
      }
      return InvalidArgument("the AWS access key id `" + shown +
                             "` may contain only letters and digits");
    }
  }
  if (credentials.secret_access_key.empty()) {
    return InvalidArgument("the AWS secret access key for access key id `" + id + "` is empty");
  }
  if (HasBadByte(credentials.secret_access_key)) {
    return InvalidArgument("the AWS secret access key for access key id `" + id +
                           "` contains whitespace or a control character (a trailing newline?)");
  }
  if (HasBadByte(credentials.session_token)) {
    return InvalidArgument("the AWS session token for access key id `" + id +
                           "` contains whitespace or a control character (a trailing newline?)");
  }
  return Status::Ok();
}

Result<EnvironmentCredentials> LoadCredentialsFromEnvironment(EnvironmentLookup lookup) {
  if (!lookup) {
    lookup = [](const std::string& name) -> std::optional<std::string> {
      const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
      if (value == nullptr) return std::nullopt;
      return std::string(value);
    };
  }
  auto get = [&lookup](const std::string& name) -> std::string {
    std::optional<std::string> value = lookup(name);
    return value.value_or("");
  };
  EnvironmentCredentials out;
  out.credentials.access_key_id = get("AWS_ACCESS_KEY_ID");
  out.credentials.secret_access_key = get("AWS_SECRET_ACCESS_KEY");
  out.credentials.session_token = get("AWS_SESSION_TOKEN");
  if (out.credentials.access_key_id.empty()) {
    return FailedPrecondition(
        "AWS_ACCESS_KEY_ID is not set: set it and AWS_SECRET_ACCESS_KEY in the environment, or "
        "name the secrets in the plugin configuration");
  }
  if (out.credentials.secret_access_key.empty()) {
    return FailedPrecondition("AWS_SECRET_ACCESS_KEY is not set (AWS_ACCESS_KEY_ID is `" +
                              out.credentials.access_key_id + "`)");
  }
  Status valid = CheckCredentials(out.credentials);
  if (!valid.ok()) return valid.WithContext("from the environment");
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    std::string region = get(name);
    if (region.empty()) continue;
    if (!IsRegionName(region)) {
      return InvalidArgument(std::string(name) + " `" + region.substr(0, 64) +
                             "` is not a region name such as us-east-1");
    }
    out.region = std::move(region);
    break;
  }
  return out;
}

}  // namespace storeflow::plugins::aws
