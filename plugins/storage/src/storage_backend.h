#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storeflow::plugins::storage {

// What is known about a stored object.
struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string sha256;  // lower-case hex; empty when the backend does not know it
  std::string content_type;
  std::string etag;             // S3: the object's ETag (no quotes); "" for local
  std::string checksum_sha256;  // S3: base64 SHA-256 S3 keeps; "" when unknown
};

struct StoredObject {
  ObjectInfo info;
  std::string bytes;
};

struct ListEntry {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;  // "" when the backend has none
};

struct ListPage {
  std::vector<ListEntry> entries;           // in byte order of their keys
  std::optional<std::string> continuation;  // pass back to get the next page
};

// Where the storage plugin keeps objects. Keys are validated by the caller with
// ValidateKey; implementations throw sdk::Error (classified) on failure. All
// methods may be called from many threads at once.
class StorageBackend {
 public:
  virtual ~StorageBackend() = default;

  // Stores `bytes` under `key`, replacing any previous object atomically.
  virtual ObjectInfo Put(std::string_view key, std::string_view bytes,
                         std::string_view content_type) = 0;
  // nullopt when there is no object with that key.
  virtual std::optional<StoredObject> Get(std::string_view key) = 0;
  // True when an object was deleted.
  virtual bool Delete(std::string_view key) = 0;
  // Keys starting with `prefix`, at most `limit`, after the page `continuation`
  // (empty: from the start) ended.
  virtual ListPage List(std::string_view prefix, std::string_view continuation,
                        std::size_t limit) = 0;
};

}  // namespace storeflow::plugins::storage
