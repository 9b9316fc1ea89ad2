// ABI 1.2 host services: source_topics (the topics of a webhook source the loaded
// workflows listen to, from the engine's workflow catalog) and public_url
// (http.public_url), through the C table and the C++ sdk::Host.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "plugin/host_services.h"
#include "plugin/workflow_topics.h"
#include "runtime/workflow_catalog.h"
#include "store/store.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugin {
namespace {

using Json = nlohmann::json;

constexpr char kCarts[] = R"yaml(
workflow: carts
on:
  - webhook: shopify/carts/update
  - webhook: shopify/carts/create
  - webhook: other/carts/create
  - event: cart/abandoned
steps:
  - id: each
    foreach: [1, 2]
    steps:
      - id: order
        wait_for: { event: shopify/orders/create, timeout: 1h }
  - id: internal
    wait_for: { event: cart/abandoned, timeout: 1h }
)yaml";

constexpr char kOrders[] = R"yaml(
workflow: orders
on:
  - webhook: shopify/orders/create
steps:
  - id: paid
    wait_for: { event: shopify/orders/paid, timeout: 1h }
)yaml";

// What source_topics passed to its sink, and its return code.
std::pair<std::int32_t, std::string> SourceTopics(const storeflow_host_v1* h, const char* source) {
  std::string text;
  auto sink = [](void* user, const char* data, std::size_t size) {
    static_cast<std::string*>(user)->assign(data, size);
  };
  std::int32_t got = h->source_topics(h->context, source, sink, &text);
  return {got, text};
}

TEST(WorkflowInfoServicesTest, WithoutWorkflowsOrPublicUrlTheHostSaysSo) {
  auto env = std::make_shared<HostEnvironment>();
  HostServices services("shopify", env);
  const storeflow_host_v1* h = services.table();
  ASSERT_GE(h->struct_size, STOREFLOW_HOST_V1_2_SIZE);
  EXPECT_EQ(SourceTopics(h, "shopify").first, 0);
  EXPECT_EQ(h->public_url(h->context), nullptr);
  sdk::Host host(h);
  EXPECT_TRUE(host.HasWorkflowInfo());
  EXPECT_EQ(host.SourceTopics("shopify"), std::nullopt);
  EXPECT_EQ(host.PublicUrl(), std::nullopt);

  // A topics holder without a lister yet (plugins load before the workflows).
  auto topics = std::make_shared<WorkflowTopics>();
  env->topics = topics;
  EXPECT_EQ(SourceTopics(h, "shopify").first, 0);
  EXPECT_EQ(SourceTopics(h, "").first, -1);
}

TEST(WorkflowInfoServicesTest, ListsTriggersAndWaitsOfTheSourceSortedAndDistinct) {
  auto store = store::Store::Open("sqlite::memory:", store::OpenOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  runtime::WorkflowCatalog catalog;
  ASSERT_TRUE(catalog.Register(kCarts, "carts.yaml", **store, 0).ok());
  ASSERT_TRUE(catalog.Register(kOrders, "orders.yaml", **store, 0).ok());

  auto topics = std::make_shared<WorkflowTopics>();
  topics->Set([&catalog](const std::string& source) { return catalog.SourceTopics(source); });
  auto env = std::make_shared<HostEnvironment>();
  env->topics = topics;
  env->public_url = "https://flows.example.com";
  HostServices services("shopify", env);
  const storeflow_host_v1* h = services.table();

  auto [got, text] = SourceTopics(h, "shopify");
  EXPECT_EQ(got, 1);
  EXPECT_EQ(Json::parse(text),
            Json({"carts/create", "carts/update", "orders/create", "orders/paid"}));
  EXPECT_EQ(Json::parse(SourceTopics(h, "other").second), Json({"carts/create"}));
  EXPECT_EQ(Json::parse(SourceTopics(h, "nobody").second), Json::array());
  EXPECT_STREQ(h->public_url(h->context), "https://flows.example.com");

  sdk::Host host(h);
  EXPECT_EQ(
      host.SourceTopics("shopify"),
      (std::vector<std::string>{"carts/create", "carts/update", "orders/create", "orders/paid"}));
  EXPECT_EQ(host.PublicUrl(), "https://flows.example.com");

  // A host table as ABI 1.1 defined it: the C++ wrapper does not reach past it.
  storeflow_host_v1 old = *h;
  old.struct_size = STOREFLOW_HOST_V1_1_SIZE;
  sdk::Host older(&old);
  EXPECT_FALSE(older.HasWorkflowInfo());
  EXPECT_EQ(older.SourceTopics("shopify"), std::nullopt);
  EXPECT_EQ(older.PublicUrl(), std::nullopt);
}

}  // namespace
}  // namespace storeflow::plugin
