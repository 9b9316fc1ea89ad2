// Contract: workflow versions, events and their keys, records, effects, dedupe
// and schedules — on both backends.

#include <barrier>
#include <thread>

#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

class StoreDataTest : public StoreTest {
 protected:
  std::optional<std::int64_t> InsertEvent(const std::string& topic, const std::string& source,
                                          std::optional<std::string> dedup_key,
                                          TimeMs created_at = kT0) {
    auto tx = Begin();
    EventRow row{.topic = topic,
                 .source = source,
                 .dedup_key = std::move(dedup_key),
                 .payload = {{"topic", topic}},
                 .created_at = created_at};
    auto id = tx->InsertEvent(row);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_TRUE(tx->Commit().ok());
    return id.ok() ? *id : std::nullopt;
  }
};
STOREFLOW_INSTANTIATE_STORE_TESTS(StoreDataTest);

TEST_P(StoreDataTest, WorkflowVersionsAreContentAddressed) {
  const WorkflowVersionRow row{.hash = "abc123",
                               .workflow = "orders",
                               .version = 3,
                               .source_path = "workflows/orders.yaml",
                               .source = "workflow: orders\n",
                               .created_at = kT0};
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->PutWorkflowVersion(row).ok());
    ASSERT_TRUE(tx->PutWorkflowVersion(row).ok());  // idempotent
    WorkflowVersionRow other = row;
    other.source = "something else";
    ASSERT_TRUE(tx->PutWorkflowVersion(other).ok());  // same hash: the first stays
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  auto got = tx->GetWorkflowVersion("abc123");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->workflow, "orders");
  EXPECT_EQ((*got)->version, 3);
  EXPECT_EQ((*got)->source_path, "workflows/orders.yaml");
  EXPECT_EQ((*got)->source, "workflow: orders\n");
  EXPECT_EQ((*got)->created_at, kT0);
  auto missing = tx->GetWorkflowVersion("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StoreDataTest, EventsAreDeduplicatedPerSource) {
  const auto first = InsertEvent("shopify/orders/create", "shopify", "wh-1");
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(InsertEvent("shopify/orders/create", "shopify", "wh-1").has_value());
  EXPECT_TRUE(InsertEvent("shopify/orders/create", "sqs", "wh-1").has_value());
  // Without a dedup key nothing is deduplicated.
  const auto a = InsertEvent("order.paid", "emit", std::nullopt);
  const auto b = InsertEvent("order.paid", "emit", std::nullopt);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);

  auto tx = Begin();
  EventRow row{.topic = "t",
               .source = "http",
               .payload = {{"a", 1}},
               .meta = {{"headers", {{"X-Id", "1"}}}},
               .created_at = kT0 + 7};
  auto id = tx->InsertEvent(row);
  ASSERT_TRUE(id.ok() && id->has_value());
  auto got = tx->GetEvent(**id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->id, **id);
  EXPECT_EQ((*got)->topic, "t");
  EXPECT_EQ((*got)->source, "http");
  EXPECT_FALSE((*got)->dedup_key.has_value());
  EXPECT_EQ((*got)->payload, row.payload);
  EXPECT_EQ((*got)->meta, row.meta);
  EXPECT_EQ((*got)->created_at, kT0 + 7);
  auto missing = tx->GetEvent(**id + 1000);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StoreDataTest, ListEventsNewestFirstWithFiltersAndPaging) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(*InsertEvent(i % 2 == 0 ? "a" : "b", i < 3 ? "http" : "emit", std::nullopt));
  }
  auto tx = Begin();
  auto list = [&](EventFilter f) {
    auto rows = tx->ListEvents(f);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::int64_t> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out.push_back(r.id);
    }
    return out;
  };
  EXPECT_EQ(list({.limit = 2}), (std::vector<std::int64_t>{ids[4], ids[3]}));
  EXPECT_EQ(list({.before_id = ids[3], .limit = 2}), (std::vector<std::int64_t>{ids[2], ids[1]}));
  EXPECT_EQ(list({.before_id = ids[1], .limit = 2}), (std::vector<std::int64_t>{ids[0]}));
  EXPECT_EQ(list({.topic = "a"}), (std::vector<std::int64_t>{ids[4], ids[2], ids[0]}));
  EXPECT_EQ(list({.source = "emit"}), (std::vector<std::int64_t>{ids[4], ids[3]}));
  EXPECT_EQ(list({.topic = "a", .source = "http"}), (std::vector<std::int64_t>{ids[2], ids[0]}));
}

