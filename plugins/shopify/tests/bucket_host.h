#pragma once

// The shared TestHost (plugins/storage/tests/support), whose rate_acquire /
// rate_adjust keep real, refilling token buckets, with the C++ sdk::Host over it
// and short names for what the shopify tests look at: what the governor
// reserved, refunded and capped.

#include <string>
#include <vector>

#include "plugin_test_host.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify::testing {

using Acquire = plugins::testing::TestHost::RateCall;

class BucketHost {
 public:
  BucketHost() : sdk_(host_.table()) {}
  BucketHost(const BucketHost&) = delete;
  BucketHost& operator=(const BucketHost&) = delete;

  plugins::testing::TestHost& test_host() { return host_; }
  const storeflow_host_v1* table() const { return host_.table(); }
  sdk::Host& api() { return sdk_; }

  // The bucket's level as of its last use; -1 when never used.
  double Level(const std::string& bucket) const { return host_.RateLevel(bucket).value_or(-1); }
  void SetLevel(const std::string& bucket, double level) { host_.SetRateLevel(bucket, level); }
  std::vector<Acquire> Acquires() const { return host_.RateAcquires(); }

 private:
  plugins::testing::TestHost host_;
  sdk::Host sdk_;
};

}  // namespace storeflow::plugins::shopify::testing
