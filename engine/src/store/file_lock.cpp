#include "store/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace storeflow::store::internal {

Result<std::unique_ptr<FileLock>> FileLock::Acquire(const std::string& db_path) {
  const std::string lock_path = db_path + "-lock";
  const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return FailedPrecondition("cannot open database file " + db_path + ": cannot create " +
                              lock_path + ": " + std::strerror(errno) +
                              " (does the directory exist, and may storeflow write to it?)");
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder = "unknown";
    char buf[32] = {};
    const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
      std::string text(buf, static_cast<std::size_t>(n));
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      if (!text.empty()) holder = text;
    }
    close(fd);
    if (err == EWOULDBLOCK) {
      return FailedPrecondition("database file " + db_path +
                                " is in use by another storeflow process (pid " + holder +
                                "); one engine process per SQLite file — stop it, or use "
                                "PostgreSQL to run several engines");
    }
    return FailedPrecondition("cannot lock " + lock_path + ": " + std::strerror(err));
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock is held; the pid is only informational.
  }
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

FileLock::~FileLock() {
  close(fd_);
}

}  // namespace storeflow::store::internal