TEST_P(StoreDataTest, EventKeysFindEventsSinceAndAfter) {
  const std::string topic = "shopify/orders/create";
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(*InsertEvent(topic, "shopify", std::nullopt, kT0 + i * 100));
  }
  {
    auto tx = Begin();
    for (int i = 0; i < 4; ++i) {
      const std::string cart = i == 2 ? "cart-2" : "cart-1";
      ASSERT_TRUE(tx->InsertEventKeys(ids[i], topic, {{"cart_token", cart}, {"email", "x@y"}},
                                      kT0 + i * 100)
                      .ok());
    }
    // Re-inserting the same keys is harmless.
    ASSERT_TRUE(tx->InsertEventKeys(ids[0], topic, {{"cart_token", "cart-1"}}, kT0).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  auto find = [&](const std::string& value, TimeMs since, std::int64_t after, int limit) {
    auto found = tx->FindEventsByKey(topic, "cart_token", value, since, after, limit);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? *found : std::vector<std::int64_t>{};
  };
  EXPECT_EQ(find("cart-1", 0, 0, 10), (std::vector<std::int64_t>{ids[0], ids[1], ids[3]}));
  EXPECT_EQ(find("cart-1", kT0 + 100, 0, 10), (std::vector<std::int64_t>{ids[1], ids[3]}));
  EXPECT_EQ(find("cart-1", 0, ids[1], 10), (std::vector<std::int64_t>{ids[3]}));
  EXPECT_EQ(find("cart-1", 0, 0, 1), (std::vector<std::int64_t>{ids[0]}));
  EXPECT_EQ(find("cart-2", 0, 0, 10), (std::vector<std::int64_t>{ids[2]}));
  EXPECT_EQ(find("cart-3", 0, 0, 10), std::vector<std::int64_t>{});
  auto other_topic = tx->FindEventsByKey("other", "cart_token", "cart-1", 0, 0, 10);
  ASSERT_TRUE(other_topic.ok());
  EXPECT_TRUE(other_topic->empty());
}

TEST_P(StoreDataTest, PurgeEventsDeletesOldOnesWithTheirKeys) {
  const auto old1 = *InsertEvent("t", "s", std::nullopt, kT0);
  const auto old2 = *InsertEvent("t", "s", std::nullopt, kT0 + 1);
  const auto fresh = *InsertEvent("t", "s", std::nullopt, kT0 + 100);
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->InsertEventKeys(old1, "t", {{"k", "v"}}, kT0).ok());
    ASSERT_TRUE(tx->InsertEventKeys(fresh, "t", {{"k", "v"}}, kT0 + 100).ok());
    auto purged = tx->PurgeEvents(kT0 + 50, 1);
    ASSERT_TRUE(purged.ok()) << purged.status().ToString();
    EXPECT_EQ(*purged, 1);
    purged = tx->PurgeEvents(kT0 + 50, 100);
    ASSERT_TRUE(purged.ok());
    EXPECT_EQ(*purged, 1);
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  EXPECT_FALSE(tx->GetEvent(old1)->has_value());
  EXPECT_FALSE(tx->GetEvent(old2)->has_value());
  EXPECT_TRUE(tx->GetEvent(fresh)->has_value());
  EXPECT_EQ(*tx->FindEventsByKey("t", "k", "v", 0, 0, 10), std::vector<std::int64_t>{fresh});
}

