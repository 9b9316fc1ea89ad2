#pragma once

// One engine process per SQLite file: an exclusive flock() on PATH + "-lock",
// held while the Store is open, with the holder's pid written in the file so a
// refused process can say who holds it. The lock goes away with the process
// (even on kill -9); the file itself stays. A store opened read-only takes no
// lock: it runs beside the holder (WAL readers) and never writes.

#include <memory>
#include <optional>
#include <string>

#include "common/result.h"

namespace storeflow::store::internal {

class FileLock {
 public:
  // FailedPrecondition "database file X is in use by another storeflow process
  // (pid N)" when another open file description holds it.
  // A lock held elsewhere is tried again for a moment (kRetryWindow) before the
  // refusal, so that Holder()'s brief probe never makes an engine's start fail.
  static Result<std::unique_ptr<FileLock>> Acquire(const std::string& db_path);
  // The pid another process recorded when it took the lock of `db_path` ("unknown"
  // when unreadable), or nullopt when no process holds it (or there is no lock
  // file). Probes with a shared lock it releases at once; creates nothing.
  static std::optional<std::string> Holder(const std::string& db_path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace storeflow::store::internal
