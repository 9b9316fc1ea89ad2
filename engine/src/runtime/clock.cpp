#include "runtime/clock.h"

#include <chrono>

namespace storeflow::runtime {

TimeMs SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void VirtualClock::AdvanceTo(TimeMs t) {
  TimeMs current = now_.load(std::memory_order_acquire);
  while (t > current && !now_.compare_exchange_weak(current, t, std::memory_order_acq_rel)) {
  }
}

void ManualClock::AdvanceTo(TimeMs t) {
  TimeMs current = now_.load(std::memory_order_acquire);
  while (t > current && !now_.compare_exchange_weak(current, t, std::memory_order_acq_rel)) {
  }
}

}  // namespace storeflow::runtime
