#include "budget_governor.h"

namespace storeflow::plugins::shopify {

std::optional<std::int64_t> BudgetGovernor::Take(const std::string& bucket, double capacity,
                                                 double refill, double cost,
                                                 std::int64_t max_wait_ms) const {
  return host_.RateAcquire(bucket, capacity, refill, cost, max_wait_ms);
}

std::optional<double> BudgetGovernor::Correct(const std::string& bucket, double capacity,
                                              double refill, const Correction& correction,
                                              const sdk::Json& labels) const {
  std::optional<double> level =
      host_.RateAdjust(bucket, capacity, refill, correction.refund, correction.at_most);
  if (level) host_.GaugeSet("bucket_level", *level, labels);
  return level;
}

std::optional<double> BudgetGovernor::CachedCost(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = costs_.find(key);
  if (it == costs_.end()) return std::nullopt;
  return it->second;
}

void BudgetGovernor::RememberCost(const std::string& key, double requested) {
  std::lock_guard lock(mu_);
  if (costs_.size() > 4096 && costs_.count(key) == 0) costs_.clear();  // bounded
  costs_[key] = requested;
}

}  // namespace storeflow::plugins::shopify
