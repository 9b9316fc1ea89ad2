#include "open_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "atomic_file.h"
#include "io_error.h"
#include "storage_key.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage {
namespace {

namespace fs = std::filesystem;
using sdk::Error;

constexpr int kFolderFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

std::string RandomSuffix() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(engine()));
  return buf;
}

}  // namespace

void RefuseLink(std::string_view key, const fs::path& path) {
  throw Error::Permanent("invalid_key", "storage key " + DisplayKey(key) +
                                            " is refused: it passes through the symbolic link " +
                                            path.string() +
                                            ", which could lead outside the storage root");
}

namespace {

// A descriptor closed on scope exit.
struct FileFd {
  int fd;
  ~FileFd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

OpenFolder OpenFolder::Root(const fs::path& root, std::string_view error_code) {
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowIoError(error_code, "cannot open the storage root " + root.string(), errno);
  return OpenFolder(fd, root);
}

OpenFolder::OpenFolder(OpenFolder&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

OpenFolder& OpenFolder::operator=(OpenFolder&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

OpenFolder::~OpenFolder() {
  if (fd_ >= 0) ::close(fd_);
}

EntryKind KindOf(const OpenFolder& folder, const std::string& name, std::string_view error_code) {
  struct stat st {};
  if (::fstatat(folder.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return EntryKind::kMissing;
    ThrowIoError(error_code, "cannot inspect " + (folder.path() / name).string(), errno);
  }
  if (S_ISLNK(st.st_mode)) return EntryKind::kLink;
  if (S_ISREG(st.st_mode)) return EntryKind::kFile;
  if (S_ISDIR(st.st_mode)) return EntryKind::kFolder;
  return EntryKind::kOther;
}

std::optional<OpenFolder> FolderWalk::Child(const OpenFolder& parent, const std::string& name,
                                            std::string_view key, std::string_view prefix,
                                            bool create, std::string_view error_code) {
  const fs::path path = parent.path() / name;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::openat(parent.fd(), name.c_str(), kFolderFlags);
    if (fd >= 0) return OpenFolder(fd, path);
    const int error = errno;
    if (error == ELOOP) RefuseLink(key, path);
    if (error == ENOTDIR) {
      // A link to a folder is also ENOTDIR on some systems with O_NOFOLLOW.
      if (KindOf(parent, name, error_code) == EntryKind::kLink) RefuseLink(key, path);
      throw Error::Permanent("key_conflict", "storage key " + DisplayKey(key) + " needs " +
                                                 path.string() +
                                                 " to be a folder, but it is a file (key \"" +
                                                 std::string(prefix) + "\")");
    }
    if (error != ENOENT) ThrowIoError(error_code, "cannot open folder " + path.string(), error);
    if (!create) return std::nullopt;
    if (::mkdirat(parent.fd(), name.c_str(), 0755) != 0 && errno != EEXIST) {
      ThrowIoError(error_code, "cannot create folder " + path.string(), errno);
    }
  }
  ThrowIoError(error_code, "cannot open folder " + path.string(), ENOENT);
}

std::optional<FolderWalk::Parent> FolderWalk::ToParent(const fs::path& root, std::string_view key,
                                                       bool create, std::string_view error_code) {
  OpenFolder folder = OpenFolder::Root(root, error_code);
  std::size_t start = 0;
  for (std::size_t slash = key.find('/'); slash != std::string_view::npos;
       slash = key.find('/', start)) {
    auto child = Child(folder, std::string(key.substr(start, slash - start)), key,
                       key.substr(0, slash), create, error_code);
    if (!child) return std::nullopt;
    folder = std::move(*child);
    start = slash + 1;
  }
  return Parent{std::move(folder), std::string(key.substr(start))};
}

void FolderWalk::RemoveEmptyFolders(const fs::path& root, std::string_view key) {
  std::vector<OpenFolder> chain;
  std::vector<std::string> names;
  try {
    chain.push_back(OpenFolder::Root(root, "storage_io"));
    std::size_t start = 0;
    for (std::size_t slash = key.find('/'); slash != std::string_view::npos;
         slash = key.find('/', start)) {
      std::string name(key.substr(start, slash - start));
      auto child = Child(chain.back(), name, key, key.substr(0, slash), false, "storage_io");
      if (!child) break;
      chain.push_back(std::move(*child));
      names.push_back(std::move(name));
      start = slash + 1;
    }
  } catch (const Error&) {
    // Best effort: a link or a file on the way ends the climb where it is.
  }
  // chain[i + 1] is names[i] inside chain[i].
  for (std::size_t i = names.size(); i-- > 0;) {
    if (::unlinkat(chain[i].fd(), names[i].c_str(), AT_REMOVEDIR) != 0) return;
  }
}

void WriteFileAtomicAt(const OpenFolder& folder, const std::string& name, std::string_view bytes,
                       bool durable, std::string_view error_code) {
  const fs::path target = folder.path() / name;
  const std::string temp = std::string(kTempPrefix) + RandomSuffix();
  FileFd file{::openat(folder.fd(), temp.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)};
  if (file.fd < 0) {
    ThrowIoError(error_code, "cannot create a file in " + folder.path().string(), errno);
  }
  auto fail = [&](const std::string& what) {
    const int saved = errno;
    ::unlinkat(folder.fd(), temp.c_str(), 0);
    ThrowIoError(error_code, what, saved);
  };
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(file.fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write " + target.string());
    }
    written += static_cast<std::size_t>(n);
  }
  if (durable && ::fsync(file.fd) != 0) fail("cannot sync " + target.string());
  const int fd = file.fd;
  file.fd = -1;
  if (::close(fd) != 0) fail("cannot close " + target.string());
  if (::renameat(folder.fd(), temp.c_str(), folder.fd(), name.c_str()) != 0) {
    fail("cannot replace " + target.string());
  }
  if (durable && ::fsync(folder.fd()) != 0 && errno != EINVAL) {
    ThrowIoError(error_code, "cannot sync folder " + folder.path().string(), errno);
  }
}

std::optional<std::string> ReadFileAt(const OpenFolder& folder, const std::string& name,
                                      std::string_view key, std::uint64_t max_bytes,
                                      std::string_view error_code) {
  const fs::path path = folder.path() / name;
  FileFd file{::openat(folder.fd(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (file.fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) RefuseLink(key, path);
    ThrowIoError(error_code, "cannot open " + path.string(), errno);
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0)
    ThrowIoError(error_code, "cannot inspect " + path.string(), errno);
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    throw Error::Permanent("too_large", "storage key " + DisplayKey(key) + " holds " +
                                            std::to_string(st.st_size) + " bytes, more than the " +
                                            std::to_string(max_bytes) +
                                            " this plugin reads (config `max_object_bytes`)");
  }
  std::string out;
  out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(file.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowIoError(error_code, "cannot read " + path.string(), errno);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      throw Error::Permanent("too_large", "storage key " + DisplayKey(key) + " grew past the " +
                                              std::to_string(max_bytes) +
                                              " bytes this plugin reads while it was read");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace storeflow::plugins::storage
