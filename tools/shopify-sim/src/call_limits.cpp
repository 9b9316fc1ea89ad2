#include "call_limits.h"

#include <algorithm>
#include <cmath>

namespace storeflow::shopify_sim {

bool PlanLimitsFor(const std::string& plan, PlanLimits* out) {
  if (plan.empty() || plan == "standard" || plan == "basic") {
    *out = PlanLimits{};
  } else if (plan == "advanced") {
    *out = PlanLimits{40, 2, 4000, 200};
  } else if (plan == "plus") {
    *out = PlanLimits{400, 20, 20000, 1000};
  } else {
    return false;
  }
  return true;
}

RestCallBucket::RestCallBucket(double capacity, double leak_per_s)
    : capacity_(capacity), leak_per_s_(leak_per_s) {}

void RestCallBucket::Leak(std::int64_t now_ms) {
  if (last_ms_ != 0 && now_ms > last_ms_) {
    used_ = std::max(0.0, used_ - leak_per_s_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
  }
  if (now_ms > last_ms_) last_ms_ = now_ms;
}

bool RestCallBucket::TryTake(std::int64_t now_ms) {
  Leak(now_ms);
  if (used_ + 1 > capacity_ + 1e-9) return false;
  used_ += 1;
  max_seen_ = std::max(max_seen_, Used(now_ms));
  return true;
}

int RestCallBucket::Used(std::int64_t now_ms) {
  Leak(now_ms);
  return static_cast<int>(std::ceil(used_ - 1e-9));
}

CostBucket::CostBucket(double capacity, double restore_per_s)
    : capacity_(capacity),
      restore_per_s_(restore_per_s),
      available_(capacity),
      min_seen_(capacity) {}

void CostBucket::Restore(std::int64_t now_ms) {
  if (last_ms_ != 0 && now_ms > last_ms_) {
    available_ = std::min(
        capacity_, available_ + restore_per_s_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
  }
  if (now_ms > last_ms_) last_ms_ = now_ms;
}

double CostBucket::Available(std::int64_t now_ms) {
  Restore(now_ms);
  return available_;
}

bool CostBucket::TryCharge(double cost, std::int64_t now_ms) {
  Restore(now_ms);
  if (available_ < cost) return false;
  available_ -= cost;
  min_seen_ = std::min(min_seen_, available_);
  return true;
}

void CostBucket::Refund(double points, std::int64_t now_ms) {
  Restore(now_ms);
  available_ = std::min(capacity_, available_ + std::max(0.0, points));
}

}  // namespace storeflow::shopify_sim
