// Contract: InsertEvents (group commit's multi-row event insert) — on both backends.

#include <set>

#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

class StoreEventBatchTest : public StoreTest {
 protected:
  static EventRow Event(const std::string& source, std::optional<std::string> dedup_key,
                        Json payload = {{"n", 1}}) {
    EventRow row;
    row.topic = source + "/orders/create";
    row.source = source;
    row.dedup_key = std::move(dedup_key);
    row.payload = std::move(payload);
    row.meta = {{"request_id", "r"}};
    row.created_at = kT0;
    return row;
  }

  std::vector<std::optional<std::int64_t>> Insert(const std::vector<EventRow>& rows,
                                                  const std::vector<std::string>& texts = {}) {
    auto tx = Begin();
    auto ids = tx->InsertEvents(rows, texts);
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    EXPECT_TRUE(tx->Commit().ok());
    return ids.ok() ? *ids : std::vector<std::optional<std::int64_t>>();
  }

  EventRow Get(std::int64_t id) {
    auto tx = Begin();
    auto got = tx->GetEvent(id);
    EXPECT_TRUE(got.ok() && got->has_value()) << "event " << id;
    return got.ok() && got->has_value() ? **got : EventRow();
  }
};
STOREFLOW_INSTANTIATE_STORE_TESTS(StoreEventBatchTest);

TEST_P(StoreEventBatchTest, InsertsEveryRowAndReturnsItsId) {
  std::vector<EventRow> rows;
  for (int i = 0; i < 5; ++i)
    rows.push_back(Event("shopify", "wh-" + std::to_string(i), {{"i", i}}));
  const auto ids = Insert(rows);
  ASSERT_EQ(ids.size(), 5u);
  std::set<std::int64_t> distinct;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(ids[i].has_value()) << i;
    distinct.insert(*ids[i]);
    const EventRow got = Get(*ids[i]);
    EXPECT_EQ(got.dedup_key, "wh-" + std::to_string(i));
    EXPECT_EQ(got.payload, Json({{"i", i}}));  // each id maps back to its own row
    EXPECT_EQ(got.meta, Json({{"request_id", "r"}}));
    EXPECT_EQ(got.topic, "shopify/orders/create");
    EXPECT_EQ(got.created_at, kT0);
  }
  EXPECT_EQ(distinct.size(), 5u);
}

TEST_P(StoreEventBatchTest, DuplicatesAreNulloptStoredOrWithinTheBatch) {
  ASSERT_TRUE(Insert({Event("shopify", "wh-old")}).front().has_value());
  const auto ids = Insert({Event("shopify", "wh-a", {{"first", true}}), Event("shopify", "wh-old"),
                           Event("shopify", "wh-a", {{"first", false}}), Event("sqs", "wh-a"),
                           Event("shopify", "wh-b")});
  ASSERT_EQ(ids.size(), 5u);
  ASSERT_TRUE(ids[0].has_value());
  EXPECT_FALSE(ids[1].has_value());  // already stored
  EXPECT_FALSE(ids[2].has_value());  // repeats row 0: row 0 is kept
  EXPECT_TRUE(ids[3].has_value());   // another source
  EXPECT_TRUE(ids[4].has_value());
  EXPECT_EQ(Get(*ids[0]).payload, Json({{"first", true}}));
  EXPECT_EQ(Get(*ids[3]).source, "sqs");
}

TEST_P(StoreEventBatchTest, RowsWithoutDedupKeyAreNeverDuplicates) {
  const auto ids = Insert({Event("emit", std::nullopt, {{"k", 1}}), Event("shopify", "wh-1"),
                           Event("emit", std::nullopt, {{"k", 2}}), Event("shopify", "wh-2")});
  ASSERT_EQ(ids.size(), 4u);
  for (const auto& id : ids) ASSERT_TRUE(id.has_value());
  EXPECT_NE(*ids[0], *ids[2]);
  EXPECT_EQ(Get(*ids[0]).payload, Json({{"k", 1}}));
  EXPECT_EQ(Get(*ids[2]).payload, Json({{"k", 2}}));
  EXPECT_FALSE(Get(*ids[0]).dedup_key.has_value());
  EXPECT_EQ(Get(*ids[3]).dedup_key, "wh-2");
}

