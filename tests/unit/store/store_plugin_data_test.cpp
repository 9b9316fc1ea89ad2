// Contract: the plugin key/value spaces and the shared rate buckets (migration
// 0002) — on both backends.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

class StorePluginDataTest : public StoreTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(StorePluginDataTest);

TEST_P(StorePluginDataTest, KeyValuePutGetDeleteBytes) {
  const std::string bytes("a\0b\xff\x01 \xe2\x82\xac", 8);
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->KvPut("email", "k1", bytes, std::nullopt, kT0).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  auto got = tx->KvGet("email", "k1", kT0);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, bytes);
  ASSERT_TRUE(tx->KvPut("email", "k1", "second", std::nullopt, kT0 + 1).ok());
  EXPECT_EQ(tx->KvGet("email", "k1", kT0)->value_or(""), "second");
  auto deleted = tx->KvDelete("email", "k1", kT0);
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(*deleted);
  EXPECT_FALSE(*tx->KvDelete("email", "k1", kT0));
  EXPECT_FALSE(tx->KvGet("email", "k1", kT0)->has_value());
  ASSERT_TRUE(tx->Commit().ok());
}

TEST_P(StorePluginDataTest, KeyValueSpacesAreSeparatedByPlugin) {
  auto tx = Begin();
  ASSERT_TRUE(tx->KvPut("email", "shared", "from email", std::nullopt, kT0).ok());
  ASSERT_TRUE(tx->KvPut("storage", "shared", "from storage", std::nullopt, kT0).ok());
  EXPECT_EQ(tx->KvGet("email", "shared", kT0)->value_or(""), "from email");
  EXPECT_EQ(tx->KvGet("storage", "shared", kT0)->value_or(""), "from storage");
  EXPECT_FALSE(tx->KvGet("shopify", "shared", kT0)->has_value());
  EXPECT_TRUE(*tx->KvDelete("storage", "shared", kT0));
  EXPECT_EQ(tx->KvGet("email", "shared", kT0)->value_or(""), "from email");
  ASSERT_TRUE(tx->Commit().ok());
}

TEST_P(StorePluginDataTest, KeyValueEntriesExpire) {
  auto tx = Begin();
  ASSERT_TRUE(tx->KvPut("p", "short", "v", kT0 + 1000, kT0).ok());
  EXPECT_TRUE(tx->KvGet("p", "short", kT0 + 999)->has_value());
  EXPECT_FALSE(tx->KvGet("p", "short", kT0 + 1000)->has_value());
  // An expired entry does not count as deleted, and a put revives the key.
  EXPECT_FALSE(*tx->KvDelete("p", "short", kT0 + 2000));
  ASSERT_TRUE(tx->KvPut("p", "short", "again", std::nullopt, kT0 + 3000).ok());
  EXPECT_EQ(tx->KvGet("p", "short", kT0 + 999'999)->value_or(""), "again");
  ASSERT_TRUE(tx->Commit().ok());
}

TEST_P(StorePluginDataTest, PurgeExpiredKvDeletesOnlyExpiredEntries) {
  auto tx = Begin();
  ASSERT_TRUE(tx->KvPut("p", "early", "v", kT0 + 10, kT0).ok());
  ASSERT_TRUE(tx->KvPut("q", "later", "v", kT0 + 20, kT0).ok());
  ASSERT_TRUE(tx->KvPut("p", "live", "v", kT0 + 1000, kT0).ok());
  ASSERT_TRUE(tx->KvPut("p", "forever", "v", std::nullopt, kT0).ok());
  auto purged = tx->PurgeExpiredKv(kT0 + 100, 1);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 1);
  // Deleted rows are gone, not just hidden: a delete of them finds nothing at all.
  EXPECT_FALSE(*tx->KvDelete("p", "early", 0));
  EXPECT_EQ(*tx->PurgeExpiredKv(kT0 + 100, 10), 1);
  EXPECT_FALSE(*tx->KvDelete("q", "later", 0));
  EXPECT_EQ(*tx->PurgeExpiredKv(kT0 + 100, 10), 0);
  EXPECT_TRUE(tx->KvGet("p", "live", kT0 + 100)->has_value());
  EXPECT_TRUE(tx->KvGet("p", "forever", kT0 + 999'999)->has_value());
  ASSERT_TRUE(tx->Commit().ok());
}

TEST_P(StorePluginDataTest, TokenBucketStartsFullRefillsAndSaysWhenToRetry) {
  auto take = [&](double cost, TimeMs now) {
    auto tx = Begin();
    auto t = tx->TakeTokens("shop-1", 2, 1, cost, now);  // 2 tokens, 1 per second
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_TRUE(tx->Commit().ok());
    return t.ok() ? *t : RateTake{};
  };
  EXPECT_TRUE(take(1, kT0).taken);
  EXPECT_TRUE(take(1, kT0).taken);
  RateTake third = take(1, kT0);
  EXPECT_FALSE(third.taken);
  EXPECT_EQ(third.retry_after_ms, 1000);
  RateTake half = take(1, kT0 + 500);
  EXPECT_FALSE(half.taken);
  EXPECT_EQ(half.retry_after_ms, 500);
  EXPECT_TRUE(take(1, kT0 + 1000).taken);
  // Refill stops at the capacity.
  EXPECT_TRUE(take(2, kT0 + 60'000).taken);
  EXPECT_FALSE(take(1, kT0 + 60'000).taken);
}

TEST_P(StorePluginDataTest, TokenBucketRefusesNonsense) {
  auto tx = Begin();
  auto over = tx->TakeTokens("b", 1, 1, 2, kT0);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("'b'"), std::string::npos);
}

TEST_P(StorePluginDataTest, TokenBucketWithoutRefillNeverRefills) {
  auto tx = Begin();
  EXPECT_TRUE(tx->TakeTokens("once", 1, 0, 1, kT0)->taken);
  auto again = tx->TakeTokens("once", 1, 0, 1, kT0 + 1'000'000);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->taken);
  EXPECT_EQ(again->retry_after_ms, -1);
  ASSERT_TRUE(tx->Commit().ok());
}

// Two engines (two Store objects) on one PostgreSQL database take from one bucket
// concurrently: exactly `capacity` takes succeed.
TEST_P(StorePluginDataTest, TwoStoresShareOneBucket) {
  if (!is_pg()) GTEST_SKIP() << "SQLite allows one engine per database file";
  auto other = OpenAnother();
  ASSERT_NE(other, nullptr);
  std::atomic<int> taken{0};
  auto worker = [&](Store* store) {
    for (int i = 0; i < 20; ++i) {
      auto tx = store->Begin();
      ASSERT_TRUE(tx.ok());
      auto t = (*tx)->TakeTokens("api", 15, 0, 1, kT0);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      if ((*tx)->Commit().ok() && t->taken) ++taken;
    }
  };
  std::thread a(worker, store_.get());
  std::thread b(worker, other.get());
  a.join();
  b.join();
  EXPECT_EQ(taken.load(), 15);
}

}  // namespace
}  // namespace storeflow::store::testing
