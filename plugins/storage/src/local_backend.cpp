#include "local_backend.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "content_type.h"
#include "io_error.h"
#include "open_folder.h"
#include "sha256.h"
#include "storage_key.h"
#include "storeflow/plugin.hpp"
#include "utf8.h"

namespace storeflow::plugins::storage {
namespace {

namespace fs = std::filesystem;
using sdk::Error;

constexpr std::string_view kMetaFolder = ".storeflow-meta";
constexpr std::string_view kIoCode = "storage_io";

enum class Found { kMissing, kFile, kFolder };

// Walks `key` below `root` with lstat, refusing symbolic links and files used
// as folders. Reports what the last component is.
Found Inspect(const fs::path& root, std::string_view key) {
  fs::path path = root;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = key.find('/', start);
    bool last = slash == std::string_view::npos;
    path /= std::string(key.substr(start, last ? std::string_view::npos : slash - start));
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return Found::kMissing;
      ThrowIoError(kIoCode, "cannot inspect " + path.string(), errno);
    }
    if (S_ISLNK(st.st_mode)) {
      throw Error::Permanent(
          "invalid_key", "storage key " + DisplayKey(key) +
                             " is refused: it passes through the symbolic link " + path.string() +
                             ", which could lead outside the storage root");
    }
    if (last) {
      if (S_ISREG(st.st_mode)) return Found::kFile;
      if (S_ISDIR(st.st_mode)) return Found::kFolder;
      throw Error::Permanent("key_conflict", "storage key " + DisplayKey(key) + " names " +
                                                 path.string() + ", which is not a regular file");
    }
    if (!S_ISDIR(st.st_mode)) {
      throw Error::Permanent("key_conflict", "storage key " + DisplayKey(key) + " needs " +
                                                 path.string() +
                                                 " to be a folder, but it is a file (key \"" +
                                                 std::string(key.substr(0, slash)) + "\")");
    }
    start = slash + 1;
  }
}

}  // namespace

LocalBackend::LocalBackend(Options options) : options_(std::move(options)) {
  if (options_.root.empty()) {
    throw Error::Permanent("storage_root", "the storage root folder is not set (config `root`)");
  }
  std::error_code ec;
  if (!fs::exists(options_.root, ec)) {
    if (!options_.create_root) {
      throw Error::Permanent(
          "storage_root", "the storage root folder " + options_.root.string() + " does not exist");
    }
    fs::create_directories(options_.root, ec);
    if (ec) {
      throw Error::Permanent("storage_root", "cannot create the storage root folder " +
                                                 options_.root.string() + ": " + ec.message());
    }
  }
  fs::path canonical = fs::canonical(options_.root, ec);
  if (ec || !fs::is_directory(canonical)) {
    throw Error::Permanent("storage_root",
                           "the storage root " + options_.root.string() + " is not a folder");
  }
  options_.root = canonical;
}

std::string LocalBackend::MetaKey(std::string_view key) {
  return std::string(kMetaFolder) + "/" + std::string(key) + ".json";
}

std::string LocalBackend::ReadContentType(std::string_view key) const {
  // The content type is a hint: a meta file that is missing, unreadable, a
  // link or not JSON falls back to the guess from the key.
  try {
    const std::string meta_key = MetaKey(key);
    if (auto meta = FolderWalk::ToParent(options_.root, meta_key, false, kIoCode)) {
      if (auto text = ReadFileAt(meta->folder, meta->name, meta_key, 64 * 1024, kIoCode)) {
        auto parsed = nlohmann::json::parse(*text, nullptr, false);
        if (parsed.is_object() && parsed.contains("content_type") &&
            parsed["content_type"].is_string()) {
          return parsed["content_type"].get<std::string>();
        }
      }
    }
  } catch (const Error&) {
  }
  return GuessContentType(key);
}

