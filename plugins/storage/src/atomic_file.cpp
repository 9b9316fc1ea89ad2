#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>

#include "io_error.h"

namespace storeflow::plugins::storage {
namespace {

std::string RandomSuffix() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(engine()));
  return buf;
}

// Closes a descriptor on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

void SyncFolder(const std::filesystem::path& folder, std::string_view code) {
  Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) ThrowIoError(code, "cannot open folder " + folder.string(), errno);
  if (::fsync(dir.get()) != 0 && errno != EINVAL) {
    ThrowIoError(code, "cannot sync folder " + folder.string(), errno);
  }
}

}  // namespace

void WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes, bool durable,
                     std::string_view error_code) {
  const std::filesystem::path folder = path.parent_path();
  const std::filesystem::path temp = folder / (std::string(kTempPrefix) + RandomSuffix());
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) ThrowIoError(error_code, "cannot create a file in " + folder.string(), errno);
  auto fail = [&](const std::string& what) {
    int saved = errno;
    ::unlink(temp.c_str());
    ThrowIoError(error_code, what, saved);
  };
  std::size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write " + path.string());
    }
    written += static_cast<std::size_t>(n);
  }
  if (durable && ::fsync(fd.get()) != 0) fail("cannot sync " + path.string());
  if (fd.Close() != 0) fail("cannot close " + path.string());
  if (::rename(temp.c_str(), path.c_str()) != 0) fail("cannot replace " + path.string());
  if (durable) SyncFolder(folder, error_code);
}

std::string ReadWholeFile(const std::filesystem::path& path, std::string_view error_code) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) ThrowIoError(error_code, "cannot open " + path.string(), errno);
  std::string out;
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && st.st_size > 0)
    out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowIoError(error_code, "cannot read " + path.string(), errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace storeflow::plugins::storage
