#include "store/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace storeflow::store::internal {
namespace {

// How long Acquire keeps trying a lock held elsewhere: longer than a Holder()
// probe holds its shared lock (a few system calls), far shorter than a person waits.
constexpr std::chrono::milliseconds kRetryWindow(200);
constexpr std::chrono::milliseconds kRetryStep(10);

// The pid written in the lock file, "unknown" when there is none.
std::string RecordedHolder(int fd) {
  char buf[32] = {};
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "unknown";
  std::string text(buf, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "unknown" : text;
}

}  // namespace

Result<std::unique_ptr<FileLock>> FileLock::Acquire(const std::string& db_path) {
  const std::string lock_path = db_path + "-lock";
  const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return FailedPrecondition("cannot open database file " + db_path + ": cannot create " +
                              lock_path + ": " + std::strerror(errno) +
                              " (does the directory exist, and may storeflow write to it?)");
  }
  const auto give_up = std::chrono::steady_clock::now() + kRetryWindow;
  int err = 0;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK || std::chrono::steady_clock::now() >= give_up) break;
    std::this_thread::sleep_for(kRetryStep);
    err = 0;
  }
  if (err != 0) {
    const std::string holder = RecordedHolder(fd);
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

std::optional<std::string> FileLock::Holder(const std::string& db_path) {
  const std::string lock_path = db_path + "-lock";
  const int fd = open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // never locked (or unreadable: then Acquire says why)
  int rc = 0;
  do {
    rc = flock(fd, LOCK_SH | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  std::optional<std::string> holder;
  if (rc != 0 && errno == EWOULDBLOCK) holder = RecordedHolder(fd);
  close(fd);  // releases the shared lock, if it was taken
  return holder;
}

FileLock::~FileLock() {
  close(fd_);
}

}  // namespace storeflow::store::internal
