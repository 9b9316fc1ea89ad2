#pragma once

// A token bucket: holds up to `capacity` tokens and gains `refill_per_second`
// of them as time passes; a take of `cost` succeeds when that many are there.
// Plain arithmetic on a value the caller keeps (and locks): the plugin rate
// governor's in-process buckets and the REST triggers' per-client limits.

#include <cstdint>

namespace storeflow {

struct TokenBucket {
  double tokens = 0;
  std::int64_t updated_ms = 0;  // the time `tokens` was computed at
};

struct TokenTake {
  bool taken = false;
  std::int64_t retry_after_ms = 0;  // when not taken: until `cost` tokens are there; -1: never
};

// A bucket that is full at `now_ms`.
TokenBucket FullBucket(double capacity, std::int64_t now_ms);

// Adds what accrued since updated_ms (capped at capacity; a clock going back
// adds nothing), then takes `cost` if it can.
TokenTake TakeTokens(TokenBucket& bucket, std::int64_t now_ms, double capacity,
                     double refill_per_second, double cost);

// Adds what accrued since updated_ms plus `extra` tokens, capped at capacity.
void RefillTokens(TokenBucket& bucket, std::int64_t now_ms, double capacity,
                  double refill_per_second, double extra = 0);

// True when the bucket would be full at `now_ms` (an idle client's bucket).
bool BucketFull(const TokenBucket& bucket, std::int64_t now_ms, double capacity,
                double refill_per_second);

}  // namespace storeflow
