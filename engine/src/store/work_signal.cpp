#include "store/work_signal.h"

namespace storeflow::store::internal {

void WorkSignal::Notify() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
    pending_ = true;
  }
  cv_.notify_all();
}

bool WorkSignal::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!pending_) {
    const std::uint64_t seen = generation_;
    if (!cv_.wait_for(lock, timeout, [&] { return generation_ != seen; })) return false;
  }
  pending_ = false;
  return true;
}

}  // namespace storeflow::store::internal
