#include "bucket_host.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace storeflow::plugins::shopify::testing {
namespace {

// The levels live here: every host function gets the TestHost as context, so
// the rate functions find their state through this one (tests are sequential).
std::mutex g_mu;
std::map<std::string, double> g_levels;
std::map<std::string, double> g_capacity;
std::vector<Acquire> g_acquires;
std::map<std::string, std::chrono::steady_clock::time_point> g_updated;

// The bucket's level, refilled on the real clock since its last change.
double& LevelOf(const std::string& bucket, double capacity, double refill) {
  const auto now = std::chrono::steady_clock::now();
  auto [it, created] = g_levels.try_emplace(bucket, capacity);
  g_capacity[bucket] = capacity;
  auto [at, fresh] = g_updated.try_emplace(bucket, now);
  const double elapsed_s = std::chrono::duration<double>(now - at->second).count();
  it->second = std::min(capacity, it->second + elapsed_s * refill);
  at->second = now;
  return it->second;
}

}  // namespace

BucketHost::BucketHost() : sdk_(&table_) {
  table_ = *host_.table();
  table_.rate_acquire = &RateAcquire;
  table_.rate_adjust = &RateAdjust;
  std::lock_guard lock(g_mu);
  g_levels.clear();
  g_capacity.clear();
  g_acquires.clear();
  g_updated.clear();
}

BucketHost::~BucketHost() = default;

double BucketHost::Level(const std::string& bucket) {
  std::lock_guard lock(g_mu);
  auto it = g_levels.find(bucket);
  return it == g_levels.end() ? -1 : it->second;
}

void BucketHost::SetLevel(const std::string& bucket, double level) {
  std::lock_guard lock(g_mu);
  g_levels[bucket] = level;
  g_updated[bucket] = std::chrono::steady_clock::now();
}

std::vector<Acquire> BucketHost::Acquires() {
  std::lock_guard lock(g_mu);
  return g_acquires;
}

std::int32_t BucketHost::RateAcquire(void*, const char* bucket, double capacity, double refill,
                                     double cost, std::int64_t max_wait_ms,
                                     std::int64_t* retry_after_ms) {
  // Like the engine's governor: waits (on the real clock) up to max_wait_ms.
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::max<std::int64_t>(0, max_wait_ms));
  bool recorded = false;
  while (true) {
    std::int64_t wait = 0;
    {
      std::lock_guard lock(g_mu);
      if (!(cost > 0) || cost > capacity) return -1;
      if (!recorded) g_acquires.push_back(Acquire{bucket, cost});
      recorded = true;
      double& level = LevelOf(bucket, capacity, refill);
      if (level + 1e-9 >= cost) {
        level -= cost;
        *retry_after_ms = 0;
        return 1;
      }
      wait = refill > 0 ? static_cast<std::int64_t>(std::ceil((cost - level) / refill * 1000)) : -1;
    }
    if (wait < 0 || std::chrono::steady_clock::now() + std::chrono::milliseconds(wait) > deadline) {
      *retry_after_ms = wait;
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
}

std::int32_t BucketHost::RateAdjust(void*, const char* bucket, double capacity, double refill,
                                    double refund, double at_most, double* level) {
  std::lock_guard lock(g_mu);
  if (!(refund >= 0)) return -1;
  double& l = LevelOf(bucket, capacity, refill);
  l = std::min(capacity, l + refund);
  if (at_most >= 0) l = std::min(l, at_most);
  if (level != nullptr) *level = l;
  return 1;
}

}  // namespace storeflow::plugins::shopify::testing
