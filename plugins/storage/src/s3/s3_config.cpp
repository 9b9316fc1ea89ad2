#include "s3_config.h"

#include "credentials.h"
#include "json_input.h"

namespace storeflow::plugins::storage::s3 {
namespace {

using sdk::Error;
using sdk::Json;

[[noreturn]] void Refuse(const std::string& message) {
  throw Error::Permanent("invalid_config", message);
}

std::string SecretName(const Json& credentials, const char* field) {
  auto it = credentials.find(field);
  if (it == credentials.end() || it->is_null()) return "";
  if (!it->is_string() || it->get<std::string>().empty()) {
    Refuse(std::string("storage `credentials.") + field + "` must be a secret's name");
  }
  return it->get<std::string>();
}

}  // namespace

bool IsS3ConfigKey(const std::string& key) {
  return key == "bucket" || key == "region" || key == "endpoint" || key == "addressing" ||
         key == "server_side_encryption" || key == "sse_kms_key_id" || key == "credentials" ||
         key == "timeout_ms";
}

BackendConfig ParseS3Config(const Json& config, std::uint64_t max_object_bytes,
                            const EnvironmentLookup& env) {
  for (const char* local_only : {"root", "fsync"}) {
    if (config.contains(local_only)) {
      Refuse(std::string("storage `") + local_only +
             "` is a setting of the local backend; the s3 backend does not use it");
    }
  }
  BackendConfig c;
  ClientOptions& o = c.client;
  o.max_object_bytes = max_object_bytes;

  o.location.bucket = OptionalString(config, "bucket").value_or("");
  if (o.location.bucket.empty()) Refuse("the s3 storage backend needs `bucket`");
  if (auto problem = BucketNameProblem(o.location.bucket)) {
    Refuse("storage `bucket` \"" + o.location.bucket + "\" is not an S3 bucket name: " + *problem);
  }

  o.region = OptionalString(config, "region").value_or("");
  if (o.region.empty() && env) {
    o.region = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(""));
  }
  if (o.region.empty()) {
    Refuse("the s3 storage backend needs a region: set `region` or AWS_REGION");
  }
  if (!aws::IsRegionName(o.region)) {
    Refuse("storage `region` \"" + o.region + "\" is not a region name (e.g. eu-west-1)");
  }

  auto endpoint = OptionalString(config, "endpoint");
  o.location.endpoint = endpoint ? ParseEndpoint(*endpoint) : AwsEndpoint(o.region);
  o.location.addressing = ChooseAddressing(OptionalString(config, "addressing"),
                                           o.location.endpoint, o.location.bucket);

  o.encryption.algorithm = OptionalString(config, "server_side_encryption").value_or("");
  o.encryption.kms_key_id = OptionalString(config, "sse_kms_key_id").value_or("");
  const std::string& sse = o.encryption.algorithm;
  if (!sse.empty() && sse != "AES256" && sse != "aws:kms" && sse != "aws:kms:dsse") {
    Refuse("storage `server_side_encryption` must be AES256, aws:kms or aws:kms:dsse, not \"" +
           sse + "\"");
  }
  if (!o.encryption.kms_key_id.empty() && !sse.starts_with("aws:kms")) {
    Refuse("storage `sse_kms_key_id` needs `server_side_encryption: aws:kms` (or aws:kms:dsse)");
  }
  for (char ch : o.encryption.kms_key_id) {
    if (static_cast<unsigned char>(ch) <= 0x20 || static_cast<unsigned char>(ch) >= 0x7f) {
      Refuse("storage `sse_kms_key_id` must be a key id, ARN or alias without spaces");
    }
  }

  if (auto timeout = OptionalInteger(config, "timeout_ms")) {
    if (*timeout < 100 || *timeout > 600'000) {
      Refuse("storage `timeout_ms` must be between 100 and 600000");
    }
    o.timeout = std::chrono::milliseconds(*timeout);
  }

  if (auto it = config.find("credentials"); it != config.end() && !it->is_null()) {
    if (!it->is_object()) Refuse("storage `credentials` must be an object of secret names");
    c.secrets.access_key_id = SecretName(*it, "access_key_id_secret");
    c.secrets.secret_access_key = SecretName(*it, "secret_access_key_secret");
    c.secrets.session_token = SecretName(*it, "session_token_secret");
    if (c.secrets.access_key_id.empty() != c.secrets.secret_access_key.empty()) {
      Refuse(
          "storage `credentials`: set both access_key_id_secret and secret_access_key_secret, or "
          "neither (then AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are used)");
    }
    if (c.secrets.access_key_id.empty() && !c.secrets.session_token.empty()) {
      Refuse(
          "storage `credentials.session_token_secret` needs access_key_id_secret and "
          "secret_access_key_secret");
    }
  }
  return c;
}

}  // namespace storeflow::plugins::storage::s3
