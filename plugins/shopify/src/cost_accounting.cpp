#include "cost_accounting.h"

#include <algorithm>
#include <cmath>

namespace storeflow::plugins::shopify {
namespace {

std::optional<double> Number(const sdk::Json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  double value = it->get<double>();
  if (!std::isfinite(value) || value < 0) return std::nullopt;
  return value;
}

}  // namespace

QueryCost ParseQueryCost(const sdk::Json& body) {
  QueryCost cost;
  if (!body.is_object()) return cost;
  auto ext = body.find("extensions");
  if (ext == body.end() || !ext->is_object()) return cost;
  auto c = ext->find("cost");
  if (c == ext->end() || !c->is_object()) return cost;
  cost.requested = Number(*c, "requestedQueryCost");
  cost.actual = Number(*c, "actualQueryCost");
  auto status = c->find("throttleStatus");
  if (status != c->end() && status->is_object()) {
    cost.maximum_available = Number(*status, "maximumAvailable");
    cost.currently_available = Number(*status, "currentlyAvailable");
    cost.restore_rate = Number(*status, "restoreRate");
  }
  return cost;
}

double Reservation(std::optional<double> cached_requested, std::optional<double> declared,
                   double fallback, double bucket) {
  double want = cached_requested ? *cached_requested : declared ? *declared : fallback;
  if (!std::isfinite(want)) want = fallback;
  return std::clamp(want, 1.0, bucket);
}

Correction CorrectGraphQL(double reserved, const QueryCost& cost, bool throttled) {
  Correction c;
  if (throttled) {
    c.refund = reserved;
  } else if (cost.actual) {
    c.refund = std::max(0.0, reserved - *cost.actual);
  }
  if (cost.currently_available) c.at_most = *cost.currently_available;
  return c;
}

Correction CorrectRest(double bucket, std::optional<int> used, std::optional<int> max,
                       bool rate_limited) {
  Correction c;
  if (rate_limited) {
    c.at_most = 0;
    return c;
  }
  if (used && max && *max > 0) {
    double left = std::max(0, *max - *used);
    c.at_most = left * bucket / static_cast<double>(*max);
  }
  return c;
}

std::int64_t ThrottleWaitMs(double requested, const QueryCost& cost, double restore_per_second) {
  double rate =
      cost.restore_rate && *cost.restore_rate > 0 ? *cost.restore_rate : restore_per_second;
  double available = cost.currently_available.value_or(0);
  double missing = std::max(0.0, requested - available);
  if (!(rate > 0)) return 1000;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(missing / rate * 1000)));
}

namespace {

// What may still be waited: negative once the deadline (less the margin) or the
// plugin's cap is behind us.
std::int64_t RawBudgetMs(std::int64_t now_ms, std::optional<std::int64_t> deadline_ms,
                         std::int64_t waited_ms, std::int64_t max_wait_ms, std::int64_t margin_ms) {
  std::int64_t budget = max_wait_ms - waited_ms;
  if (deadline_ms) budget = std::min(budget, *deadline_ms - now_ms - margin_ms);
  return budget;
}

}  // namespace

std::int64_t WaitBudgetMs(std::int64_t now_ms, std::optional<std::int64_t> deadline_ms,
                          std::int64_t waited_ms, std::int64_t max_wait_ms,
                          std::int64_t margin_ms) {
  return std::max<std::int64_t>(
      0, RawBudgetMs(now_ms, deadline_ms, waited_ms, max_wait_ms, margin_ms));
}

RetryDecision DecideRetry(std::int64_t wait_ms, std::int64_t now_ms,
                          std::optional<std::int64_t> deadline_ms, std::int64_t waited_ms,
                          std::int64_t max_wait_ms, std::int64_t margin_ms) {
  RetryDecision d;
  wait_ms = std::max<std::int64_t>(0, wait_ms);
  if (wait_ms <= RawBudgetMs(now_ms, deadline_ms, waited_ms, max_wait_ms, margin_ms)) {
    d.retry = true;
    d.wait_ms = wait_ms;
  } else {
    d.retry_after_ms = std::max<std::int64_t>(1, wait_ms);
  }
  return d;
}

}  // namespace storeflow::plugins::shopify
