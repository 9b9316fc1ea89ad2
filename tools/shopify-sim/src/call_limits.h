#pragma once

// Shopify's two rate limits, on the simulator's clock:
// - RestCallBucket: the REST leaky bucket (standard plan: 40 calls, leaks 2/s), reported
//   in X-Shopify-Shop-Api-Call-Limit.
// - CostBucket: the GraphQL calculated-cost bucket (standard plan: 2000 points,
//   restores 100/s); charged the requested cost up front, refunded to the actual cost.

#include <cstdint>
#include <string>

namespace storeflow::shopify_sim {

struct PlanLimits {
  double rest_capacity = 40;
  double rest_leak_per_s = 2;
  double graphql_capacity = 2000;
  double graphql_restore_per_s = 100;
};

// "standard" (also the default for an empty name), "advanced", "plus"; false for others.
bool PlanLimitsFor(const std::string& plan, PlanLimits* out);

class RestCallBucket {
 public:
  RestCallBucket(double capacity, double leak_per_s);
  // Takes one call; false (nothing taken) when the bucket is full.
  bool TryTake(std::int64_t now_ms);
  // The calls in the bucket, as the header shows them (rounded up).
  int Used(std::int64_t now_ms);
  int capacity() const { return static_cast<int>(capacity_); }
  int max_seen() const { return max_seen_; }

 private:
  void Leak(std::int64_t now_ms);

  double capacity_;
  double leak_per_s_;
  double used_ = 0;
  std::int64_t last_ms_ = 0;
  int max_seen_ = 0;
};

class CostBucket {
 public:
  CostBucket(double capacity, double restore_per_s);
  double Available(std::int64_t now_ms);
  // Charges `cost` when that many points are available; false (nothing charged) otherwise.
  bool TryCharge(double cost, std::int64_t now_ms);
  void Refund(double points, std::int64_t now_ms);
  double capacity() const { return capacity_; }
  double restore_per_s() const { return restore_per_s_; }
  double min_seen() const { return min_seen_; }

 private:
  void Restore(std::int64_t now_ms);

  double capacity_;
  double restore_per_s_;
  double available_;
  std::int64_t last_ms_ = 0;
  double min_seen_;
};

}  // namespace storeflow::shopify_sim
