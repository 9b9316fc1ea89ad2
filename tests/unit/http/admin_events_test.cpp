// /api/v1/events: list with filters and pages, show, replay into workflows.

#include "admin_test_util.h"

namespace storeflow::http::testing {
namespace {

using store::RunStatus;

class AdminEventsTest : public AdminApiTest {
 protected:
  std::int64_t PublishAt(const std::string& topic, const Json& payload, TimeMs at,
                         const std::string& source = "test") {
    clock_->AdvanceTo(at);
    store::EventRow event;
    event.topic = topic;
    event.source = source;
    event.payload = payload;
    auto outcome = engine_->Publish(event);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    return outcome.ok() && outcome->event_id ? *outcome->event_id : 0;
  }
};
STOREFLOW_INSTANTIATE_STORE_TESTS(AdminEventsTest);

TEST_P(AdminEventsTest, ListFiltersAndPages) {
  const auto e1 = PublishAt("order.created", {{"id", "1"}}, kT0);
  const auto e2 = PublishAt("order.paid", {{"id", "1"}}, kT0 + 1000, "shopify");
  const auto e3 = PublishAt("order.created", {{"id", "2"}}, kT0 + 2000);

  Json page = Get("/api/v1/events");
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["items"][0]["id"], e3);
  EXPECT_EQ(page["items"][0]["topic"], "order.created");
  EXPECT_EQ(page["items"][0]["payload"]["id"], "2");
  Json rest = Get("/api/v1/events?cursor=" + page["next_cursor"].get<std::string>());
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["id"], e1);
  EXPECT_TRUE(rest["next_cursor"].is_null());

  Json created = Get("/api/v1/events?topic=order.created&limit=10");
  ASSERT_EQ(created["items"].size(), 2u);
  Json shopify = Get("/api/v1/events?source=shopify");
  ASSERT_EQ(shopify["items"].size(), 1u);
  EXPECT_EQ(shopify["items"][0]["id"], e2);
  EXPECT_EQ(shopify["items"][0]["source"], "shopify");
  Json window = Get("/api/v1/events?created_from=" + std::to_string(kT0 + 1) +
                    "&created_until=" + std::to_string(kT0 + 2000));
  ASSERT_EQ(window["items"].size(), 1u);
  EXPECT_EQ(window["items"][0]["id"], e2);
  Json bad = Get("/api/v1/events?topc=x", 400);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("did you mean 'topic'?"),
            std::string::npos);
}

TEST_P(AdminEventsTest, ShowOne) {
  const auto id = PublishAt("order.created", {{"id", "1"}}, kT0);
  Json event = Get("/api/v1/events/" + std::to_string(id));
  EXPECT_EQ(event["id"], id);
  EXPECT_EQ(event["payload"]["id"], "1");
  EXPECT_EQ(event["created_at"], kT0);
  Get("/api/v1/events/999999", 404);
  Get("/api/v1/events/0", 400);
}

TEST_P(AdminEventsTest, ReplayStartsNewRunsOfTheCurrentWorkflows) {
  LoadOrders();
  Load(R"(workflow: audit
on: [{event: order.created}]
steps:
  - id: note
    uses: log
    with: { message: "order ${{ event.id }}" }
)");
  Load(R"(workflow: unrelated
on: [{event: something.else}]
steps:
  - id: note
    uses: log
    with: { message: x }
)");
  const auto id = PublishAt("order.created", {{"id", "r1"}}, kT0);
  Status s = engine_->RunUntil([&] {
    auto tx = store_->Begin();
    auto runs = (*tx)->ListRuns(store::RunFilter{});
    for (const auto& run : *runs) {
      if (!store::IsTerminal(run.status)) return false;
    }
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(action_->count("charge"), 1);

  Json replayed = Post("/api/v1/events/" + std::to_string(id) + "/replay");
  EXPECT_EQ(replayed["event_id"], id);
  ASSERT_EQ(replayed["runs"].size(), 2u) << replayed;
  std::set<std::string> workflows;
  std::vector<std::int64_t> ids;
  for (const auto& run : replayed["runs"]) {
    workflows.insert(run["workflow"].get<std::string>());
    EXPECT_EQ(run["event_id"], id);
    EXPECT_EQ(run["status"], "ready");
    ids.push_back(run["id"].get<std::int64_t>());
  }
  EXPECT_EQ(workflows, (std::set<std::string>{"orders", "audit"}));
  Finish(ids);
  EXPECT_EQ(action_->count("charge"), 2);

  Json only =
      Post("/api/v1/events/" + std::to_string(id) + "/replay", R"({"workflows": ["orders"]})");
  ASSERT_EQ(only["runs"].size(), 1u);
  EXPECT_EQ(only["runs"][0]["workflow"], "orders");
  EXPECT_EQ(only["runs"][0]["key"], "r1");
}

TEST_P(AdminEventsTest, ReplayChecksItsInput) {
  LoadOrders();
  Load(R"(workflow: unrelated
on: [{event: something.else}]
steps:
  - id: note
    uses: log
    with: { message: x }
)");
  const auto id = PublishAt("order.created", {{"id", "r1"}}, kT0);
  const std::string path = "/api/v1/events/" + std::to_string(id) + "/replay";
  Json body = Post(path, R"({"workflows": ["ordres"]})", 400);
  EXPECT_EQ(body["error"]["details"][0]["name"], "$.workflows[0]");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("did you mean 'orders'?"),
            std::string::npos)
      << body;
  body = Post(path, R"({"workflows": ["unrelated"]})", 400);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("no trigger for topic"),
            std::string::npos);
  body = Post(path, R"({"workflows": []})", 400);
  EXPECT_EQ(body["error"]["details"][0]["name"], "$.workflows");
  Post("/api/v1/events/999999/replay", "", 404);
}

TEST_P(AdminEventsTest, ReplayAppliesDedupeAndMayStartNothing) {
  Load(R"(workflow: once
on: [{event: paid}]
dedupe: event.id
steps:
  - id: note
    uses: test.act
)");
  const auto paid = PublishAt("paid", {{"id", "p1"}}, kT0);
  const auto other = PublishAt("nobody.listens", {{"id", "x"}}, kT0);
  Json replayed = Post("/api/v1/events/" + std::to_string(paid) + "/replay");
  ASSERT_EQ(replayed["runs"].size(), 1u);
  EXPECT_EQ(replayed["runs"][0]["status"], "skipped");
  EXPECT_EQ(replayed["runs"][0]["error"]["code"], "duplicate");
  Json none = Post("/api/v1/events/" + std::to_string(other) + "/replay");
  EXPECT_EQ(none["runs"], Json::array());
}

}  // namespace
}  // namespace storeflow::http::testing