TEST_P(StoreEventBatchTest, LargeBatchesMapEveryIdBack) {
  // More rows than one statement takes, in runs broken by rows without a key.
  std::vector<EventRow> rows;
  for (int i = 0; i < 300; ++i) {
    rows.push_back(i % 97 == 50 ? Event("emit", std::nullopt, {{"i", i}})
                                : Event("shopify", "wh-" + std::to_string(i), {{"i", i}}));
  }
  rows.push_back(Event("shopify", "wh-7"));  // a repeat of row 7
  const auto ids = Insert(rows);
  ASSERT_EQ(ids.size(), 301u);
  EXPECT_FALSE(ids[300].has_value());
  std::set<std::int64_t> distinct;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(ids[i].has_value()) << i;
    distinct.insert(*ids[i]);
  }
  EXPECT_EQ(distinct.size(), 300u);
  for (int i : {0, 1, 50, 63, 64, 65, 127, 128, 147, 200, 299}) {
    EXPECT_EQ(Get(*ids[i]).payload, Json({{"i", i}})) << i;
  }
  auto tx = Begin();
  EventFilter filter;
  filter.limit = 1000;
  auto listed = tx->ListEvents(filter);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 300u);
}

TEST_P(StoreEventBatchTest, PayloadTextIsStoredAsGiven) {
  const std::string text = "{\"b\": [1, 2.5, \"x\\u00e9\"], \"a\": {\"id\": 9007199254740993}}";
  const auto ids = Insert({Event("shopify", "wh-1", Json(Json::value_t::discarded)),
                           Event("shopify", "wh-2", {{"from", "payload"}})},
                          {text, ""});
  ASSERT_EQ(ids.size(), 2u);
  ASSERT_TRUE(ids[0] && ids[1]);
  const EventRow first = Get(*ids[0]);
  EXPECT_EQ(first.payload, Json::parse(text));
  EXPECT_EQ(first.payload["a"]["id"].get<std::int64_t>(), 9007199254740993);  // exact
  // An empty text: the payload value is serialised as InsertEvent does.
  EXPECT_EQ(Get(*ids[1]).payload, Json({{"from", "payload"}}));
}

TEST_P(StoreEventBatchTest, EmptyBatchAndMismatchedTexts) {
  auto tx = Begin();
  auto none = tx->InsertEvents({}, {});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  auto bad = tx->InsertEvents({Event("shopify", "wh-1"), Event("shopify", "wh-2")}, {"{}"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  // The transaction can only roll back now.
  EXPECT_EQ(tx->Commit().code(), StatusCode::kAborted);
}

TEST_P(StoreEventBatchTest, RolledBackBatchLeavesNothing) {
  {
    auto tx = Begin();
    auto ids = tx->InsertEvents({Event("shopify", "wh-1"), Event("shopify", "wh-2")}, {});
    ASSERT_TRUE(ids.ok());
  }  // destroyed without Commit: rolled back
  const auto ids = Insert({Event("shopify", "wh-1"), Event("shopify", "wh-2")});
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_TRUE(ids[0].has_value());
  EXPECT_TRUE(ids[1].has_value());
}

TEST_P(StoreEventBatchTest, ARepeatedReplayKeyIsADuplicateUnderAnyDedupKey) {
  // A replay: the same body (replay key) resent under a new dedup key.
  EventRow first = Event("shopify", "wh-1");
  first.replay_key = "t:abc";
  const auto stored = Insert({first});
  ASSERT_TRUE(stored[0].has_value());

  EventRow replay = Event("shopify", "wh-forged");
  replay.replay_key = "t:abc";
  EventRow other_body = Event("shopify", "wh-2");
  other_body.replay_key = "t:def";
  EventRow same_in_batch = Event("shopify", "wh-3");
  same_in_batch.replay_key = "t:def";
  EventRow other_source = Event("stripe", "wh-9");
  other_source.replay_key = "t:abc";
  EventRow no_replay_key = Event("shopify", "wh-4");
  const auto ids = Insert({replay, other_body, same_in_batch, other_source, no_replay_key});
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_FALSE(ids[0].has_value()) << "replayed under a new dedup key";
  EXPECT_TRUE(ids[1].has_value());
  EXPECT_FALSE(ids[2].has_value()) << "the same replay key twice in one batch";
  EXPECT_TRUE(ids[3].has_value()) << "replay keys are per source";
  EXPECT_TRUE(ids[4].has_value());
  EXPECT_EQ(Get(*ids[1]).dedup_key, "wh-2");  // ids still map back to their own rows
  EXPECT_EQ(Get(*ids[4]).dedup_key, "wh-4");

  // The single-row insert honours it too.
  auto tx = Begin();
  EventRow again = Event("shopify", "wh-forged-2");
  again.replay_key = "t:abc";
  auto one = tx->InsertEvent(again);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_FALSE(one->has_value());
  ASSERT_TRUE(tx->Commit().ok());
}

}  // namespace
}  // namespace storeflow::store::testing
