#pragma once

// A TestHost whose rate_acquire / rate_adjust keep real token levels in memory
// (no refill unless a test refills by hand), recording every reservation, so
// tests can see what the governor reserved, refunded and capped.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "plugin_test_host.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify::testing {

struct Acquire {
  std::string bucket;
  double cost;
};

class BucketHost {
 public:
  BucketHost();
  ~BucketHost();
  BucketHost(const BucketHost&) = delete;
  BucketHost& operator=(const BucketHost&) = delete;

  plugins::testing::TestHost& test_host() { return host_; }
  const storeflow_host_v1* table() const { return &table_; }
  sdk::Host& api() { return sdk_; }

  double Level(const std::string& bucket);  // capacity when never used
  void SetLevel(const std::string& bucket, double level);
  std::vector<Acquire> Acquires();

 private:
  static std::int32_t RateAcquire(void* context, const char* bucket, double capacity, double refill,
                                  double cost, std::int64_t max_wait_ms,
                                  std::int64_t* retry_after_ms);
  static std::int32_t RateAdjust(void* context, const char* bucket, double capacity, double refill,
                                 double refund, double at_most, double* level);

  plugins::testing::TestHost host_;
  storeflow_host_v1 table_{};
  sdk::Host sdk_;
};

}  // namespace storeflow::plugins::shopify::testing
