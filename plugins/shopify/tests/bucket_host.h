#pragma once

// The engine's host services for the shopify plugin, without loading its library
// (the plugin test kit's TestHost::WithoutPlugin): the real rate governor, whose
// rate_acquire / rate_adjust keep refilling token buckets, secrets, metrics and
// log over a SQLite store in memory, with the C++ sdk::Host over them and short
// names for what the shopify tests look at: what the governor reserved, refunded
// and capped. For the unit tests of ShopifyActions, which take the host table.

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "storeflow/plugin.hpp"
#include "storeflow/testkit.hpp"

namespace storeflow::plugins::shopify::testing {

using Acquire = storeflow::testkit::RateAcquire;

class BucketHost {
 public:
  explicit BucketHost(const std::map<std::string, std::string>& secrets = {})
      : host_(Make(secrets)), sdk_(host_->host_services()) {}
  BucketHost(const BucketHost&) = delete;
  BucketHost& operator=(const BucketHost&) = delete;

  storeflow::testkit::TestHost& test_host() { return *host_; }
  const storeflow_host_v1* table() const { return host_->host_services(); }
  sdk::Host& api() { return sdk_; }

  // The bucket's level as of its last use; -1 when never used.
  double Level(const std::string& bucket) const { return host_->RateLevel(bucket).value_or(-1); }
  void SetLevel(const std::string& bucket, double level) { host_->SetRateLevel(bucket, level); }
  std::vector<Acquire> Acquires() const { return host_->RateAcquires(); }

 private:
  static std::unique_ptr<storeflow::testkit::TestHost> Make(
      const std::map<std::string, std::string>& secrets) {
    storeflow::testkit::HostOptions options;
    options.secrets = secrets;
    auto host = storeflow::testkit::TestHost::WithoutPlugin("shopify", options);
    if (host->host_services() == nullptr) throw std::runtime_error(host->error());
    return host;
  }

  std::unique_ptr<storeflow::testkit::TestHost> host_;
  sdk::Host sdk_;
};

}  // namespace storeflow::plugins::shopify::testing
