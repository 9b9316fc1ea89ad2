#pragma once

// The arithmetic of the budget governor, as pure functions (no I/O, no clock)
// so every decision can be tested on its own.

#include <cstdint>
#include <optional>

#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify {

// `extensions.cost` of a GraphQL Admin answer.
struct QueryCost {
  std::optional<double> requested;  // requestedQueryCost
  std::optional<double> actual;     // actualQueryCost (null when throttled)
  std::optional<double> maximum_available;
  std::optional<double> currently_available;
  std::optional<double> restore_rate;
};

QueryCost ParseQueryCost(const sdk::Json& body);

// What to reserve before a GraphQL call: the operation's last requestedQueryCost
// if known, else the caller's declared estimate, else `fallback`; at least 1 and
// at most the bucket (a larger reservation could never be granted).
double Reservation(std::optional<double> cached_requested, std::optional<double> declared,
                   double fallback, double bucket);

// How to correct the shared bucket after an answer: give back what was reserved
// but not spent, and lower the level to what Shopify says is available (never
// raise it: other workers' reservations in flight are not in Shopify's number).
struct Correction {
  double refund = 0;    // >= 0
  double at_most = -1;  // -1: no cap
};
// `throttled`: the query did not run, so Shopify charged nothing: all of
// `reserved` comes back, and the level is capped at currentlyAvailable.
Correction CorrectGraphQL(double reserved, const QueryCost& cost, bool throttled);

// REST: after an answer carrying X-Shopify-Shop-Api-Call-Limit used/max, the
// bucket holds at most (bucket/max)*(max-used) calls (scaled when the configured
// bucket differs from the shop's); after a 429 it holds none.
Correction CorrectRest(double bucket, std::optional<int> used, std::optional<int> max,
                       bool rate_limited);

// How long until a throttled query of `requested` points can run again:
// from throttleStatus (currentlyAvailable, restoreRate), else at the configured
// restore rate from an empty bucket. At least 1 ms.
std::int64_t ThrottleWaitMs(double requested, const QueryCost& cost, double restore_per_second);

// Whether to wait `wait_ms` and try again inside the step, given the engine
// clock `now_ms`, the step's deadline (nullopt: none) and the plugin's own cap
// on waiting. Retries need `margin_ms` left after the wait for the call itself.
struct RetryDecision {
  bool retry = false;
  std::int64_t wait_ms = 0;         // when retry
  std::int64_t retry_after_ms = 0;  // when not: the hint for the engine
};
RetryDecision DecideRetry(std::int64_t wait_ms, std::int64_t now_ms,
                          std::optional<std::int64_t> deadline_ms, std::int64_t waited_ms,
                          std::int64_t max_wait_ms, std::int64_t margin_ms);

// How long a governed call may wait for budget now (for rate_acquire's max_wait_ms).
std::int64_t WaitBudgetMs(std::int64_t now_ms, std::optional<std::int64_t> deadline_ms,
                          std::int64_t waited_ms, std::int64_t max_wait_ms, std::int64_t margin_ms);

}  // namespace storeflow::plugins::shopify
