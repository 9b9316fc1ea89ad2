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

void CreateFolders(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) ThrowIoError(kIoCode, "cannot create folder " + folder.string(), ec.value());
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

fs::path LocalBackend::MetaPath(std::string_view key) const {
  return options_.root / std::string(kMetaFolder) / (std::string(key) + ".json");
}

std::string LocalBackend::ReadContentType(std::string_view key) const {
  fs::path meta = MetaPath(key);
  struct stat st {};
  if (::lstat(meta.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    auto parsed = nlohmann::json::parse(ReadWholeFile(meta, kIoCode), nullptr, false);
    if (parsed.is_object() && parsed.contains("content_type") &&
        parsed["content_type"].is_string()) {
      return parsed["content_type"].get<std::string>();
    }
  }
  return GuessContentType(key);
}

ObjectInfo LocalBackend::Put(std::string_view key, std::string_view bytes,
                             std::string_view content_type) {
  ValidateKey(key);
  if (Inspect(options_.root, key) == Found::kFolder) {
    throw Error::Permanent(
        "key_conflict",
        "storage key " + DisplayKey(key) + " is a folder holding other keys; choose another key");
  }
  fs::path path = options_.root / std::string(key);
  CreateFolders(path.parent_path());
  WriteFileAtomic(path, bytes, options_.durable, kIoCode);

  fs::path meta = MetaPath(key);
  CreateFolders(meta.parent_path());
  nlohmann::json doc = {{"content_type", content_type}};
  WriteFileAtomic(meta, doc.dump(), options_.durable, kIoCode);

  return ObjectInfo{std::string(key), bytes.size(), Sha256Hex(bytes), std::string(content_type)};
}

std::optional<StoredObject> LocalBackend::Get(std::string_view key) {
  ValidateKey(key);
  if (Inspect(options_.root, key) != Found::kFile) return std::nullopt;
  fs::path path = options_.root / std::string(key);
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (!ec && size > options_.max_object_bytes) {
    throw Error::Permanent("too_large", "storage key " + DisplayKey(key) + " holds " +
                                            std::to_string(size) + " bytes, more than the " +
                                            std::to_string(options_.max_object_bytes) +
                                            " this plugin reads (config `max_object_bytes`)");
  }
  StoredObject object;
  try {
    object.bytes = ReadWholeFile(path, kIoCode);
  } catch (const Error&) {
    if (!fs::exists(path)) return std::nullopt;  // deleted meanwhile
    throw;
  }
  object.info = ObjectInfo{std::string(key), object.bytes.size(), Sha256Hex(object.bytes),
                           ReadContentType(key)};
  return object;
}

bool LocalBackend::Delete(std::string_view key) {
  ValidateKey(key);
  if (Inspect(options_.root, key) != Found::kFile) return false;
  fs::path path = options_.root / std::string(key);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    ThrowIoError(kIoCode, "cannot delete " + path.string(), errno);
  }
  fs::path meta = MetaPath(key);
  ::unlink(meta.c_str());
  RemoveEmptyParents(path.parent_path(), options_.root);
  RemoveEmptyParents(meta.parent_path(), options_.root / std::string(kMetaFolder));
  return true;
}

void LocalBackend::RemoveEmptyParents(fs::path folder, const fs::path& top) const {
  // Best effort: rmdir fails (and stops the climb) as soon as a folder is not empty.
  while (folder != top && folder.string().size() > top.string().size()) {
    if (::rmdir(folder.c_str()) != 0) return;
    folder = folder.parent_path();
  }
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
