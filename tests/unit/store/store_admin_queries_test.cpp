// Contract: the queries the admin API needs — workflow versions by workflow and
// events by creation time — on both backends.

#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

class StoreAdminQueriesTest : public StoreTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(StoreAdminQueriesTest);

TEST_P(StoreAdminQueriesTest, ListWorkflowVersionsNewestFirstOfOneWorkflow) {
  {
    auto tx = Begin();
    const WorkflowVersionRow rows[] = {
        {.hash = "h1",
         .workflow = "orders",
         .version = 1,
         .source_path = "o.yaml",
         .source = "v1",
         .created_at = kT0},
        {.hash = "h3",
         .workflow = "orders",
         .version = 2,
         .source_path = "o.yaml",
         .source = "v2",
         .created_at = kT0 + 20},
        {.hash = "h2",
         .workflow = "orders",
         .version = 2,
         .source_path = "o.yaml",
         .source = "v2b",
         .created_at = kT0 + 20},
        {.hash = "c1",
         .workflow = "carts",
         .version = 1,
         .source_path = "c.yaml",
         .source = "c",
         .created_at = kT0 + 30},
    };
    for (const auto& row : rows) ASSERT_TRUE(tx->PutWorkflowVersion(row).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  auto versions = tx->ListWorkflowVersions("orders");
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].hash, "h2");  // same time: by hash
  EXPECT_EQ((*versions)[1].hash, "h3");
  EXPECT_EQ((*versions)[2].hash, "h1");
  EXPECT_EQ((*versions)[2].source, "v1");
  EXPECT_EQ((*versions)[2].version, 1);
  auto none = tx->ListWorkflowVersions("nope");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreAdminQueriesTest, ListEventsFiltersByCreationTime) {
  std::vector<std::int64_t> ids;
  {
    auto tx = Begin();
    for (int i = 0; i < 4; ++i) {
      EventRow row{.topic = "t", .source = "s", .created_at = kT0 + i * 1000};
      auto id = tx->InsertEvent(row);
      ASSERT_TRUE(id.ok() && id->has_value());
      ids.push_back(**id);
    }
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  EventFilter filter;
  filter.created_from = kT0 + 1000;
  filter.created_until = kT0 + 3000;  // exclusive
  auto events = tx->ListEvents(filter);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].id, ids[2]);
  EXPECT_EQ((*events)[1].id, ids[1]);
  filter.created_until.reset();
  filter.before_id = ids[3];
  events = tx->ListEvents(filter);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].id, ids[2]);
}

}  // namespace
}  // namespace storeflow::store::testing
