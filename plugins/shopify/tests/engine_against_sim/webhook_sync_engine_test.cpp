// shopify.webhook_subscriptions_sync through the engine: without `topics` and
// `address` it registers exactly the topics the loaded workflows listen to
// (host service source_topics, ABI 1.2) at <http.public_url>/webhooks/shopify
// (host service public_url); a second sync changes nothing; once a workflow is
// gone (the engine restarted without it), its topic is pruned.
#include <set>

#include "engine_sim_fixture.h"

namespace storeflow::plugins::shopify::testing {
namespace {

constexpr char kOrdersWorkflow[] = R"yaml(
workflow: seen-orders
on:
  - webhook: shopify/orders/create
  - webhook: shopify/orders/updated
steps:
  - id: note
    uses: store.put
    with: { collection: seen, key: "${{ tostring(event.id) }}", value: "${{ event }}" }
)yaml";

// products/update as a trigger; orders/create (already listened to) as a wait.
constexpr char kProductsWorkflow[] = R"yaml(
workflow: product-then-order
on:
  - webhook: shopify/products/update
steps:
  - id: order
    wait_for: { event: shopify/orders/create, timeout: 1h }
)yaml";

constexpr char kSetupWorkflow[] = R"yaml(
workflow: webhook-setup
on:
  - http: POST /setup/webhooks
steps:
  - id: sync
    uses: shopify.webhook_subscriptions_sync
    with: { prune: created }
  - id: answer
    respond:
      body: "${{ steps.sync.output }}"
)yaml";

std::set<std::string> Topics(const Json& list) {
  std::set<std::string> topics;
  for (const Json& item : list) topics.insert(item.value("topic", ""));
  return topics;
}

class WebhookSyncThroughEngine : public EngineAgainstSim {
 protected:
  Json Sync() {
    sim::Reply r = Post("/setup/webhooks", Json::object());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  // The shop's subscriptions, as topic -> address.
  std::multiset<std::string> ShopSubscriptions() {
    std::multiset<std::string> out;
    const Json listed = ShopControl("GET", "/subscriptions");
    for (const Json& w : listed["webhooks"]) {
      out.insert(w.value("topic", "") + " " + w.value("address", ""));
    }
    return out;
  }
};

TEST_P(WebhookSyncThroughEngine, RegistersTheLoadedWorkflowsTopicsAtThePublicUrl) {
  StartSim();
  WriteWorkflow("orders.yaml", kOrdersWorkflow);
  WriteWorkflow("products.yaml", kProductsWorkflow);
  WriteWorkflow("setup.yaml", kSetupWorkflow);
  StartEngine();
  if (HasFatalFailure()) return;
  const std::string address = std::string(kPublicUrl) + "/webhooks/shopify";

  Json first = Sync();
  EXPECT_EQ(first["address"], address) << first;
  EXPECT_EQ(first["topics_from"], "workflows") << first;
  EXPECT_EQ(first["topics"], Json({"orders/create", "orders/updated", "products/update"})) << first;
  EXPECT_EQ(Topics(first["created"]),
            (std::set<std::string>{"orders/create", "orders/updated", "products/update"}))
      << first;
  EXPECT_TRUE(first["removed"].empty()) << first;
  EXPECT_EQ(ShopSubscriptions(),
            (std::multiset<std::string>{"orders/create " + address, "orders/updated " + address,
                                        "products/update " + address}));

  // Idempotent: nothing created or removed the second time.
  Json second = Sync();
  EXPECT_TRUE(second["created"].empty()) << second;
  EXPECT_TRUE(second["removed"].empty()) << second;
  EXPECT_EQ(Topics(second["kept"]),
            (std::set<std::string>{"orders/create", "orders/updated", "products/update"}))
      << second;
  EXPECT_EQ(ShopSubscriptions().size(), 3u);

  // The products workflow is removed; the engine restarts on the same database
  // (the plugin remembers what it created in its key/value space).
  StopEngine();
  RemoveWorkflow("products.yaml");
  StartEngine();
  if (HasFatalFailure()) return;
  Json third = Sync();
  EXPECT_EQ(third["topics"], Json({"orders/create", "orders/updated"})) << third;
  EXPECT_TRUE(third["created"].empty()) << third;
  EXPECT_EQ(Topics(third["removed"]), std::set<std::string>{"products/update"}) << third;
  EXPECT_EQ(ShopSubscriptions(),
            (std::multiset<std::string>{"orders/create " + address, "orders/updated " + address}));
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookSyncThroughEngine,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace storeflow::plugins::shopify::testing
