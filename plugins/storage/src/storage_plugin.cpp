#include "storage_plugin.h"

#include <cstdlib>

#include "backend_name.h"
#include "base64.h"
#include "content_type.h"
#include "json_input.h"
#include "local_backend.h"
#include "s3/s3_backend.h"
#include "s3/s3_config.h"
#include "storage_key.h"
#include "storage_manifest.h"
#include "utf8.h"

namespace storeflow::plugins::storage {
namespace {

using sdk::Error;
using sdk::Json;

constexpr std::uint64_t kDefaultMaxObjectBytes = 32 * 1024 * 1024;

std::optional<std::string> Getenv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::unique_ptr<StorageBackend> MakeS3Backend(sdk::Host& host, const Json& config,
                                              std::uint64_t max_object_bytes) {
  s3::BackendConfig parsed = s3::ParseS3Config(config, max_object_bytes, &Getenv);
  auto credentials = s3::MakeCredentialsSource(
      parsed.secrets, [&host](const std::string& name) { return host.Secret(name); });
  return std::make_unique<s3::S3Backend>(
      s3::Client(std::move(parsed.client), std::move(credentials)));
}

std::unique_ptr<StorageBackend> MakeBackend(sdk::Host& host, const Json& config,
                                            std::uint64_t max_object_bytes) {
  if (BackendName(config) == "s3") return MakeS3Backend(host, config, max_object_bytes);
  if (config.is_object()) {
    for (const auto& [name, value] : config.items()) {
      if (s3::IsS3ConfigKey(name)) {
        throw Error::Permanent("invalid_config", "storage `" + name +
                                                     "` is a setting of the s3 backend; set "
                                                     "`backend: s3` to use it");
      }
    }
  }
  LocalBackend::Options options;
  options.root = OptionalString(config, "root").value_or("var/storage");
  options.durable = OptionalBool(config, "fsync").value_or(true);
  options.max_object_bytes = max_object_bytes;
  return std::make_unique<LocalBackend>(std::move(options));
}

Json InfoJson(const ObjectInfo& info) {
  Json out{{"key", info.key},
           {"size", info.size},
           {"sha256", info.sha256},
           {"content_type", info.content_type}};
  if (!info.etag.empty()) out["etag"] = info.etag;
  if (!info.checksum_sha256.empty()) out["checksum_sha256"] = info.checksum_sha256;
  return out;
}

}  // namespace

StoragePlugin::StoragePlugin(sdk::Host& host, const Json& config)
    : host_(host), max_object_bytes_(kDefaultMaxObjectBytes) {
  if (auto max = OptionalInteger(config, "max_object_bytes")) {
    if (*max < 1) throw Error::Permanent("invalid_config", "`max_object_bytes` must be >= 1");
    max_object_bytes_ = static_cast<std::uint64_t>(*max);
  }
  backend_ = MakeBackend(host, config, max_object_bytes_);
}

Json StoragePlugin::Invoke(std::string_view action, const Json& input, const sdk::Call& call) {
  if (action == "storage.put") return Put(input, call);
  if (action == "storage.get") return Get(input);
  if (action == "storage.delete") return Delete(input, call);
  if (action == "storage.list") return List(input);
  throw Error::Permanent("unknown_action",
                         "the storage plugin has no action \"" + std::string(action) +
                             "\"; it has storage.put, storage.get, storage.delete, storage.list");
}

Json StoragePlugin::Put(const Json& input, const sdk::Call& call) {
  std::string key = RequiredString(input, "key");
  ValidateKey(key);
  auto text = OptionalString(input, "text");
  auto base64 = OptionalString(input, "content_base64");
  if (text.has_value() == base64.has_value()) {
    throw Error::Permanent("invalid_input",
                           "storage.put needs exactly one of `text` and `content_base64`");
  }
  std::string bytes;
  if (text) {
    bytes = std::move(*text);
  } else {
    auto decoded = Base64Decode(*base64);
    if (!decoded) {
      throw Error::Permanent("invalid_base64",
                             "`content_base64` is not valid base64 (RFC 4648 standard alphabet)");
    }
    bytes = std::move(*decoded);
  }
  if (bytes.size() > max_object_bytes_) {
    throw Error::Permanent("too_large", "the content is " + std::to_string(bytes.size()) +
                                            " bytes, more than `max_object_bytes` (" +
                                            std::to_string(max_object_bytes_) + ")");
  }
  std::string content_type = OptionalString(input, "content_type").value_or(GuessContentType(key));
  if (text && content_type == "application/octet-stream")
    content_type = "text/plain; charset=utf-8";
  if (!IsValidContentType(content_type)) {
    throw Error::Permanent("invalid_content_type",
                           "content_type \"" + content_type +
                               "\" is not a MIME type such as text/csv or application/pdf");
  }
  ObjectInfo info = backend_->Put(key, bytes, content_type);
  host_.CounterAdd("objects_written");
  host_.Log(STOREFLOW_LOG_DEBUG, "stored " + key + " (" + std::to_string(info.size) + " bytes)",
            &call);
  return InfoJson(info);
}

Json StoragePlugin::Get(const Json& input) {
  std::string key = RequiredString(input, "key");
  ValidateKey(key);
  std::string encoding = OptionalString(input, "encoding").value_or("auto");
  if (encoding != "auto" && encoding != "text" && encoding != "base64") {
    throw Error::Permanent("invalid_input",
                           "`encoding` must be auto, text or base64, not \"" + encoding + "\"");
  }
  auto object = backend_->Get(key);
  if (!object) {
    throw Error::Permanent("not_found", "no object with storage key " + DisplayKey(key));
  }
  Json out = InfoJson(object->info);
  bool is_text = IsValidUtf8(object->bytes);
  if (encoding == "text" && !is_text) {
    throw Error::Permanent("not_text", "storage key " + DisplayKey(key) +
                                           " holds binary data, not UTF-8 text; ask for "
                                           "encoding: base64");
  }
  if (encoding == "base64" || !is_text) {
    out["encoding"] = "base64";
    out["content_base64"] = Base64Encode(object->bytes);
  } else {
    out["encoding"] = "text";
    out["text"] = std::move(object->bytes);
  }
  return out;
}

Json StoragePlugin::Delete(const Json& input, const sdk::Call& call) {
  std::string key = RequiredString(input, "key");
  ValidateKey(key);
  bool deleted = backend_->Delete(key);
  if (deleted) {
    host_.CounterAdd("objects_deleted");
    host_.Log(STOREFLOW_LOG_DEBUG, "deleted " + key, &call);
  }
  return Json{{"key", key}, {"deleted", deleted}};
}

Json StoragePlugin::List(const Json& input) {
  std::string prefix = OptionalString(input, "prefix").value_or("");
  ValidatePrefix(prefix);
  std::int64_t limit = OptionalInteger(input, "limit").value_or(100);
  if (limit < 1 || limit > 1000) {
    throw Error::Permanent("invalid_input", "`limit` must be between 1 and 1000");
  }
  std::string continuation = OptionalString(input, "continuation").value_or("");
  ListPage page = backend_->List(prefix, continuation, static_cast<std::size_t>(limit));
  Json keys = Json::array();
  for (const ListEntry& entry : page.entries) {
    Json item{{"key", entry.key}, {"size", entry.size}};
    if (!entry.etag.empty()) item["etag"] = entry.etag;
    keys.push_back(std::move(item));
  }
  Json out{
      {"prefix", prefix}, {"keys", std::move(keys)}, {"truncated", page.continuation.has_value()}};
  if (page.continuation) out["continuation"] = *page.continuation;
  return out;
}

}  // namespace storeflow::plugins::storage

STOREFLOW_PLUGIN(storeflow::plugins::storage::StoragePlugin, STOREFLOW_PLUGIN_NAME,
                 STOREFLOW_PLUGIN_VERSION, storeflow::plugins::storage::kStorageManifest)