TEST_P(StoreDataTest, RecordsPutGetDeleteAndListByPrefix) {
  {
    auto tx = Begin();
    EXPECT_EQ(*tx->PutRecord("carts", "c1", {{"total", 10}}, kT0), 1);
    EXPECT_EQ(*tx->PutRecord("carts", "c1", {{"total", 12}}, kT0 + 1), 2);
    EXPECT_EQ(*tx->PutRecord("carts", "c1", {{"total", 12}}, kT0 + 2), 3);
    for (const char* key : {"c2", "c10", "d1", "c", "b9"}) {
      ASSERT_TRUE(tx->PutRecord("carts", key, {{"k", key}}, kT0).ok());
    }
    ASSERT_TRUE(tx->PutRecord("orders", "c3", Json::array({1, 2}), kT0).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  auto got = tx->GetRecord("carts", "c1");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  EXPECT_EQ((*got)->collection, "carts");
  EXPECT_EQ((*got)->key, "c1");
  EXPECT_EQ((*got)->value, Json({{"total", 12}}));
  EXPECT_EQ((*got)->revision, 3);
  EXPECT_EQ((*got)->updated_at, kT0 + 2);
  EXPECT_FALSE(tx->GetRecord("orders", "c1")->has_value());

  auto keys = [&](const std::string& prefix, const std::string& after, int limit) {
    auto rows = tx->ListRecords("carts", prefix, after, limit);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out.push_back(r.key);
    }
    return out;
  };
  EXPECT_EQ(keys("c", "", 10), (std::vector<std::string>{"c", "c1", "c10", "c2"}));
  EXPECT_EQ(keys("c1", "", 10), (std::vector<std::string>{"c1", "c10"}));
  EXPECT_EQ(keys("c", "", 2), (std::vector<std::string>{"c", "c1"}));
  EXPECT_EQ(keys("c", "c1", 2), (std::vector<std::string>{"c10", "c2"}));
  EXPECT_EQ(keys("c", "c2", 2), std::vector<std::string>{});
  EXPECT_EQ(keys("", "", 100), (std::vector<std::string>{"b9", "c", "c1", "c10", "c2", "d1"}));
  EXPECT_EQ(keys("", "c2", 100), (std::vector<std::string>{"d1"}));
  EXPECT_EQ(keys("x", "", 100), std::vector<std::string>{});

  auto deleted = tx->DeleteRecord("carts", "c1");
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(*deleted);
  EXPECT_FALSE(*tx->DeleteRecord("carts", "c1"));
  EXPECT_FALSE(tx->GetRecord("carts", "c1")->has_value());
  // Put after delete starts again at revision 1.
  EXPECT_EQ(*tx->PutRecord("carts", "c1", {{"total", 1}}, kT0 + 3), 1);
}

TEST_P(StoreDataTest, CountRecordsByPrefixAndVersionAndTellsTombstones) {
  auto tx = Begin();
  ASSERT_TRUE(tx->PutRecordIfNewer("orders", "a/1", {{"id", 1}}, 100, kT0).ok());
  ASSERT_TRUE(tx->PutRecordIfNewer("orders", "a/2", {{"id", 2}}, 200, kT0).ok());
  ASSERT_TRUE(tx->PutRecordIfNewer("orders", "a/3", {{"id", 3}, {"deleted", true}}, 300, kT0).ok());
  // Not tombstones: a nested "deleted": true, and the words in a string.
  ASSERT_TRUE(
      tx->PutRecordIfNewer("orders", "a/4", {{"line", {{"deleted", true}}}}, 400, kT0).ok());
  ASSERT_TRUE(tx->PutRecordIfNewer("orders", "a/5", {{"note", "\"deleted\":true"}}, 500, kT0).ok());
  ASSERT_TRUE(tx->PutRecordIfNewer("orders", "b/1", {{"id", 1}}, 900, kT0).ok());
  ASSERT_TRUE(tx->PutRecord("orders", "a/6", {{"id", 6}}, kT0).ok());  // no version
  ASSERT_TRUE(tx->PutRecordIfNewer("other", "a/1", {{"id", 1}}, 100, kT0).ok());

  auto all = tx->CountRecords("orders", "", std::nullopt, std::nullopt);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->records, 7);
  EXPECT_EQ(all->tombstones, 1);
  EXPECT_EQ(all->max_version, 900);
  auto shop_a = tx->CountRecords("orders", "a/", std::nullopt, std::nullopt);
  EXPECT_EQ(shop_a->records, 6);
  EXPECT_EQ(shop_a->max_version, 500);
  // A version bound leaves out records written without one; max is exclusive.
  auto window = tx->CountRecords("orders", "a/", 200, 500);
  EXPECT_EQ(window->records, 3);  // a/2, a/3, a/4
  EXPECT_EQ(window->tombstones, 1);
  EXPECT_EQ(window->max_version, 400);
  auto none = tx->CountRecords("orders", "c/", 0, std::nullopt);
  EXPECT_EQ(none->records, 0);
  EXPECT_FALSE(none->max_version.has_value());
}

