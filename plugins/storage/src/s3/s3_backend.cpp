#include "s3_backend.h"

#include "storage_key.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage::s3 {
namespace {

using sdk::Error;

constexpr std::size_t kMaxContinuationBytes = 4096;

ObjectInfo InfoFrom(std::string_view key, const ObjectHead& head, std::string sha256) {
  ObjectInfo info;
  info.key = std::string(key);
  info.size = head.size;
  info.sha256 = std::move(sha256);
  info.content_type = head.content_type.empty() ? "application/octet-stream" : head.content_type;
  info.etag = head.etag;
  info.checksum_sha256 = head.checksum_sha256;
  return info;
}

}  // namespace

S3Backend::S3Backend(Client client) : client_(std::move(client)) {}

ObjectInfo S3Backend::Put(std::string_view key, std::string_view bytes,
                          std::string_view content_type) {
  ValidateKey(key);
  const Digest digest = Sha256Digest(bytes);
  PutResult put = client_.PutObject(key, bytes, digest, content_type);
  ObjectInfo info;
  info.key = std::string(key);
  info.size = bytes.size();
  info.sha256 = digest.hex;
  info.content_type = std::string(content_type);
  info.etag = std::move(put.etag);
  info.checksum_sha256 = std::move(put.checksum_sha256);
  return info;
}

std::optional<StoredObject> S3Backend::Get(std::string_view key) {
  ValidateKey(key);
  auto object = client_.GetObject(key);
  if (!object) return std::nullopt;
  StoredObject stored;
  stored.info = InfoFrom(key, object->head, Sha256Digest(object->bytes).hex);
  stored.bytes = std::move(object->bytes);
  return stored;
}

std::optional<ObjectInfo> S3Backend::Head(std::string_view key) {
  ValidateKey(key);
  auto head = client_.HeadObject(key);
  if (!head) return std::nullopt;
  return InfoFrom(key, *head, "");
}

bool S3Backend::Delete(std::string_view key) {
  ValidateKey(key);
  if (!client_.HeadObject(key)) return false;
  client_.DeleteObject(key);
  return true;
}

ListPage S3Backend::List(std::string_view prefix, std::string_view continuation,
                         std::size_t limit) {
  ValidatePrefix(prefix);
  if (continuation.size() > kMaxContinuationBytes) {
    throw Error::Permanent("invalid_input",
                           "`continuation` is longer than any S3 continuation token; pass the "
                           "`continuation` of the previous page as it was");
  }
  for (char c : continuation) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) {
      throw Error::Permanent("invalid_input",
                             "`continuation` is not an S3 continuation token (it holds a "
                             "control or non-ASCII byte)");
    }
  }
  ListResult result = client_.ListObjectsV2(prefix, continuation, limit);
  ListPage page;
  for (ListedObject& object : result.objects) {
    try {
      ValidateKey(object.key);
    } catch (const Error&) {
      continue;  // put by another tool under a name no storage key can have
    }
    page.entries.push_back(ListEntry{std::move(object.key), object.size, std::move(object.etag)});
  }
  if (result.truncated) page.continuation = std::move(result.next_continuation_token);
  return page;
}

}  // namespace storeflow::plugins::storage::s3
