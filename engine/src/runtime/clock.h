#pragma once

// The engine's one source of time. Everything that stores or compares times
// (due times, leases, timeouts, `now()` in scripts) asks a Clock, so tests and
// `--clock virtual` can run hours of sleeps and timeouts in milliseconds;
// `--clock manual` stands still until an operator (the admin API) moves it.

#include <atomic>
#include <cstdint>
#include <memory>

namespace storeflow::runtime {

using TimeMs = std::int64_t;  // milliseconds since the Unix epoch

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs Now() const = 0;
  // True for a clock the engine itself jumps to the next due time when idle.
  virtual bool is_virtual() const = 0;
  // True for a clock only AdvanceTo moves, from outside the engine (the admin
  // API's POST /api/v1/clock/advance): the engine waits for it like for real time.
  virtual bool is_manual() const { return false; }
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

// Time that moves only when told (AdvanceTo), never by itself nor by the engine:
// `storeflow serve --clock manual`, for tests that deliver events at chosen
// times and step the engine through the hours between. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start) : now_(start) {}
  TimeMs Now() const override { return now_.load(std::memory_order_acquire); }
  bool is_virtual() const override { return false; }
  bool is_manual() const override { return true; }
  void AdvanceTo(TimeMs t) override;

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace storeflow::runtime