TEST_P(StoreDataTest, FencedPutWritesOnlyOverAnOlderVersion) {
  // Versions beyond 2^53 stay exact (Shopify ids and microsecond times).
  const std::int64_t big = (std::int64_t{1} << 53) + 1;
  auto tx = Begin();
  EXPECT_EQ(**tx->PutRecordIfNewer("p", "1", {{"v", 1}}, big, kT0), 1);
  EXPECT_FALSE(tx->PutRecordIfNewer("p", "1", {{"v", 0}}, big - 1, kT0 + 1)->has_value());
  EXPECT_FALSE(tx->PutRecordIfNewer("p", "1", {{"v", 9}}, big, kT0 + 1)->has_value());  // same
  auto got = tx->GetRecord("p", "1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, Json({{"v", 1}}));
  EXPECT_EQ((*got)->version, big);
  EXPECT_EQ((*got)->revision, 1);
  EXPECT_EQ(**tx->PutRecordIfNewer("p", "1", {{"v", 2}}, big + 1, kT0 + 2), 2);
  got = tx->GetRecord("p", "1");
  EXPECT_EQ((*got)->value, Json({{"v", 2}}));
  EXPECT_EQ((*got)->version, big + 1);
  EXPECT_EQ((*got)->updated_at, kT0 + 2);
  // A plain put keeps the version; a record written plainly has none, and any
  // fenced write goes over it.
  EXPECT_EQ(*tx->PutRecord("p", "1", {{"v", 3}}, kT0 + 3), 3);
  EXPECT_EQ((*tx->GetRecord("p", "1"))->version, big + 1);
  ASSERT_TRUE(tx->PutRecord("p", "2", {{"v", 1}}, kT0).ok());
  EXPECT_FALSE((*tx->GetRecord("p", "2"))->version.has_value());
  EXPECT_EQ(**tx->PutRecordIfNewer("p", "2", {{"v", 2}}, 5, kT0), 2);
  auto listed = tx->ListRecords("p", "", "", 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].version, 5);
  ASSERT_TRUE(tx->Commit().ok());
}

