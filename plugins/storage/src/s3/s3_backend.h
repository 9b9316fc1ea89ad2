#pragma once

#include <memory>
#include <optional>

#include "s3_client.h"
#include "storage_backend.h"

namespace storeflow::plugins::storage::s3 {

// Objects in one S3 bucket: key "a/b.pdf" is the object "a/b.pdf". Keys are
// validated like the local backend's (no "..", no absolute paths, ...), so a
// workflow moves between backends without changing its keys.
class S3Backend : public StorageBackend {
 public:
  explicit S3Backend(Client client);

  ObjectInfo Put(std::string_view key, std::string_view bytes,
                 std::string_view content_type) override;
  std::optional<StoredObject> Get(std::string_view key) override;
  // HEAD first: S3's DELETE does not say whether the key existed.
  bool Delete(std::string_view key) override;
  // One ListObjectsV2 call of `limit` keys; `continuation` is S3's continuation
  // token. Keys no storage key could name (".." segments, "a//b", reserved names)
  // are left out, so a page may hold fewer than `limit` keys.
  ListPage List(std::string_view prefix, std::string_view continuation, std::size_t limit) override;

  // HeadObject: nullopt when there is no such key.
  std::optional<ObjectInfo> Head(std::string_view key);

  const Client& client() const { return client_; }

 private:
  Client client_;
};

}  // namespace storeflow::plugins::storage::s3
