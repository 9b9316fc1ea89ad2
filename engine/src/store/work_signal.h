#pragma once

// The in-process half of Notify()/WaitForWork(): a condition variable with a
// remembered signal, so a Notify() that comes while no thread waits is not lost
// (the next WaitForWork returns at once).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace storeflow::store::internal {

class WorkSignal {
 public:
  // Wakes every waiting thread; remembered when none waits.
  void Notify();
  // True when notified (now or since the last wait returned) before `timeout`.
  bool Wait(std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
  bool pending_ = false;
};

}  // namespace storeflow::store::internal
