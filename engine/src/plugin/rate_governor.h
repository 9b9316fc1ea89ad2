#pragma once

// The rate governor behind the host service rate_acquire: named token buckets.
// On SQLite (one engine process) the buckets live in this process; on
// PostgreSQL every take is a short transaction on the bucket's row
// (rate_buckets, row-locked), so all engines on the database share the budget.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/token_bucket.h"
#include "runtime/clock.h"
#include "store/store.h"

namespace storeflow::plugin {

struct RateDecision {
  bool taken = false;
  std::int64_t retry_after_ms = 0;  // when not taken; -1: never (no refill)
};

class RateGovernor {
 public:
  // `store` may be null (in-process buckets). `clock` gives the time buckets
  // refill by; waiting happens on the real clock and only when it is not virtual.
  RateGovernor(store::Store* store, runtime::Clock& clock);

  // Takes `cost` tokens from `bucket` (capacity, refill per second as described
  // in plugin.h), waiting up to `max_wait_ms` for them. InvalidArgument for
  // capacity <= 0, cost <= 0, cost > capacity or refill < 0.
  Result<RateDecision> Acquire(const std::string& bucket, double capacity, double refill_per_second,
                               double cost, std::int64_t max_wait_ms);

  // One attempt, no waiting.
  Result<RateDecision> TryTake(const std::string& bucket, double capacity, double refill_per_second,
                               double cost);

  // Corrects `bucket` after the fact (host service rate_adjust, ABI 1.1): gives
  // back `refund` tokens (capped at capacity), then lowers the level to `at_most`
  // when at_most >= 0 and the level is higher. Returns the level after.
  // InvalidArgument for capacity <= 0, refund < 0 or refill < 0.
  Result<double> Adjust(const std::string& bucket, double capacity, double refill_per_second,
                        double refund, double at_most);

  // The level of an in-process bucket as of its last use (a read does not
  // refill it); nullopt for a bucket never used, and for shared buckets (the
  // plugin test kit reads its levels here).
  std::optional<double> Level(const std::string& bucket);

  bool shared() const { return shared_; }  // true: through the database

 private:
  store::Store* store_;
  runtime::Clock& clock_;
  bool shared_;
  std::mutex mu_;
  std::map<std::string, TokenBucket> buckets_;  // in-process (SQLite)
};

}  // namespace storeflow::plugin