TEST_P(StoreDataTest, RecordPrefixesWorkWithUnicodeKeys) {
  {
    auto tx = Begin();
    for (const char* key : {"caf\u00e9/1", "caf\u00e9/2", "caf\u00ea", "caf\u00e9", "cafe",
                            "\u65e5\u672c/a", "\u65e5\u672c\u8a9e", "\U0001F600x"}) {
      ASSERT_TRUE(tx->PutRecord("u", key, {{"k", key}}, kT0).ok());
    }
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  auto keys = [&](const std::string& prefix) {
    auto rows = tx->ListRecords("u", prefix, "", 100);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out.push_back(r.key);
    }
    return out;
  };
  EXPECT_EQ(keys("caf\u00e9"),
            (std::vector<std::string>{"caf\u00e9", "caf\u00e9/1", "caf\u00e9/2"}));
  EXPECT_EQ(keys("\u65e5\u672c"),
            (std::vector<std::string>{"\u65e5\u672c/a", "\u65e5\u672c\u8a9e"}));
  EXPECT_EQ(keys("\U0001F600"), (std::vector<std::string>{"\U0001F600x"}));
  auto got = tx->GetRecord("u", "\u65e5\u672c\u8a9e");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, Json({{"k", "\u65e5\u672c\u8a9e"}}));
}

TEST_P(StoreDataTest, TheEffectLedgerKeepsTheLatestRecordOfAKey) {
  auto tx = Begin();
  auto none = tx->GetEffect("run-1/send/0");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(tx->RecordEffect("run-1/send/0", {{"attempt", 1}, {"state", "started"}}, kT0).ok());
  ASSERT_TRUE(tx->Commit().ok());
  auto tx2 = Begin();
  ASSERT_TRUE(tx2->RecordEffect("run-1/send/0",
                                {{"attempt", 1}, {"state", "succeeded"}, {"output", "m-1"}},
                                kT0 + 1)
                  .ok());
  ASSERT_TRUE(tx2->Commit().ok());
  auto tx3 = Begin();
  auto got = tx3->GetEffect("run-1/send/0");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, Json({{"attempt", 1}, {"state", "succeeded"}, {"output", "m-1"}}));
}

TEST_P(StoreDataTest, DedupeHoldsAKeyUntilItExpires) {
  auto tx = Begin();
  EXPECT_TRUE(*tx->ClaimDedupe("w", "order-1", kT0, kT0 + 100));
  EXPECT_FALSE(*tx->ClaimDedupe("w", "order-1", kT0 + 50, kT0 + 150));
  EXPECT_TRUE(*tx->ClaimDedupe("other", "order-1", kT0 + 50, kT0 + 150));  // per workflow
  EXPECT_FALSE(*tx->ClaimDedupe("w", "order-1", kT0 + 99, kT0 + 199));
  EXPECT_TRUE(*tx->ClaimDedupe("w", "order-1", kT0 + 100, kT0 + 200));   // expired: free again
  EXPECT_FALSE(*tx->ClaimDedupe("w", "order-1", kT0 + 150, kT0 + 250));  // held until +200
  EXPECT_TRUE(*tx->ClaimDedupe("w", "order-2", kT0, kT0 + 10));
  auto purged = tx->PurgeDedupe(kT0 + 150, 1);  // the one that expired first: order-2
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 1);
  EXPECT_FALSE(*tx->ClaimDedupe("other", "order-1", kT0 + 149, kT0 + 160));  // still there
  purged = tx->PurgeDedupe(kT0 + 150, 100);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 1);  // other/order-1; w/order-1 holds until +200
  EXPECT_TRUE(*tx->ClaimDedupe("w", "order-2", kT0 + 150, kT0 + 160));
  EXPECT_FALSE(*tx->ClaimDedupe("w", "order-1", kT0 + 150, kT0 + 250));
  ASSERT_TRUE(tx->Commit().ok());
}

TEST_P(StoreDataTest, PurgeEffectsDeletesTheOldestFirst) {
  auto tx = Begin();
  ASSERT_TRUE(tx->RecordEffect("run-1/a/0", {{"n", 1}}, kT0 + 20).ok());
  ASSERT_TRUE(tx->RecordEffect("run-1/b/0", {{"n", 2}}, kT0 + 10).ok());
  ASSERT_TRUE(tx->RecordEffect("run-2/a/0", {{"n", 3}}, kT0 + 100).ok());
  auto purged = tx->PurgeEffects(kT0 + 50, 1);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 1);
  EXPECT_FALSE(tx->GetEffect("run-1/b/0")->has_value());
  EXPECT_TRUE(tx->GetEffect("run-1/a/0")->has_value());
  EXPECT_EQ(*tx->PurgeEffects(kT0 + 50, 100), 1);
  EXPECT_FALSE(tx->GetEffect("run-1/a/0")->has_value());
  EXPECT_TRUE(tx->GetEffect("run-2/a/0")->has_value());
  ASSERT_TRUE(tx->Commit().ok());
}

