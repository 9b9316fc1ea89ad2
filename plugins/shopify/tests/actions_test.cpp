// The actions against a scripted shop over loopback HTTP: cursor pagination,
// ids, the Storefront cart, productSet/productDelete, webhook sync.
#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "link_header.h"
#include "shopify_fixture.h"

namespace storeflow::plugins::shopify::testing {
namespace {

using sdk::Json;

constexpr std::int64_t kFirstId = 820982911946154508;

// A shop with `total` orders, ids kFirstId + i, paged by an opaque page_info
// (the offset, wrapped so it is not a number) like Shopify's Link header.
ScriptedHttpServer::Handler OrdersShop(int total, std::string base) {
  return [total, base](const ReceivedRequest& r) {
    std::string uri = r.uri;
    int limit = std::stoi(QueryParameter(uri, "limit").value_or("50"));
    int offset = 0;
    if (auto info = QueryParameter(uri, "page_info")) {
      // Shopify refuses filters with page_info: so does this shop.
      for (const char* f : {"status", "updated_at_min", "since_id"}) {
        if (QueryParameter(uri, f))
          return ScriptedAnswer{400, {}, R"({"errors":"page_info with filters"})"};
      }
      offset = std::stoi(info->substr(3));
    }
    Json orders = Json::array();
    for (int i = offset; i < std::min(total, offset + limit); ++i) {
      orders.push_back(
          Json{{"id", kFirstId + i},
               {"admin_graphql_api_id", "gid://shopify/Order/" + std::to_string(kFirstId + i)},
               {"name", "#" + std::to_string(1001 + i)}});
    }
    std::string links;
    auto link = [&](int at, const char* rel) {
      if (!links.empty()) links += ", ";
      links += "<" + base + "/admin/api/2025-07/orders.json?limit=" + std::to_string(limit) +
               "&page_info=pi-" + std::to_string(at) + ">; rel=\"" + rel + "\"";
    };
    if (offset > 0) link(std::max(0, offset - limit), "previous");
    if (offset + limit < total) link(offset + limit, "next");
    Headers headers{{"X-Shopify-Shop-Api-Call-Limit", "1/40"}};
    if (!links.empty()) headers.emplace_back("Link", links);
    return ScriptedAnswer{200, headers, Json{{"orders", orders}}.dump()};
  };
}

TEST(ShopifyActions, ListsOnePageWithACursorAndResumesFromIt) {
  ShopifyFixture f;
  f.server.SetHandler(OrdersShop(7, f.server.url() + "/shops/a.myshopify.com"));
  Json first =
      f.Run("shopify.orders_list",
            Json{{"limit", 3}, {"status", "any"}, {"fields", Json::array({"id", "name"})}});
  ASSERT_FALSE(first.contains("error")) << first;
  ASSERT_EQ(first["orders"].size(), 3u);
  EXPECT_EQ(first["orders"][0]["id"].get<std::int64_t>(), kFirstId);
  EXPECT_EQ(first["orders"][0]["id"].dump(), "820982911946154508");  // exact, no double
  EXPECT_TRUE(first["has_more"].get<bool>());
  EXPECT_EQ(first["cursor"], "pi-3");
  auto received = f.server.Received();
  EXPECT_NE(received[0].uri.find("status=any"), std::string::npos);
  EXPECT_NE(received[0].uri.find("fields=id%2Cname"), std::string::npos);
  // Resume from the saved cursor: only limit, fields and page_info are sent.
  Json rest = f.Run(
      "shopify.orders_list",
      Json{{"limit", 3}, {"cursor", first["cursor"]}, {"max_pages", 10}, {"fields", "id,name"}});
  ASSERT_FALSE(rest.contains("error")) << rest;
  EXPECT_EQ(rest["orders"].size(), 4u);
  EXPECT_EQ(rest["pages"], 2);
  EXPECT_FALSE(rest["has_more"].get<bool>());
  EXPECT_TRUE(rest["cursor"].is_null());
  std::set<std::int64_t> seen;
  for (const Json& o : first["orders"]) seen.insert(o["id"].get<std::int64_t>());
  for (const Json& o : rest["orders"]) seen.insert(o["id"].get<std::int64_t>());
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(*seen.rbegin(), kFirstId + 6);
  // A cursor with filters is refused before any call.
  Json bad = f.Run("shopify.orders_list", Json{{"cursor", "pi-3"}, {"status", "any"}});
  EXPECT_EQ(bad["error"]["code"], "invalid_input") << bad;
}

TEST(ShopifyActions, MaxPagesCapsTheWalk) {
  ShopifyFixture f;
  f.server.SetHandler(OrdersShop(10, f.server.url()));
  Json out = f.Run("shopify.orders_list", Json{{"limit", 2}, {"max_pages", 3}});
  ASSERT_FALSE(out.contains("error")) << out;
  EXPECT_EQ(out["orders"].size(), 6u);
  EXPECT_EQ(out["pages"], 3);
  EXPECT_TRUE(out["has_more"].get<bool>());
  EXPECT_EQ(out["cursor"], "pi-6");
  EXPECT_EQ(f.server.Received().size(), 3u);
}

TEST(ShopifyActions, GetAndCountKeepSixtyFourBitIds) {
  ShopifyFixture f;
  f.server.Push({200, {}, R"({"order":{"id":820982911946154508,"total_price":"414.95"}})"});
  Json order = f.Run("shopify.order_get", Json{{"id", "820982911946154508"}});
  ASSERT_FALSE(order.contains("error")) << order;
  EXPECT_EQ(order["id"].get<std::int64_t>(), kFirstId);
  Json bad = f.Run("shopify.product_get", Json{{"id", "gid://shopify/Order/1"}});
  EXPECT_EQ(bad["error"]["code"], "invalid_input") << bad;
  Json floaty = f.Run("shopify.order_get", Json{{"id", 8.2e17}});
  EXPECT_EQ(floaty["error"]["code"], "invalid_input") << floaty;
  EXPECT_EQ(f.server.Received().size(), 1u);
}

TEST(ShopifyActions, CustomerByEmailMatchesExactly) {
  ShopifyFixture f;
  f.server.Push(
      {200,
       {},
       R"({"customers":[{"id":1,"email":"janet@example.com"},{"id":207119551,"email":"Jane@Example.com"}]})"});
  Json c = f.Run("shopify.customer_by_email", Json{{"email", "jane@example.com"}});
  ASSERT_FALSE(c.contains("error")) << c;
  EXPECT_EQ(c["id"], 207119551);
  EXPECT_NE(f.server.Received()[0].uri.find("query=email%3Ajane%40example.com"), std::string::npos);
  f.server.Push({200, {}, R"({"customers":[]})"});
  EXPECT_TRUE(f.Run("shopify.customer_by_email", Json{{"email", "nobody@example.com"}}).is_null());
}

TEST(ShopifyActions, StorefrontCartOrNullOnceItIsGone) {
  ShopifyFixture f;
  f.server.Push({200, {}, R"({"data":{"cart":{"id":"gid://shopify/Cart/c1","totalQuantity":2}}})"});
  f.server.Push({200, {}, R"({"data":{"cart":null}})"});
  Json cart = f.Run("shopify.storefront_cart", Json{{"id", "c1"}});
  EXPECT_EQ(cart["totalQuantity"], 2) << cart;
  Json gone = f.Run("shopify.storefront_cart", Json{{"id", "gid://shopify/Cart/c1"}});
  EXPECT_TRUE(gone.is_null()) << gone;
  auto received = f.server.Received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].uri, "/shops/a.myshopify.com/api/2025-07/graphql.json");
  EXPECT_EQ(received[0].Header("X-Shopify-Storefront-Access-Token"), kStorefrontToken);
  EXPECT_EQ(received[0].Header("X-Shopify-Access-Token"), "");
  Json sent = Json::parse(received[0].body);
  EXPECT_EQ(sent["operationName"], "Cart");
  EXPECT_EQ(sent["variables"]["id"], "gid://shopify/Cart/c1");
}

TEST(ShopifyActions, ProductUpsertBySourceIdAndDelete) {
  ShopifyFixture f;
  f.server.Push(
      {200,
       {},
       R"({"data":{"productSet":{"product":{"id":"gid://shopify/Product/788032119674292922","legacyResourceId":"788032119674292922","handle":"ipod-nano","title":"IPod Nano - 8GB","updatedAt":"2026-01-01T00:00:00Z"},"userErrors":[]}},"extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":10,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1990,"restoreRate":100.0}}}})"});
  Json out = f.Run("shopify.product_upsert",
                   Json{{"source_id", 632910392}, {"product", {{"title", "IPod Nano - 8GB"}}}});
  ASSERT_FALSE(out.contains("error")) << out;
  EXPECT_EQ(out["legacy_resource_id"].get<std::int64_t>(), 788032119674292922);
  EXPECT_EQ(out["matched_by"], "source_id");
  Json sent = Json::parse(f.server.Received()[0].body);
  EXPECT_EQ(sent["operationName"], "ProductSet");
  EXPECT_EQ(sent["variables"]["identifier"]["customId"],
            (Json{{"namespace", "storeflow"}, {"key", "source_id"}, {"value", "632910392"}}));
  EXPECT_EQ(sent["variables"]["input"]["metafields"][0]["value"], "632910392");
  EXPECT_EQ(sent["variables"]["synchronous"], true);
  EXPECT_DOUBLE_EQ(f.host.Acquires().at(0).cost, 10);  // a mutation's declared cost
  // userErrors are permanent with Shopify's message.
  f.server.Push(
      {200,
       {},
       R"({"data":{"productSet":{"product":null,"userErrors":[{"field":["input","title"],"message":"Title can't be blank","code":"BLANK"}]}}})"});
  Json err = f.Run("shopify.product_upsert", Json{{"handle", "x"}, {"product", Json::object()}});
  EXPECT_EQ(err["error"]["code"], "user_errors") << err;
  EXPECT_NE(err["error"]["message"].get<std::string>().find("input.title: Title can't be blank"),
            std::string::npos);
  EXPECT_EQ(Json::parse(f.server.Received()[1].body)["variables"]["identifier"],
            (Json{{"handle", "x"}}));
  // Delete; deleting again (already gone) reports deleted: false.
  f.server.Push(
      {200,
       {},
       R"({"data":{"productDelete":{"deletedProductId":"gid://shopify/Product/788032119674292922","userErrors":[]}}})"});
  f.server.Push(
      {200,
       {},
       R"({"data":{"productDelete":{"deletedProductId":null,"userErrors":[{"field":["id"],"message":"Product does not exist"}]}}})"});
  Json del = f.Run("shopify.product_delete", Json{{"id", 788032119674292922}});
  EXPECT_EQ(del, (Json{{"id", "gid://shopify/Product/788032119674292922"}, {"deleted", true}}));
  Json again =
      f.Run("shopify.product_delete", Json{{"id", "gid://shopify/Product/788032119674292922"}});
  EXPECT_EQ(again["deleted"], false) << again;
}

// webhooks.json as a tiny stateful shop.
struct WebhookShop {
  std::mutex mu;
  std::vector<Json> hooks;
  std::int64_t next_id = 4759306;
  ScriptedAnswer Answer(const ReceivedRequest& r) {
    std::lock_guard lock(mu);
    if (r.method == "GET") return {200, {}, Json{{"webhooks", hooks}}.dump()};
    if (r.method == "POST") {
      Json w = Json::parse(r.body)["webhook"];
      for (const Json& h : hooks) {
        if (h["topic"] == w["topic"] && h["address"] == w["address"]) {
          return {422, {}, R"({"errors":{"address":["for this topic has already been taken"]}})"};
        }
      }
      w["id"] = next_id++;
      hooks.push_back(w);
      return {201, {}, Json{{"webhook", w}}.dump()};
    }
    if (r.method == "DELETE") {
      std::int64_t id = std::stoll(r.uri.substr(r.uri.rfind('/') + 1));
      std::erase_if(hooks, [&](const Json& h) { return h["id"] == id; });
      return {200, {}, "{}"};
    }
    return {405, {}, "{}"};
  }
};

TEST(ShopifyActions, WebhookSyncIsIdempotentAndPrunesOnlyWhatItCreated) {
  ShopifyFixture f;
  WebhookShop shop;
  const std::string address = "https://flows.example.com/webhooks/shopify";
  shop.hooks.push_back(
      Json{{"id", 1}, {"topic", "app/uninstalled"}, {"address", address}});  // not ours
  f.server.SetHandler([&](const ReceivedRequest& r) { return shop.Answer(r); });
  Json first =
      f.Run("shopify.webhook_subscriptions_sync",
            Json{{"address", address}, {"topics", Json::array({"orders/create", "carts/update"})}});
  ASSERT_FALSE(first.contains("error")) << first;
  EXPECT_EQ(first["created"].size(), 2u);
  EXPECT_EQ(first["kept"].size(), 0u);
  Json second =
      f.Run("shopify.webhook_subscriptions_sync",
            Json{{"address", address}, {"topics", Json::array({"orders/create", "carts/update"})}});
  EXPECT_EQ(second["created"].size(), 0u) << second;
  EXPECT_EQ(second["kept"].size(), 2u);
  EXPECT_EQ(shop.hooks.size(), 3u);
  // Dropping carts/update removes the subscription it created, never app/uninstalled.
  Json third = f.Run("shopify.webhook_subscriptions_sync",
                     Json{{"address", address}, {"topics", Json::array({"orders/create"})}});
  ASSERT_EQ(third["removed"].size(), 1u) << third;
  EXPECT_EQ(third["removed"][0]["topic"], "carts/update");
  EXPECT_EQ(shop.hooks.size(), 2u);
  // prune: all removes the other subscriptions at the address too.
  Json all = f.Run(
      "shopify.webhook_subscriptions_sync",
      Json{{"address", address}, {"topics", Json::array({"orders/create"})}, {"prune", "all"}});
  ASSERT_EQ(all["removed"].size(), 1u) << all;
  EXPECT_EQ(all["removed"][0]["topic"], "app/uninstalled");
  EXPECT_EQ(shop.hooks.size(), 1u);
}

// A host that cannot say what the workflows listen to, or where the engine is
// reachable (an ABI 1.1 host, `storeflow run`): the action asks for the input
// instead of guessing (an empty topic list would prune every subscription).
TEST(ShopifyActions, WebhookSyncAsksForTopicsAndAddressWhenTheHostCannotTell) {
  ShopifyFixture f;
  WebhookShop shop;
  f.server.SetHandler([&](const ReceivedRequest& r) { return shop.Answer(r); });
  Json no_address =
      f.Run("shopify.webhook_subscriptions_sync", Json{{"topics", Json::array({"orders/create"})}});
  ASSERT_TRUE(no_address.contains("error")) << no_address;
  EXPECT_EQ(no_address["error"]["code"], "invalid_input");
  EXPECT_FALSE(no_address["error"]["retryable"].get<bool>());
  EXPECT_NE(no_address["error"]["message"].get<std::string>().find("http.public_url"),
            std::string::npos)
      << no_address;
  Json no_topics = f.Run("shopify.webhook_subscriptions_sync",
                         Json{{"address", "https://flows.example.com/webhooks/shopify"}});
  ASSERT_TRUE(no_topics.contains("error")) << no_topics;
  EXPECT_EQ(no_topics["error"]["code"], "invalid_input");
  EXPECT_NE(no_topics["error"]["message"].get<std::string>().find("`topics` is missing"),
            std::string::npos)
      << no_topics;
  EXPECT_TRUE(shop.hooks.empty());
}

}  // namespace
}  // namespace storeflow::plugins::shopify::testing
