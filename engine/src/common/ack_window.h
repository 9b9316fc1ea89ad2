#pragma once

// A rolling window of request outcomes (the webhook ingress's answers): how many,
// how many were errors, and latency percentiles over the last `span` (one hour by
// default), in one-minute slots. Each slot keeps at most `samples_per_slot`
// latencies (a uniform reservoir), so memory stays bounded under any load.
// Thread-safe. Times are milliseconds since the epoch, passed in by the caller.

#include <cstdint>
#include <mutex>
#include <random>
#include <vector>

namespace storeflow {

struct AckSummary {
  std::int64_t requests = 0;
  std::int64_t errors = 0;
  double error_rate = 0;  // errors / requests; 0 without requests
  double p50_ms = 0;      // 0 without requests
  double p99_ms = 0;
};

class AckWindow {
 public:
  explicit AckWindow(std::int64_t span_ms = 3'600'000, std::int64_t slot_ms = 60'000,
                     std::size_t samples_per_slot = 512);

  // The window the webhook ingress reports into.
  static AckWindow& Default();

  void Record(std::int64_t now_ms, bool error, double latency_ms);
  // The requests recorded in (now_ms - span, now_ms].
  AckSummary Summary(std::int64_t now_ms) const;
  void Clear();

 private:
  struct Slot {
    std::int64_t start_ms = -1;  // which minute it holds; -1: empty
    std::int64_t requests = 0;
    std::int64_t errors = 0;
    std::vector<double> latencies;
  };
  Slot& SlotFor(std::int64_t now_ms);  // mu_ held

  const std::int64_t span_ms_;
  const std::int64_t slot_ms_;
  const std::size_t samples_per_slot_;
  mutable std::mutex mu_;
  std::vector<Slot> slots_;
  std::minstd_rand random_{20261206};
};

// The q-quantile (0..1) of `values` by the nearest-rank method; 0 when empty.
double Quantile(std::vector<double> values, double q);

}  // namespace storeflow
