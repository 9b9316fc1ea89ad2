#include "runtime/retry_delay.h"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace storeflow::runtime {

Duration RetryDelay(const RetrySchedule& schedule, int failures,
                    std::optional<Duration> retry_after, std::mt19937_64& random) {
  std::int64_t base = std::max<std::int64_t>(0, schedule.delay.count());
  if (schedule.exponential && failures > 1) {
    // Double without overflowing: stop once past any cap we could apply.
    constexpr std::int64_t kCeiling = std::numeric_limits<std::int64_t>::max() / 4;
    for (int i = 1; i < failures && base < kCeiling; ++i) base *= 2;
    base = std::min(base, kCeiling);
  }
  if (schedule.max_delay) base = std::min(base, schedule.max_delay->count());
  if (schedule.full_jitter && base > 0) {
    std::uniform_int_distribution<std::int64_t> draw(0, base);
    base = draw(random);
  }
  if (retry_after && retry_after->count() > base) base = retry_after->count();
  return Duration(base);
}

}  // namespace storeflow::runtime
