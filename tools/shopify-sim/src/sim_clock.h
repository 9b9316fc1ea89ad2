#pragma once

// The simulator's own clock: wall-clock time plus an offset that the control API
// advances (POST /_sim/clock/advance). It can be frozen so that bucket levels and
// webhook due times do not move between two calls of a test.

#include <cstdint>
#include <mutex>

namespace storeflow::shopify_sim {

class SimClock {
 public:
  SimClock();

  // Milliseconds since the Unix epoch, on the simulated time line.
  std::int64_t NowMs() const;
  // Moves the clock forward by `ms` (>= 0); returns the new time.
  std::int64_t Advance(std::int64_t ms);
  // Freezes the clock at its current time (true) or lets it run again (false).
  void SetFrozen(bool frozen);
  bool frozen() const;

 private:
  std::int64_t WallMs() const;

  mutable std::mutex mutex_;
  std::int64_t offset_ms_ = 0;
  bool frozen_ = false;
  std::int64_t frozen_at_ms_ = 0;  // simulated time at which it was frozen
};

}  // namespace storeflow::shopify_sim