// Every path below the root is reached through FolderWalk (open_folder.h):
// folder by folder with O_NOFOLLOW, and the file operation itself in the last
// folder's descriptor, so a symbolic link swapped in after a check is refused
// at the write, not only before it.
ObjectInfo LocalBackend::Put(std::string_view key, std::string_view bytes,
                             std::string_view content_type) {
  ValidateKey(key);
  auto target = FolderWalk::ToParent(options_.root, key, true, kIoCode);
  switch (KindOf(target->folder, target->name, kIoCode)) {
    case EntryKind::kFolder:
      throw Error::Permanent("key_conflict", "storage key " + DisplayKey(key) +
                                                 " is a folder holding other keys; choose "
                                                 "another key");
    case EntryKind::kLink: RefuseLink(key, target->folder.path() / target->name);
    case EntryKind::kOther:
      throw Error::Permanent("key_conflict", "storage key " + DisplayKey(key) + " names " +
                                                 (target->folder.path() / target->name).string() +
                                                 ", which is not a regular file");
    case EntryKind::kMissing:
    case EntryKind::kFile: break;
  }
  WriteFileAtomicAt(target->folder, target->name, bytes, options_.durable, kIoCode);

  const std::string meta_key = MetaKey(key);
  auto meta = FolderWalk::ToParent(options_.root, meta_key, true, kIoCode);
  nlohmann::json doc = {{"content_type", content_type}};
  WriteFileAtomicAt(meta->folder, meta->name, doc.dump(), options_.durable, kIoCode);

  return ObjectInfo{std::string(key), bytes.size(), Sha256Hex(bytes), std::string(content_type)};
}

std::optional<StoredObject> LocalBackend::Get(std::string_view key) {
  ValidateKey(key);
  auto target = FolderWalk::ToParent(options_.root, key, false, kIoCode);
  if (!target) return std::nullopt;
  auto bytes = ReadFileAt(target->folder, target->name, key, options_.max_object_bytes, kIoCode);
  if (!bytes) return std::nullopt;
  StoredObject object;
  object.bytes = std::move(*bytes);
  object.info = ObjectInfo{std::string(key), object.bytes.size(), Sha256Hex(object.bytes),
                           ReadContentType(key)};
  return object;
}

bool LocalBackend::Delete(std::string_view key) {
  ValidateKey(key);
  auto target = FolderWalk::ToParent(options_.root, key, false, kIoCode);
  if (!target) return false;
  const EntryKind kind = KindOf(target->folder, target->name, kIoCode);
  if (kind == EntryKind::kLink) RefuseLink(key, target->folder.path() / target->name);
  if (kind != EntryKind::kFile) return false;
  if (::unlinkat(target->folder.fd(), target->name.c_str(), 0) != 0) {
    if (errno == ENOENT) return false;
    ThrowIoError(kIoCode, "cannot delete " + (target->folder.path() / target->name).string(),
                 errno);
  }
  const std::string meta_key = MetaKey(key);
  try {
    if (auto meta = FolderWalk::ToParent(options_.root, meta_key, false, kIoCode)) {
      ::unlinkat(meta->folder.fd(), meta->name.c_str(), 0);
    }
  } catch (const Error&) {
    // The meta file is a hint; a link in its way is left alone.
  }
  FolderWalk::RemoveEmptyFolders(options_.root, key);
  FolderWalk::RemoveEmptyFolders(options_.root, meta_key);
  return true;
}

ListPage LocalBackend::List(std::string_view prefix, std::string_view continuation,
                            std::size_t limit) {
  ValidatePrefix(prefix);
  // Start the walk at the deepest folder the prefix names completely.
  std::size_t slash = prefix.rfind('/');
  fs::path base = options_.root;
  if (slash != std::string_view::npos) {
    std::string folder(prefix.substr(0, slash));
    if (Inspect(options_.root, folder) != Found::kFolder) return {};
    base /= folder;
  }

  std::vector<ListEntry> all;
  std::error_code ec;
  fs::recursive_directory_iterator it(base, fs::directory_options::skip_permission_denied, ec);
  if (ec) ThrowIoError(kIoCode, "cannot list " + base.string(), ec.value());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) ThrowIoError(kIoCode, "cannot list " + base.string(), ec.value());
    const fs::path& path = it->path();
    std::string name = path.filename().string();
    if (IsReservedName(name)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    fs::file_status status = it->symlink_status(ec);
    if (ec || !fs::is_regular_file(status)) continue;  // folders, symlinks, sockets
    std::string key = path.lexically_relative(options_.root).generic_string();
    if (!key.starts_with(prefix)) continue;
    if (!IsValidUtf8(key)) continue;  // put by another tool; no key can name it
    if (!continuation.empty() && key <= continuation) continue;
    std::uint64_t size = it->file_size(ec);
    if (ec) continue;  // deleted meanwhile
    all.push_back(ListEntry{std::move(key), size});
  }
  std::sort(all.begin(), all.end(),
            [](const ListEntry& a, const ListEntry& b) { return a.key < b.key; });
  ListPage page;
  if (all.size() > limit) {
    all.resize(limit);
    page.continuation = all.back().key;
  }
  page.entries = std::move(all);
  return page;
}

}  // namespace storeflow::plugins::storage
