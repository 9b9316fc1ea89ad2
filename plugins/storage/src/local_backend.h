#pragma once

#include <cstdint>
#include <filesystem>

#include "storage_backend.h"

namespace storeflow::plugins::storage {

// Objects as plain files under a root folder: key "a/b.pdf" is <root>/a/b.pdf.
// Content types live in <root>/.storeflow-meta/<key>.json. Writes are atomic
// (temporary file, fsync, rename); no path component below the root may be a
// symbolic link, so a key cannot lead outside the root.
class LocalBackend : public StorageBackend {
 public:
  struct Options {
    std::filesystem::path root;
    bool durable = true;      // fsync files and folders on write
    bool create_root = true;  // create the root when missing (else: error)
    std::uint64_t max_object_bytes = 32 * 1024 * 1024;  // Get refuses larger files
  };

  // Throws sdk::Error::Permanent("storage_root") when the root is unusable.
  explicit LocalBackend(Options options);

  ObjectInfo Put(std::string_view key, std::string_view bytes,
                 std::string_view content_type) override;
  std::optional<StoredObject> Get(std::string_view key) override;
  bool Delete(std::string_view key) override;
  ListPage List(std::string_view prefix, std::string_view continuation, std::size_t limit) override;

  const std::filesystem::path& root() const { return options_.root; }

 private:
  // The key of `key`'s meta file below the root: ".storeflow-meta/<key>.json".
  static std::string MetaKey(std::string_view key);
  std::string ReadContentType(std::string_view key) const;

  Options options_;
};

}  // namespace storeflow::plugins::storage
