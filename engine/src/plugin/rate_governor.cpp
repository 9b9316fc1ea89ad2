#include "plugin/rate_governor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace storeflow::plugin {

RateGovernor::RateGovernor(store::Store* store, runtime::Clock& clock)
    : store_(store), clock_(clock), shared_(store != nullptr && store->backend() == "postgresql") {}

Result<RateDecision> RateGovernor::TryTake(const std::string& bucket, double capacity,
                                           double refill_per_second, double cost) {
  if (!(capacity > 0) || !(cost > 0) || cost > capacity || !(refill_per_second >= 0) ||
      !std::isfinite(capacity) || !std::isfinite(refill_per_second)) {
    return InvalidArgument("rate bucket '" + bucket + "': need capacity > 0, 0 < cost <= " +
                           "capacity and refill_per_second >= 0");
  }
  const runtime::TimeMs now = clock_.Now();
  if (shared_) {
    auto tx = store_->Begin();
    if (!tx.ok()) return tx.status();
    auto take = (*tx)->TakeTokens(bucket, capacity, refill_per_second, cost, now);
    if (!take.ok()) return take.status();
    STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
    return RateDecision{take->taken, take->retry_after_ms};
  }
  std::lock_guard lock(mu_);
  auto [it, created] = buckets_.try_emplace(bucket, FullBucket(capacity, now));
  const TokenTake take = TakeTokens(it->second, now, capacity, refill_per_second, cost);
  return RateDecision{take.taken, take.retry_after_ms};
}

Result<double> RateGovernor::Adjust(const std::string& bucket, double capacity,
                                    double refill_per_second, double refund, double at_most) {
  if (!(capacity > 0) || !(refund >= 0) || !(refill_per_second >= 0) || !std::isfinite(capacity) ||
      !std::isfinite(refund) || !std::isfinite(refill_per_second) || !std::isfinite(at_most)) {
    return InvalidArgument("rate bucket '" + bucket +
                           "': need capacity > 0, refund >= 0 and refill_per_second >= 0");
  }
  const runtime::TimeMs now = clock_.Now();
  if (shared_) {
    auto tx = store_->Begin();
    if (!tx.ok()) return tx.status();
    auto level = (*tx)->AdjustTokens(bucket, capacity, refill_per_second, refund, at_most, now);
    if (!level.ok()) return level.status();
    STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
    return *level;
  }
  std::lock_guard lock(mu_);
  auto [it, created] = buckets_.try_emplace(bucket, FullBucket(capacity, now));
  TokenBucket& b = it->second;
  RefillTokens(b, now, capacity, refill_per_second, refund);
  if (at_most >= 0) b.tokens = std::min(b.tokens, at_most);
  return b.tokens;
}

std::optional<double> RateGovernor::Level(const std::string& bucket) {
  if (shared_) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = buckets_.find(bucket);
  if (it == buckets_.end()) return std::nullopt;
  return it->second.tokens;
}

Result<RateDecision> RateGovernor::Acquire(const std::string& bucket, double capacity,
                                           double refill_per_second, double cost,
                                           std::int64_t max_wait_ms) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::max<std::int64_t>(0, max_wait_ms));
  while (true) {
    auto decision = TryTake(bucket, capacity, refill_per_second, cost);
    if (!decision.ok() || decision->taken || decision->retry_after_ms < 0 || clock_.is_virtual()) {
      return decision;
    }
    const auto wake =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(decision->retry_after_ms);
    if (wake > deadline) return decision;
    std::this_thread::sleep_until(wake);
  }
}

}  // namespace storeflow::plugin
