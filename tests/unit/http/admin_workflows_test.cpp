// /api/v1/workflows and /api/v1/records.

#include "admin_test_util.h"

namespace storeflow::http::testing {
namespace {

class AdminWorkflowsTest : public AdminApiTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(AdminWorkflowsTest);

constexpr const char* kV1 = R"(workflow: carts
version: 1
on: [{webhook: shopify/carts/create}, {event: cart.touched}]
steps:
  - id: save
    uses: store.put
    with: { collection: carts, key: "${{ event.token }}", value: "${{ event }}" }
)";
constexpr const char* kV2 = R"(workflow: carts
version: 2
description: keeps carts
on: [{webhook: shopify/carts/create}]
steps:
  - id: save
    uses: store.put
    with: { collection: carts, key: "${{ event.token }}", value: "${{ event }}" }
)";

TEST_P(AdminWorkflowsTest, ListAndShowWithVersions) {
  const auto v1 = Load(kV1, "workflows/carts.yaml");
  clock_->AdvanceTo(kT0 + 1000);
  const auto v2 = Load(kV2, "workflows/carts.yaml");
  LoadOrders();
  ASSERT_TRUE(v1 && v2);

  Json list = Get("/api/v1/workflows");
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["name"], "carts");  // by name
  EXPECT_EQ(list["items"][0]["version"], 2);
  EXPECT_EQ(list["items"][0]["hash"], v2->hash);
  EXPECT_EQ(list["items"][0]["description"], "keeps carts");
  EXPECT_EQ(list["items"][0]["triggers"], Json::array({"webhook shopify/carts/create"}));
  EXPECT_EQ(list["items"][0]["steps"], 1);
  EXPECT_EQ(list["items"][1]["name"], "orders");

  Json carts = Get("/api/v1/workflows/carts");
  EXPECT_EQ(carts["current"], true);
  EXPECT_EQ(carts["source"], kV2);
  ASSERT_EQ(carts["versions"].size(), 2u);
  EXPECT_EQ(carts["versions"][0]["hash"], v2->hash);
  EXPECT_EQ(carts["versions"][0]["version"], 2);
  EXPECT_EQ(carts["versions"][0]["current"], true);
  EXPECT_EQ(carts["versions"][0]["created_at"], kT0 + 1000);
  EXPECT_EQ(carts["versions"][1]["hash"], v1->hash);
  EXPECT_EQ(carts["versions"][1]["current"], false);
  EXPECT_EQ(carts["versions"][1]["source_path"], "workflows/carts.yaml");

  Json missing = Get("/api/v1/workflows/crats", 404);
  EXPECT_NE(missing["error"]["message"].get<std::string>().find("did you mean 'carts'?"),
            std::string::npos);
}

TEST_P(AdminWorkflowsTest, RecordsAreReadableByCollectionAndKey) {
  {
    auto tx = Begin();
    for (const char* key : {"a1", "a2", "a3", "b1", "x/y z"}) {
      ASSERT_TRUE(tx->PutRecord("carts", key, {{"key", key}}, kT0).ok());
    }
    ASSERT_TRUE(tx->PutRecord("orders", "a1", {{"n", 1}}, kT0).ok());
    ASSERT_TRUE(tx->PutRecord("carts", "a1", {{"key", "a1"}, {"v", 2}}, kT0 + 5).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  Json page = Get("/api/v1/records/carts?prefix=a");
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["items"][0]["key"], "a1");
  EXPECT_EQ(page["items"][0]["collection"], "carts");
  EXPECT_EQ(page["items"][0]["revision"], 2);
  EXPECT_EQ(page["items"][0]["updated_at"], kT0 + 5);
  EXPECT_EQ(page["items"][1]["key"], "a2");
  EXPECT_EQ(page["next_cursor"], "a2");
  Json rest = Get("/api/v1/records/carts?prefix=a&cursor=a2");
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["key"], "a3");
  EXPECT_TRUE(rest["next_cursor"].is_null());
  EXPECT_EQ(Get("/api/v1/records/carts?limit=10")["items"].size(), 5u);
  EXPECT_EQ(Get("/api/v1/records/none")["items"].size(), 0u);

  Json one = Get("/api/v1/records/carts/a1");
  EXPECT_EQ(one["value"]["v"], 2);
  Json slashed = Get("/api/v1/records/carts/x%2Fy%20z");
  EXPECT_EQ(slashed["key"], "x/y z");
  Json missing = Get("/api/v1/records/carts/zz", 404);
  EXPECT_EQ(missing["error"]["code"], "not_found");
  // Read-only.
  EXPECT_EQ(Call("PUT", "/api/v1/records/carts/a1", "{}").status, 405);
  EXPECT_EQ(Call("DELETE", "/api/v1/records/carts/a1").status, 405);
}

}  // namespace
}  // namespace storeflow::http::testing
