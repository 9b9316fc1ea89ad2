#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "cost_accounting.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify {

// The shop's API budget, held by the host's rate governor (rate_acquire /
// rate_adjust) so that every worker and, on PostgreSQL, every engine shares one
// bucket per shop and API. Also remembers each GraphQL operation's last
// requestedQueryCost (per process: a first call elsewhere only costs one guess).
class BudgetGovernor {
 public:
  explicit BudgetGovernor(const sdk::Host& host) : host_(host) {}

  // Takes `cost` tokens, waiting up to `max_wait_ms`. Returns nullopt when
  // taken, else how long until they will be there.
  std::optional<std::int64_t> Take(const std::string& bucket, double capacity, double refill,
                                   double cost, std::int64_t max_wait_ms) const;

  // Applies `correction` (refund, then cap); returns the level after when the
  // host can say (ABI 1.1), and sets the bucket_level gauge.
  std::optional<double> Correct(const std::string& bucket, double capacity, double refill,
                                const Correction& correction, const sdk::Json& labels) const;

  std::optional<double> CachedCost(const std::string& key) const;
  void RememberCost(const std::string& key, double requested);

 private:
  const sdk::Host& host_;
  mutable std::mutex mu_;
  std::map<std::string, double> costs_;
};

}  // namespace storeflow::plugins::shopify
