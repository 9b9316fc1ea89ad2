// Every shopify.* action once against the real simulator over loopback HTTP: the
// plugin and the simulator were built separately from the wire contract, so this
// is where their formats meet.
#include <gtest/gtest.h>

#include <set>

#include "sim_plugin_fixture.h"

namespace storeflow::plugins::shopify::testing {
namespace {

using sdk::Json;

constexpr std::int64_t kOrderId = 820982911946154508;    // the fixture order (cancelled)
constexpr std::int64_t kProductId = 788032119674292922;  // example-t-shirt
constexpr std::int64_t kCustomerId = 115310627314723954;
constexpr std::int64_t kVariantId = 642667041472713922;

class ActionsAgainstSim : public SimPluginTest {};

TEST_F(ActionsAgainstSim, GraphqlReportsCostAndCorrectsTheBucket) {
  StartSim();
  Configure();
  Json shop = Run("shopify.graphql",
                  Json{{"query", "query Shop { shop { id name myshopifyDomain currencyCode } }"},
                       {"operation_name", "Shop"}});
  ASSERT_FALSE(shop.contains("error")) << shop;
  EXPECT_EQ(shop["data"]["shop"]["myshopifyDomain"], kAlpha);
  EXPECT_EQ(shop["cost"]["requested"], 1);
  EXPECT_EQ(shop["cost"]["actual"], 1);
  EXPECT_GT(shop["cost"]["available"].get<double>(), 1990);

  Json products =
      Run("shopify.graphql",
          Json{{"query",
                "query Products($first:Int!,$after:String,$query:String){ products(first:$first, "
                "after:$after, query:$query){ edges{ cursor node{ id legacyResourceId title handle "
                "updatedAt } } pageInfo{ hasNextPage endCursor } } }"},
               {"operation_name", "Products"},
               {"variables", {{"first", 10}}}});
  ASSERT_FALSE(products.contains("error")) << products;
  const Json& node = products["data"]["products"]["edges"][0]["node"];
  EXPECT_EQ(node["id"], "gid://shopify/Product/788032119674292922");
  EXPECT_EQ(node["legacyResourceId"], "788032119674292922");  // UnsignedInt64: a string
  EXPECT_EQ(products["cost"]["requested"], 12);
  EXPECT_EQ(products["cost"]["actual"], 3);
  // The governor gave back what Shopify refunded: the shared bucket is not below
  // Shopify's own number (requested 1 + 12, actual 1 + 3).
  EXPECT_GE(host_.Level(std::string("graphql:") + kAlpha), 2000 - 4 - 1e-6);

  Json bad = Run("shopify.graphql", Json{{"query", "query Nope { nope { id } }"}});
  ASSERT_TRUE(bad.contains("error")) << bad;
  EXPECT_FALSE(bad["error"]["retryable"].get<bool>()) << bad;
  EXPECT_EQ(bad["error"]["code"], "graphql_error") << bad;
}

TEST_F(ActionsAgainstSim, StorefrontCartThenNullOnceConverted) {
  StartSim();
  Configure();
  Json created = ShopControl("POST", "/carts",
                             Json{{"email", "ann@example.com"},
                                  {"lines", {{{"variant_id", kVariantId}, {"quantity", 2}}}}});
  const std::string token = created["cart"]["token"];
  Json cart = Run("shopify.storefront_cart", Json{{"id", token}});
  ASSERT_FALSE(cart.contains("error")) << cart;
  ASSERT_TRUE(cart.is_object()) << cart;
  EXPECT_EQ(cart["id"], "gid://shopify/Cart/" + token);
  EXPECT_EQ(cart["totalQuantity"], 2);
  EXPECT_EQ(cart["buyerIdentity"]["email"], "ann@example.com");
  EXPECT_EQ(cart["cost"]["totalAmount"]["amount"], "39.98");
  EXPECT_EQ(cart["lines"]["edges"][0]["node"]["merchandise"]["product"]["handle"],
            "example-t-shirt");
  Json again = Run("shopify.storefront_cart", Json{{"id", "gid://shopify/Cart/" + token}});
  EXPECT_EQ(again, cart);

  ShopControl("POST", "/carts/" + token + "/convert");
  Json gone = Run("shopify.storefront_cart", Json{{"id", token}});
  EXPECT_TRUE(gone.is_null()) << gone;
  EXPECT_TRUE(Run("shopify.storefront_cart", Json{{"id", "no-such-cart"}}).is_null());
}

TEST_F(ActionsAgainstSim, CountsWithFilters) {
  StartSim({"--orders", "30", "--seed", "7"});
  Configure();
  // The fixture order is cancelled; the 30 generated ones are open.
  EXPECT_EQ(Run("shopify.orders_count", Json::object()), (Json{{"count", 30}}));
  EXPECT_EQ(Run("shopify.orders_count", Json{{"status", "any"}}), (Json{{"count", 31}}));
  EXPECT_EQ(Run("shopify.orders_count", Json{{"status", "cancelled"}}), (Json{{"count", 1}}));
  // Generated orders are updated from 2025-01-01 on, one after the other.
  Json recent = Run("shopify.orders_count",
                    Json{{"status", "any"}, {"updated_at_min", "2024-06-01T00:00:00Z"}});
  EXPECT_EQ(recent, (Json{{"count", 30}}));
  Json none = Run("shopify.orders_count", Json{{"updated_at_min", "2099-01-01T00:00:00Z"}});
  EXPECT_EQ(none, (Json{{"count", 0}}));
  EXPECT_EQ(Run("shopify.products_count", Json::object()), (Json{{"count", 1}}));
  EXPECT_EQ(Run("shopify.products_count", Json{{"updated_at_min", "2099-01-01T00:00:00-05:00"}}),
            (Json{{"count", 0}}));
  Json bad = Run("shopify.orders_count", Json{{"updated_at_min", "yesterday"}});
  EXPECT_EQ(bad["error"]["code"], "invalid_input") << bad;
}

TEST_F(ActionsAgainstSim, ListsOrdersProductsAndCustomersKeepingIdsExact) {
  StartSim({"--orders", "5", "--seed", "7"});
  Configure();
  Json orders = Run("shopify.orders_list",
                    Json{{"status", "any"}, {"limit", 2}, {"fields", Json::array({"id", "name"})}});
  ASSERT_FALSE(orders.contains("error")) << orders;
  ASSERT_EQ(orders["orders"].size(), 2u);
  EXPECT_EQ(orders["orders"][0]["id"].dump(), std::to_string(kOrderId));  // exact, no double
  EXPECT_EQ(orders["orders"][0].size(), 2u) << orders;                    // fields applied
  EXPECT_TRUE(orders["has_more"].get<bool>());
  ASSERT_TRUE(orders["cursor"].is_string());
  Json rest = Run("shopify.orders_list",
                  Json{{"cursor", orders["cursor"]}, {"limit", 2}, {"max_pages", 10}});
  ASSERT_FALSE(rest.contains("error")) << rest;
  EXPECT_EQ(rest["orders"].size(), 4u);
  EXPECT_EQ(rest["pages"], 2);
  EXPECT_FALSE(rest["has_more"].get<bool>());
  EXPECT_TRUE(rest["cursor"].is_null());

  Json products = Run("shopify.products_list", Json{{"handle", "example-t-shirt"}});
  ASSERT_FALSE(products.contains("error")) << products;
  ASSERT_EQ(products["products"].size(), 1u);
  EXPECT_EQ(products["products"][0]["id"].get<std::int64_t>(), kProductId);
  EXPECT_EQ(products["products"][0]["variants"][0]["id"].get<std::int64_t>(), kVariantId);
  EXPECT_TRUE(products["cursor"].is_null());

  Json customers = Run("shopify.customers_list", Json{{"limit", 250}});
  ASSERT_FALSE(customers.contains("error")) << customers;
  std::set<std::int64_t> ids;
  for (const Json& c : customers["customers"]) ids.insert(c["id"].get<std::int64_t>());
  EXPECT_EQ(ids.count(kCustomerId), 1u) << customers;
  // The count agrees with the listing (one page holds them all here).
  Json counted = Run("shopify.customers_count", Json::object());
  ASSERT_FALSE(counted.contains("error")) << counted;
  EXPECT_EQ(counted["count"].get<std::size_t>(), customers["customers"].size()) << counted;
  EXPECT_EQ(Run("shopify.customers_count", Json{{"updated_at_min", "2099-01-01T00:00:00Z"}}),
            (Json{{"count", 0}}));
}

TEST_F(ActionsAgainstSim, GetsOrderAndProductByIdOrGid) {
  StartSim();
  Configure();
  Json order = Run("shopify.order_get", Json{{"id", "gid://shopify/Order/820982911946154508"}});
  ASSERT_FALSE(order.contains("error")) << order;
  EXPECT_EQ(order["id"].dump(), "820982911946154508");
  EXPECT_EQ(order["admin_graphql_api_id"], "gid://shopify/Order/820982911946154508");
  Json by_number = Run("shopify.order_get", Json{{"id", kOrderId}, {"fields", "id,name"}});
  EXPECT_EQ(by_number, (Json{{"id", kOrderId}, {"name", "#9999"}}));

  Json product = Run("shopify.product_get", Json{{"id", "788032119674292922"}});
  ASSERT_FALSE(product.contains("error")) << product;
  EXPECT_EQ(product["handle"], "example-t-shirt");

  Json missing = Run("shopify.order_get", Json{{"id", 1}});
  EXPECT_EQ(missing["error"]["code"], "not_found") << missing;
  EXPECT_FALSE(missing["error"]["retryable"].get<bool>());
}

TEST_F(ActionsAgainstSim, ProductUpsertByHandleAndBySourceIdThenDelete) {
  StartSim();
  Configure();
  // By handle: the fixture product is found and updated.
  Json by_handle = Run("shopify.product_upsert",
                       Json{{"handle", "example-t-shirt"}, {"product", {{"title", "Renamed"}}}});
  ASSERT_FALSE(by_handle.contains("error")) << by_handle;
  // Shopify's legacyResourceId is an UnsignedInt64 string; the plugin outputs it as
  // an exact integer, like the REST ids.
  EXPECT_EQ(by_handle["legacy_resource_id"].dump(), "788032119674292922");
  EXPECT_EQ(by_handle["title"], "Renamed");
  EXPECT_EQ(ShopControl("GET", "/products/788032119674292922")["product"]["title"], "Renamed");

  // By source id: created once, then found by its metafield whatever its handle.
  Json created = Run("shopify.product_upsert",
                     Json{{"source_id", 632910392}, {"product", {{"title", "IPod Nano - 8GB"}}}});
  ASSERT_FALSE(created.contains("error")) << created;
  EXPECT_EQ(created["matched_by"], "source_id");
  Json updated =
      Run("shopify.product_upsert",
          Json{{"source_id", "632910392"},
               {"product", {{"title", "IPod Nano - 16GB"}, {"handle", "ipod-nano-16"}}}});
  ASSERT_FALSE(updated.contains("error")) << updated;
  EXPECT_EQ(updated["id"], created["id"]);
  EXPECT_EQ(updated["handle"], "ipod-nano-16");
  EXPECT_EQ(Run("shopify.products_count", Json::object()), (Json{{"count", 2}}));

  Json no_title =
      Run("shopify.product_upsert", Json{{"handle", "brand-new"}, {"product", {{"vendor", "x"}}}});
  EXPECT_EQ(no_title["error"]["code"], "user_errors") << no_title;
  EXPECT_FALSE(no_title["error"]["retryable"].get<bool>());

  Json del = Run("shopify.product_delete", Json{{"id", created["id"]}});
  EXPECT_EQ(del, (Json{{"id", created["id"]}, {"deleted", true}}));
  Json again = Run("shopify.product_delete", Json{{"id", created["legacy_resource_id"]}});
  EXPECT_EQ(again, (Json{{"id", created["id"]}, {"deleted", false}}));
  EXPECT_EQ(Run("shopify.products_count", Json::object()), (Json{{"count", 1}}));
}

// Store-to-store sync: a copy with options, variants and prices, found and deleted by
// the source store's id (its metafield), as workflows/store-sync.yaml does.
TEST_F(ActionsAgainstSim, ProductUpsertWithVariantsThenDeleteBySourceId) {
  StartSim();
  Configure();
  const Json product = {
      {"title", "Linen shirt"},
      {"status", "ACTIVE"},
      {"tags", {"summer", "linen"}},
      {"productOptions", {{{"name", "Size"}, {"values", {{{"name", "S"}}, {{"name", "M"}}}}}}},
      {"variants",
       {{{"optionValues", {{{"optionName", "Size"}, {"name", "S"}}}},
         {"price", "26.00"},
         {"sku", "LIN-S"}},
        {{"optionValues", {{{"optionName", "Size"}, {"name", "M"}}}},
         {"price", "28.5"},
         {"compareAtPrice", "35.00"},
         {"sku", "LIN-M"}}}}};
  Json created =
      Run("shopify.product_upsert", Json{{"source_id", "9007199254740993"}, {"product", product}});
  ASSERT_FALSE(created.contains("error")) << created;
  const std::string id = std::to_string(created["legacy_resource_id"].get<std::int64_t>());
  Json stored = ShopControl("GET", "/products/" + id)["product"];
  ASSERT_EQ(stored["variants"].size(), 2u) << stored;
  EXPECT_EQ(stored["variants"][0]["price"], "26.00");
  EXPECT_EQ(stored["variants"][1]["price"], "28.50");
  EXPECT_EQ(stored["variants"][1]["compare_at_price"], "35.00");
  EXPECT_EQ(stored["variants"][1]["option1"], "M");
  EXPECT_EQ(stored["options"][0]["values"], (Json{"S", "M"}));
  EXPECT_EQ(stored["tags"], "summer, linen");
  // The source id is an exact 64-bit text in the metafield (2^53 + 1).
  ASSERT_EQ(stored["metafields"].size(), 1u) << stored;
  EXPECT_EQ(stored["metafields"][0]["value"], "9007199254740993");
  EXPECT_EQ(stored["metafields"][0]["owner_resource"], "product");

  // A new price keeps the variant's id.
  Json repriced = product;
  repriced["variants"][0]["price"] = "27.00";
  Json updated =
      Run("shopify.product_upsert", Json{{"source_id", "9007199254740993"}, {"product", repriced}});
  ASSERT_FALSE(updated.contains("error")) << updated;
  EXPECT_EQ(updated["id"], created["id"]);
  Json after = ShopControl("GET", "/products/" + id)["product"];
  EXPECT_EQ(after["variants"][0]["price"], "27.00");
  EXPECT_EQ(after["variants"][0]["id"], stored["variants"][0]["id"]);

  // A variant naming an option the product does not have is the mutation's userError.
  Json bad = product;
  bad["variants"][0]["optionValues"][0]["optionName"] = "Colour";
  Json refused = Run("shopify.product_upsert", Json{{"source_id", "1"}, {"product", bad}});
  EXPECT_EQ(refused["error"]["code"], "user_errors") << refused;

  Json neither = Run("shopify.product_delete", Json::object());
  EXPECT_EQ(neither["error"]["code"], "invalid_input") << neither;
  Json del = Run("shopify.product_delete", Json{{"source_id", "9007199254740993"}});
  EXPECT_EQ(del, (Json{{"id", created["id"]}, {"deleted", true}}));
  Json gone = Run("shopify.product_delete", Json{{"source_id", "9007199254740993"}});
  EXPECT_EQ(gone, (Json{{"id", nullptr}, {"deleted", false}}));
}

TEST_F(ActionsAgainstSim, CustomerByEmailAndAbandonedCheckouts) {
  StartSim();
  Configure();
  Json customer = Run("shopify.customer_by_email", Json{{"email", "John@Example.com"}});
  ASSERT_FALSE(customer.contains("error")) << customer;
  ASSERT_TRUE(customer.is_object()) << customer;
  EXPECT_EQ(customer["id"].get<std::int64_t>(), kCustomerId);
  EXPECT_TRUE(Run("shopify.customer_by_email", Json{{"email", "nobody@example.com"}}).is_null());

  Json checkouts = Run("shopify.abandoned_checkouts", Json::object());
  ASSERT_FALSE(checkouts.contains("error")) << checkouts;
  ASSERT_EQ(checkouts["checkouts"].size(), 1u) << checkouts;
  EXPECT_EQ(checkouts["checkouts"][0]["id"], 450789469);
  EXPECT_FALSE(checkouts["has_more"].get<bool>());
}

TEST_F(ActionsAgainstSim, WebhookSubscriptionsSyncIsIdempotent) {
  StartSim();
  Configure();
  const std::string address = "http://127.0.0.1:9/webhooks/shopify";
  const Json topics = Json::array({"orders/create", "carts/update", "products/update"});
  Json first =
      Run("shopify.webhook_subscriptions_sync", Json{{"address", address}, {"topics", topics}});
  ASSERT_FALSE(first.contains("error")) << first;
  EXPECT_EQ(first["created"].size(), 3u) << first;
  Json second =
      Run("shopify.webhook_subscriptions_sync", Json{{"address", address}, {"topics", topics}});
  ASSERT_FALSE(second.contains("error")) << second;
  EXPECT_EQ(second["created"].size(), 0u) << second;
  EXPECT_EQ(second["kept"].size(), 3u) << second;
  Json subs = ShopControl("GET", "/subscriptions");
  std::size_t count = 0;
  for (const Json& s : subs.is_array()
                           ? subs
                           : subs.value("webhooks", subs.value("subscriptions", Json::array()))) {
    if (s["address"] == address) ++count;
  }
  EXPECT_EQ(count, 3u) << subs;
  // Dropping a topic removes the subscription this sync created.
  Json third = Run("shopify.webhook_subscriptions_sync",
                   Json{{"address", address}, {"topics", Json::array({"orders/create"})}});
  ASSERT_FALSE(third.contains("error")) << third;
  EXPECT_EQ(third["removed"].size(), 2u) << third;
}

}  // namespace
}  // namespace storeflow::plugins::shopify::testing
