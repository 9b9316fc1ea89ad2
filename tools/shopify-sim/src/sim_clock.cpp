#include "sim_clock.h"

#include <chrono>

namespace storeflow::shopify_sim {

SimClock::SimClock() = default;

std::int64_t SimClock::WallMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t SimClock::NowMs() const {
  std::lock_guard lock(mutex_);
  return frozen_ ? frozen_at_ms_ : WallMs() + offset_ms_;
}

std::int64_t SimClock::Advance(std::int64_t ms) {
  std::lock_guard lock(mutex_);
  if (ms > 0) {
    offset_ms_ += ms;
    frozen_at_ms_ += ms;
  }
  return frozen_ ? frozen_at_ms_ : WallMs() + offset_ms_;
}

void SimClock::SetFrozen(bool frozen) {
  std::lock_guard lock(mutex_);
  if (frozen == frozen_) return;
  if (frozen) {
    frozen_at_ms_ = WallMs() + offset_ms_;
  } else {
    // Resume from the frozen instant: the time spent frozen does not count.
    offset_ms_ = frozen_at_ms_ - WallMs();
  }
  frozen_ = frozen;
}

bool SimClock::frozen() const {
  std::lock_guard lock(mutex_);
  return frozen_;
}

}  // namespace storeflow::shopify_sim
