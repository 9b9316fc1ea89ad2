#pragma once

// Folders below the storage root opened one component at a time.
//
// Checking a path for symbolic links and then writing to it leaves a window in
// which another process with access to the root can swap a folder for a link
// and send the write outside the root. Here no path below the root is ever
// resolved by name twice: each component is opened with openat(O_NOFOLLOW)
// relative to its parent's descriptor, and the file operations happen in the
// last folder's descriptor (openat / renameat / unlinkat), so a link swapped
// in at any instant is refused (ELOOP) instead of followed.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace storeflow::plugins::storage {

// One open folder (a descriptor), closed on destruction. `path` is only for
// messages.
class OpenFolder {
 public:
  // The root itself (the configured, already canonical folder).
  static OpenFolder Root(const std::filesystem::path& root, std::string_view error_code);

  OpenFolder(OpenFolder&& other) noexcept;
  OpenFolder& operator=(OpenFolder&& other) noexcept;
  OpenFolder(const OpenFolder&) = delete;
  OpenFolder& operator=(const OpenFolder&) = delete;
  ~OpenFolder();

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  OpenFolder(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  friend class FolderWalk;

  int fd_ = -1;
  std::filesystem::path path_;
};

// Throws sdk::Error::Permanent `invalid_key`: `key` passes through the
// symbolic link `path`.
[[noreturn]] void RefuseLink(std::string_view key, const std::filesystem::path& path);

// What a name in an open folder is, without following a link.
enum class EntryKind { kMissing, kFile, kFolder, kLink, kOther };
EntryKind KindOf(const OpenFolder& folder, const std::string& name, std::string_view error_code);

// Walks the folders of `key` ("a/b/c.pdf": a, then b) from `root`.
class FolderWalk {
 public:
  // The folder that holds the key's last component, and that component.
  // nullopt when a folder on the way is missing and `create` is false (with
  // `create`, missing folders are made). Throws sdk::Error::Permanent
  // `invalid_key` when a component is a symbolic link and `key_conflict` when
  // it is a file; `error_code` for other I/O failures.
  struct Parent {
    OpenFolder folder;
    std::string name;
  };
  static std::optional<Parent> ToParent(const std::filesystem::path& root, std::string_view key,
                                        bool create, std::string_view error_code);

  // Removes the folders of `key` that are empty, deepest first, up to (not
  // including) the root; stops at the first that is not empty. Best effort.
  static void RemoveEmptyFolders(const std::filesystem::path& root, std::string_view key);

  // The folder `name` inside `parent`, as above; `prefix` is the part of
  // `key` that names it (for messages).
  static std::optional<OpenFolder> Child(const OpenFolder& parent, const std::string& name,
                                         std::string_view key, std::string_view prefix, bool create,
                                         std::string_view error_code);
};

// WriteFileAtomic (atomic_file.h) inside an open folder: a temporary file made
// with O_EXCL | O_NOFOLLOW, renamed over `name` with renameat (which replaces a
// link itself, never its target).
void WriteFileAtomicAt(const OpenFolder& folder, const std::string& name, std::string_view bytes,
                       bool durable, std::string_view error_code);

// The whole file `name` (opened with O_NOFOLLOW); nullopt when it is missing
// or is not a regular file. Throws `too_large` (permanent) past `max_bytes`
// and `invalid_key` for a link.
std::optional<std::string> ReadFileAt(const OpenFolder& folder, const std::string& name,
                                      std::string_view key, std::uint64_t max_bytes,
                                      std::string_view error_code);

}  // namespace storeflow::plugins::storage