TEST_P(StoreDataTest, SchedulesUpsertDueAndAdvance) {
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->UpsertSchedule({"report", 0, "0 * * * *", "UTC", kT0 + 1000}).ok());
    ASSERT_TRUE(tx->UpsertSchedule({"report", 1, "*/5 * * * *", "UTC", kT0 + 300}).ok());
    ASSERT_TRUE(tx->UpsertSchedule({"sync", 0, "* * * * *", "Europe/Paris", kT0 + 60}).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    // Same cron and timezone: the stored next_due_at stays (a restart doesn't skip a firing).
    auto tx = Begin();
    ASSERT_TRUE(tx->UpsertSchedule({"report", 0, "0 * * * *", "UTC", kT0 + 999'999}).ok());
    // Changed cron or timezone: the new next_due_at applies.
    ASSERT_TRUE(tx->UpsertSchedule({"report", 1, "*/10 * * * *", "UTC", kT0 + 600}).ok());
    ASSERT_TRUE(tx->UpsertSchedule({"sync", 0, "* * * * *", "UTC", kT0 + 120}).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  auto all = tx->ListSchedules();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].next_due_at, kT0 + 1000);
  EXPECT_EQ((*all)[1].cron, "*/10 * * * *");
  EXPECT_EQ((*all)[1].next_due_at, kT0 + 600);
  EXPECT_EQ((*all)[2].timezone, "UTC");
  EXPECT_EQ((*all)[2].next_due_at, kT0 + 120);

  auto due = tx->DueSchedules(kT0 + 600, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].workflow, "sync");
  EXPECT_EQ((*due)[1].workflow, "report");
  EXPECT_EQ((*due)[1].trigger_index, 1);
  EXPECT_EQ(tx->DueSchedules(kT0 + 600, 1)->size(), 1u);

  EXPECT_TRUE(*tx->AdvanceSchedule("sync", 0, kT0 + 120, kT0 + 180));
  EXPECT_FALSE(*tx->AdvanceSchedule("sync", 0, kT0 + 120, kT0 + 180));  // already advanced
  EXPECT_FALSE(*tx->AdvanceSchedule("missing", 0, kT0, kT0 + 1));
  EXPECT_TRUE(*tx->DeleteSchedule("report", 1));
  EXPECT_FALSE(*tx->DeleteSchedule("report", 1));
  EXPECT_EQ(tx->ListSchedules()->size(), 2u);
}

TEST_P(StoreDataTest, ConcurrentScheduleAdvancersHaveExactlyOneWinner) {
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->UpsertSchedule({"tick", 0, "* * * * *", "UTC", kT0}).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  std::unique_ptr<Store> other = is_pg() ? OpenAnother() : nullptr;
  Store* stores[2] = {store_.get(), is_pg() ? other.get() : store_.get()};
  for (int round = 0; round < 10; ++round) {
    const TimeMs expected = kT0 + round * 60'000;
    std::atomic<int> wins{0};
    std::atomic<int> failures{0};
    std::barrier start(2);
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto tx = stores[i]->Begin();
        if (!tx.ok()) {
          ++failures;
          return;
        }
        auto won = (*tx)->AdvanceSchedule("tick", 0, expected, expected + 60'000);
        if (!won.ok() || !(*tx)->Commit().ok()) {
          ++failures;
          return;
        }
        if (*won) ++wins;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(wins.load(), 1) << "round " << round;
  }
}

}  // namespace
}  // namespace storeflow::store::testing
