#pragma once

// One engine process per SQLite file: an exclusive flock() on PATH + "-lock",
// held while the Store is open, with the holder's pid written in the file so a
// refused process can say who holds it. The lock goes away with the process
// (even on kill -9); the file itself stays.

#include <memory>
#include <string>

#include "common/result.h"

namespace storeflow::store::internal {

class FileLock {
 public:
  // FailedPrecondition "database file X is in use by another storeflow process
  // (pid N)" when another open file description holds it.
  static Result<std::unique_ptr<FileLock>> Acquire(const std::string& db_path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace storeflow::store::internal
