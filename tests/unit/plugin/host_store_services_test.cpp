// Host services backed by the store, on both backends: each plugin's key/value
// space is its own; the rate governor's buckets (in process on SQLite, shared
// through the database on PostgreSQL).

#include <atomic>
#include <thread>

#include "plugin/host_services.h"
#include "plugin/rate_governor.h"
#include "runtime/clock.h"
#include "store_fixture.h"

namespace storeflow::plugin {
namespace {

using store::testing::kT0;

class HostStoreServicesTest : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    rate_ = std::make_unique<RateGovernor>(store_.get(), clock_);
    auto env = std::make_shared<HostEnvironment>();
    env->store = store_.get();
    env->clock = &clock_;
    env->rate = rate_.get();
    env->log = [](std::string_view, std::string_view) {};
    env_ = env;
    email_ = std::make_unique<HostServices>("email", env_);
    storage_ = std::make_unique<HostServices>("storage", env_);
  }
  void TearDown() override {
    email_.reset();
    storage_.reset();
    rate_.reset();
    StoreTest::TearDown();
  }

  static std::optional<std::string> Get(const HostServices& s, const char* key) {
    std::string value;
    auto sink = [](void* user, const char* data, size_t size) {
      static_cast<std::string*>(user)->assign(data, size);
    };
    const storeflow_host_v1* h = s.table();
    std::int32_t found = h->kv_get(h->context, key, sink, &value);
    EXPECT_GE(found, 0);
    if (found != 1) return std::nullopt;
    return value;
  }
  static std::int32_t Put(const HostServices& s, const char* key, const std::string& value,
                          std::int64_t ttl_ms = 0) {
    const storeflow_host_v1* h = s.table();
    return h->kv_put(h->context, key, value.data(), value.size(), ttl_ms);
  }
  static std::int32_t Delete(const HostServices& s, const char* key) {
    const storeflow_host_v1* h = s.table();
    return h->kv_delete(h->context, key);
  }
  static std::int32_t Acquire(const HostServices& s, const char* bucket, double capacity,
                              double refill, double cost, std::int64_t* retry_after) {
    const storeflow_host_v1* h = s.table();
    return h->rate_acquire(h->context, bucket, capacity, refill, cost, 0, retry_after);
  }

  runtime::VirtualClock clock_{kT0};
  std::unique_ptr<RateGovernor> rate_;
  std::shared_ptr<const HostEnvironment> env_;
  std::unique_ptr<HostServices> email_;
  std::unique_ptr<HostServices> storage_;
};
STOREFLOW_INSTANTIATE_STORE_TESTS(HostStoreServicesTest);

TEST_P(HostStoreServicesTest, EachPluginHasItsOwnKeyValueSpace) {
  ASSERT_EQ(Put(*email_, "token", "email's"), 0);
  EXPECT_EQ(Get(*email_, "token"), "email's");
  EXPECT_EQ(Get(*storage_, "token"), std::nullopt);
  ASSERT_EQ(Put(*storage_, "token", "storage's"), 0);
  EXPECT_EQ(Get(*email_, "token"), "email's");
  EXPECT_EQ(Delete(*storage_, "token"), 1);
  EXPECT_EQ(Delete(*storage_, "token"), 0);
  EXPECT_EQ(Get(*email_, "token"), "email's");
}

