#include "common/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace storeflow {

TokenBucket FullBucket(double capacity, std::int64_t now_ms) {
  return TokenBucket{capacity, now_ms};
}

void RefillTokens(TokenBucket& bucket, std::int64_t now_ms, double capacity,
                  double refill_per_second, double extra) {
  const double elapsed_s =
      static_cast<double>(std::max<std::int64_t>(0, now_ms - bucket.updated_ms)) / 1000;
  bucket.tokens = std::min(capacity, bucket.tokens + elapsed_s * refill_per_second + extra);
  bucket.updated_ms = std::max(bucket.updated_ms, now_ms);
}

TokenTake TakeTokens(TokenBucket& bucket, std::int64_t now_ms, double capacity,
                     double refill_per_second, double cost) {
  RefillTokens(bucket, now_ms, capacity, refill_per_second);
  if (bucket.tokens + 1e-9 >= cost) {
    bucket.tokens = std::max(0.0, bucket.tokens - cost);
    return {true, 0};
  }
  if (refill_per_second <= 0) return {false, -1};
  return {false,
          static_cast<std::int64_t>(std::ceil((cost - bucket.tokens) / refill_per_second * 1000))};
}

bool BucketFull(const TokenBucket& bucket, std::int64_t now_ms, double capacity,
                double refill_per_second) {
  TokenBucket copy = bucket;
  RefillTokens(copy, now_ms, capacity, refill_per_second);
  return copy.tokens + 1e-9 >= capacity;
}

}  // namespace storeflow
