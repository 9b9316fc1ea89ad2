#pragma once

// How long to wait before the next try of a failed step.

#include <optional>
#include <random>

#include "common/duration.h"

namespace storeflow::runtime {

// A retry policy with every duration resolved (templates already evaluated).
struct RetrySchedule {
  int attempts = 1;  // total tries, the first included
  bool exponential = true;
  Duration delay{1000};
  std::optional<Duration> max_delay;
  bool full_jitter = false;
};

// The delay before try number `failures + 1`, given `failures` (>= 1) failed tries:
//   constant:    delay
//   exponential: delay * 2^(failures-1)
// capped at max_delay; with full jitter a uniform draw from [0, that]. A server's
// retry-after hint wins when it asks for longer (it is not capped: the peer knows
// when it will take the call again).
Duration RetryDelay(const RetrySchedule& schedule, int failures,
                    std::optional<Duration> retry_after, std::mt19937_64& random);

}  // namespace storeflow::runtime
