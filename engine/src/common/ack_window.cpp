#include "common/ack_window.h"

#include <algorithm>
#include <cmath>

namespace storeflow {

AckWindow::AckWindow(std::int64_t span_ms, std::int64_t slot_ms, std::size_t samples_per_slot)
    : span_ms_(std::max<std::int64_t>(span_ms, 1)),
      slot_ms_(std::clamp<std::int64_t>(slot_ms, 1, std::max<std::int64_t>(span_ms, 1))),
      samples_per_slot_(std::max<std::size_t>(samples_per_slot, 1)),
      slots_(static_cast<std::size_t>((span_ms_ + slot_ms_ - 1) / slot_ms_) + 1) {}

AckWindow& AckWindow::Default() {
  static AckWindow window;
  return window;
}

AckWindow::Slot& AckWindow::SlotFor(std::int64_t now_ms) {
  const std::int64_t start = now_ms - ((now_ms % slot_ms_) + slot_ms_) % slot_ms_;
  const auto index =
      static_cast<std::size_t>((start / slot_ms_) % static_cast<std::int64_t>(slots_.size()));
  Slot& slot = slots_[index];
  if (slot.start_ms != start) slot = Slot{start, 0, 0, {}};
  return slot;
}

void AckWindow::Record(std::int64_t now_ms, bool error, double latency_ms) {
  std::lock_guard lock(mu_);
  Slot& slot = SlotFor(now_ms);
  ++slot.requests;
  if (error) ++slot.errors;
  if (slot.latencies.size() < samples_per_slot_) {
    slot.latencies.push_back(latency_ms);
  } else {
    // Reservoir sampling: each of the slot's requests is kept with equal chance.
    std::uniform_int_distribution<std::int64_t> pick(0, slot.requests - 1);
    const std::int64_t at = pick(random_);
    if (at < static_cast<std::int64_t>(samples_per_slot_)) slot.latencies[at] = latency_ms;
  }
}

AckSummary AckWindow::Summary(std::int64_t now_ms) const {
  std::lock_guard lock(mu_);
  AckSummary out;
  std::vector<double> latencies;
  for (const Slot& slot : slots_) {
    // A slot counts when any of its minute lies inside (now - span, now].
    if (slot.start_ms < 0 || slot.start_ms > now_ms ||
        slot.start_ms + slot_ms_ <= now_ms - span_ms_) {
      continue;
    }
    out.requests += slot.requests;
    out.errors += slot.errors;
    latencies.insert(latencies.end(), slot.latencies.begin(), slot.latencies.end());
  }
  if (out.requests > 0) {
    out.error_rate = static_cast<double>(out.errors) / static_cast<double>(out.requests);
    out.p50_ms = Quantile(latencies, 0.5);
    out.p99_ms = Quantile(std::move(latencies), 0.99);
  }
  return out;
}

void AckWindow::Clear() {
  std::lock_guard lock(mu_);
  for (Slot& slot : slots_) slot = Slot{};
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank: the smallest value with at least q of the values at or below it.
  std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank - 1),
                   values.end());
  return values[rank - 1];
}

}  // namespace storeflow