TEST_P(HostStoreServicesTest, KeyValueTtlFollowsTheEngineClock) {
  ASSERT_EQ(Put(*email_, "session", "abc", 60'000), 0);
  clock_.AdvanceTo(kT0 + 59'999);
  EXPECT_EQ(Get(*email_, "session"), "abc");
  clock_.AdvanceTo(kT0 + 60'000);
  EXPECT_EQ(Get(*email_, "session"), std::nullopt);
}

TEST_P(HostStoreServicesTest, KeyValueRefusesBadArguments) {
  const storeflow_host_v1* h = email_->table();
  EXPECT_EQ(h->kv_put(h->context, "", "x", 1, 0), -1);
  EXPECT_EQ(h->kv_put(h->context, "k", "x", 1, -5), -1);
  EXPECT_EQ(h->kv_put(h->context, std::string(600, 'k').c_str(), "x", 1, 0), -1);
}

TEST_P(HostStoreServicesTest, RateBucketsRefillOnTheEngineClockAndArePerPlugin) {
  std::int64_t retry = 0;
  EXPECT_EQ(Acquire(*email_, "smtp", 2, 0.5, 1, &retry), 1);
  EXPECT_EQ(Acquire(*email_, "smtp", 2, 0.5, 1, &retry), 1);
  EXPECT_EQ(Acquire(*email_, "smtp", 2, 0.5, 1, &retry), 0);
  EXPECT_EQ(retry, 2000);  // one token at 0.5/s
  // Another plugin's bucket of the same name is another bucket.
  EXPECT_EQ(Acquire(*storage_, "smtp", 2, 0.5, 1, &retry), 1);
  clock_.AdvanceTo(kT0 + 2000);
  EXPECT_EQ(Acquire(*email_, "smtp", 2, 0.5, 1, &retry), 1);
  EXPECT_EQ(Acquire(*email_, "smtp", 2, 0.5, 1, &retry), 0);
  EXPECT_EQ(Acquire(*email_, "smtp", 1, 1, 2, &retry), -1);  // cost > capacity
  EXPECT_EQ(rate_->shared(), is_pg());
}

TEST_P(HostStoreServicesTest, AcquireWaitsForTokensOnTheRealClock) {
  runtime::SystemClock real;
  RateGovernor governor(store_.get(), real);
  // No waiting allowed: a bucket that refills once in 1000 s stays empty however
  // slowly this runs.
  ASSERT_TRUE(governor.Acquire("slow", 1, 0.001, 1, 0)->taken);
  EXPECT_FALSE(governor.Acquire("slow", 1, 0.001, 1, 0)->taken);
  // A token every 50 ms: the second one can only be had 50 ms after the first,
  // so at least that long after `start` (timed from before the first).
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(governor.Acquire("w", 1, 20, 1, 0)->taken);
  auto waited = governor.Acquire("w", 1, 20, 1, 1000);
  ASSERT_TRUE(waited.ok());
  EXPECT_TRUE(waited->taken);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(40));
}

// ABI 1.1 rate_adjust: a refund gives tokens back (never above the capacity), a
// lower `at_most` (what the remote API reports) caps the level, a higher one
// leaves it alone; the same per-plugin bucket names as rate_acquire.
TEST_P(HostStoreServicesTest, RateAdjustRefundsAndCapsTheLevel) {
  const storeflow_host_v1* h = email_->table();
  ASSERT_GE(h->struct_size, STOREFLOW_HOST_V1_1_SIZE);
  ASSERT_NE(h->rate_adjust, nullptr);
  std::int64_t retry = 0;
  double level = -1;
  ASSERT_EQ(Acquire(*email_, "gql", 100, 0, 80, &retry), 1);
  ASSERT_EQ(h->rate_adjust(h->context, "gql", 100, 0, 0, -1, &level), 1);  // read only
  EXPECT_DOUBLE_EQ(level, 20);
  ASSERT_EQ(h->rate_adjust(h->context, "gql", 100, 0, 50, -1, &level), 1);  // refund
  EXPECT_DOUBLE_EQ(level, 70);
  ASSERT_EQ(h->rate_adjust(h->context, "gql", 100, 0, 500, -1, &level), 1);
  EXPECT_DOUBLE_EQ(level, 100);                                            // capped at the capacity
  ASSERT_EQ(h->rate_adjust(h->context, "gql", 100, 0, 0, 30, &level), 1);  // server says 30
  EXPECT_DOUBLE_EQ(level, 30);
  ASSERT_EQ(h->rate_adjust(h->context, "gql", 100, 0, 0, 90, &level), 1);  // never raised
  EXPECT_DOUBLE_EQ(level, 30);
  EXPECT_EQ(Acquire(*email_, "gql", 100, 0, 31, &retry), 0);
  EXPECT_EQ(Acquire(*email_, "gql", 100, 0, 30, &retry), 1);
  // Another plugin's "gql" is another bucket (new: full).
  ASSERT_EQ(
      storage_->table()->rate_adjust(storage_->table()->context, "gql", 100, 0, 0, -1, &level), 1);
  EXPECT_DOUBLE_EQ(level, 100);
  // Refill follows the engine clock in adjustments too.
  ASSERT_EQ(h->rate_adjust(h->context, "slow", 10, 1, 0, 0, &level), 1);
  clock_.AdvanceTo(kT0 + 4000);
  ASSERT_EQ(h->rate_adjust(h->context, "slow", 10, 1, 0, -1, &level), 1);
  EXPECT_DOUBLE_EQ(level, 4);
  EXPECT_EQ(h->rate_adjust(h->context, "gql", 100, 0, -1, -1, &level), -1);  // negative refund
  EXPECT_EQ(h->rate_adjust(h->context, "gql", 0, 0, 1, -1, &level), -1);     // no capacity
  EXPECT_EQ(h->rate_adjust(h->context, "", 10, 0, 1, -1, &level), -1);
}

TEST_P(HostStoreServicesTest, RateAdjustIsSharedByEnginesOnPostgresql) {
  if (!is_pg()) GTEST_SKIP() << "buckets are shared through PostgreSQL only";
  auto other_store = OpenAnother();
  ASSERT_NE(other_store, nullptr);
  RateGovernor a(store_.get(), clock_);
  RateGovernor b(other_store.get(), clock_);
  ASSERT_TRUE(a.TryTake("shopify/s", 2000, 0, 1500)->taken);
  auto seen = b.Adjust("shopify/s", 2000, 0, 0, -1);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_DOUBLE_EQ(*seen, 500);
  ASSERT_TRUE(b.Adjust("shopify/s", 2000, 0, 1000, -1).ok());
  EXPECT_DOUBLE_EQ(*a.Adjust("shopify/s", 2000, 0, 0, -1), 1500);
}

// Two engines (two Store objects, each with its own governor) on one PostgreSQL
// database share a bucket: together they get exactly its capacity.
TEST_P(HostStoreServicesTest, TwoEnginesOnPostgresqlShareABucket) {
  if (!is_pg()) GTEST_SKIP() << "buckets are shared through PostgreSQL only";
  auto other_store = OpenAnother();
  ASSERT_NE(other_store, nullptr);
  RateGovernor a(store_.get(), clock_);
  RateGovernor b(other_store.get(), clock_);
  std::atomic<int> taken{0};
  auto worker = [&](RateGovernor* governor) {
    for (int i = 0; i < 15; ++i) {
      auto d = governor->TryTake("shopify/shop-1", 10, 0, 1);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      if (d->taken) ++taken;
    }
  };
  std::thread ta(worker, &a);
  std::thread tb(worker, &b);
  ta.join();
  tb.join();
  EXPECT_EQ(taken.load(), 10);
  EXPECT_FALSE(b.TryTake("shopify/shop-1", 10, 0, 1)->taken);
}

}  // namespace
}  // namespace storeflow::plugin
