#pragma once

// The engine's one source of time. Everything that stores or compares times
// (due times, leases, timeouts, `now()` in scripts) asks a Clock, so tests and
// `--clock virtual` can run hours of sleeps and timeouts in milliseconds.

#include <atomic>
#include <cstdint>
#include <memory>

namespace storeflow::runtime {

using TimeMs = std::int64_t;  // milliseconds since the Unix epoch

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs Now() const = 0;
  // True for a clock that moves only when told (AdvanceTo).
  virtual bool is_virtual() const = 0;
  // Moves a virtual clock forward to `t` (never backwards); no-op on the real clock.
  virtual void AdvanceTo(TimeMs t) = 0;
};

// Wall-clock time (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  TimeMs Now() const override;
  bool is_virtual() const override { return false; }
  void AdvanceTo(TimeMs /*t*/) override {}
};

// Time that stands still until the engine, finding nothing due, jumps it to the
// next due timer. Thread-safe.
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(TimeMs start) : now_(start) {}
  TimeMs Now() const override { return now_.load(std::memory_order_acquire); }
  bool is_virtual() const override { return true; }
  void AdvanceTo(TimeMs t) override;

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace storeflow::runtime
