// Admin GraphQL and the Storefront cart against the real simulator process: operations
// recognised by name, the cost bucket (charge requested, refund to actual, THROTTLED,
// MAX_COST_EXCEEDED) and cart(id) turning null once the cart became an order.

#include <set>

#include "sim_test_support.h"

namespace storeflow::shopify_sim::testing {
namespace {

const char* const kProductsQuery =
    "query Products($first:Int!,$after:String,$query:String){ products(first:$first, "
    "after:$after, query:$query){ edges{ cursor node{ id legacyResourceId title handle updatedAt "
    "} } pageInfo{ hasNextPage endCursor } } }";
const char* const kOrdersQuery =
    "query Orders($first:Int!,$after:String,$query:String){ orders(first:$first, after:$after, "
    "query:$query){ edges{ cursor node{ id legacyResourceId name updatedAt totalPriceSet{ "
    "shopMoney{ amount currencyCode } } } } pageInfo{ hasNextPage endCursor } } }";
const char* const kProductSet =
    "mutation ProductSet($identifier: ProductSetIdentifiers, $input: ProductSetInput!){ "
    "productSet(identifier:$identifier, input:$input, synchronous:true){ product{ id "
    "legacyResourceId handle title updatedAt } userErrors{ field message code } } }";
const char* const kCartQuery =
    "query Cart($id: ID!){ cart(id:$id){ id checkoutUrl totalQuantity buyerIdentity{ email } "
    "cost{ totalAmount{ amount currencyCode } } lines(first:100){ edges{ node{ id quantity } } } "
    "} }";

class GraphqlApiTest : public SimTest {
 protected:
  Reply Graphql(const std::string& operation, const std::string& query,
                const nlohmann::json& variables = nlohmann::json::object(),
                const std::string& token = kAlphaToken) {
    const nlohmann::json body = {
        {"query", query}, {"variables", variables}, {"operationName", operation}};
    return Http(sim_.port(), "POST", AdminPath(kAlpha, "graphql.json"), body.dump(),
                {{"X-Shopify-Access-Token", token}});
  }
  Reply Storefront(const nlohmann::json& variables, const std::string& token) {
    const nlohmann::json body = {{"query", kCartQuery}, {"variables", variables}};
    return Http(sim_.port(), "POST", "/shops/" + std::string(kAlpha) + "/api/2025-07/graphql.json",
                body.dump(), {{"X-Shopify-Storefront-Access-Token", token}});
  }
  nlohmann::json Bucket() {
    return Control("GET", "/_sim/shops/alpha.myshopify.com/bucket").json();
  }
};

TEST_F(GraphqlApiTest, ChargesRequestedCostAndRefundsToActual) {
  StartSim({"--orders", "30"});
  ASSERT_EQ(Control("POST", "/_sim/clock/freeze", {{"frozen", true}}).status, 200);
  // 30 generated + 1 fixture order; first: 100 requests 102 and returns 31 (actual 33).
  const Reply r = Graphql("Orders", kOrdersQuery, {{"first", 100}});
  ASSERT_EQ(r.status, 200);
  const auto body = r.json();
  ASSERT_EQ(body["data"]["orders"]["edges"].size(), 31u) << r.body;
  const auto& cost = body["extensions"]["cost"];
  EXPECT_EQ(cost["requestedQueryCost"], 102);
  EXPECT_EQ(cost["actualQueryCost"], 33);
  EXPECT_DOUBLE_EQ(cost["throttleStatus"]["currentlyAvailable"].get<double>(), 2000.0 - 33);
  EXPECT_DOUBLE_EQ(cost["throttleStatus"]["maximumAvailable"].get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(cost["throttleStatus"]["restoreRate"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(Bucket()["graphql"]["available"].get<double>(), 2000.0 - 33);
  EXPECT_DOUBLE_EQ(Bucket()["graphql"]["min_seen"].get<double>(), 2000.0 - 102);

  // ids: the GID and legacyResourceId (UnsignedInt64: a string) carry the exact 64-bit id.
  const auto& node = body["data"]["orders"]["edges"][0]["node"];
  EXPECT_EQ(node["id"], "gid://shopify/Order/820982911946154508");
  EXPECT_EQ(node["legacyResourceId"], "820982911946154508");
  EXPECT_EQ(node["totalPriceSet"]["shopMoney"]["currencyCode"], "USD");
}

TEST_F(GraphqlApiTest, CursorPaginationWithPageInfo) {
  StartSim({"--orders", "25"});
  std::set<std::string> ids;
  nlohmann::json after = nullptr;
  int pages = 0;
  for (;;) {
    const Reply r = Graphql("Orders", kOrdersQuery, {{"first", 10}, {"after", after}});
    const auto conn = r.json()["data"]["orders"];
    for (const auto& e : conn["edges"]) ids.insert(e["node"]["id"].get<std::string>());
    ++pages;
    if (!conn["pageInfo"]["hasNextPage"].get<bool>()) break;
    after = conn["pageInfo"]["endCursor"];
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(ids.size(), 26u);
  const Reply filtered =
      Graphql("Products", kProductsQuery, {{"first", 5}, {"query", "handle:example-t-shirt"}});
  ASSERT_EQ(filtered.json()["data"]["products"]["edges"].size(), 1u) << filtered.body;
}

TEST_F(GraphqlApiTest, ThrottledWhenTheBucketLacksThePoints) {
  StartSim({"--orders", "5"});
  ASSERT_EQ(Control("POST", "/_sim/clock/freeze", {{"frozen", true}}).status, 200);
  // first: 250 requests 252 points; 7 calls charge 7 * 252 = 1764 up front and refund
  // all but 2 + 7 returned = 9 each: the bucket stays high. Mutations cost 10 each.
  // Drain it with requests that return nothing: customers query with no match.
  const char* const kCustomers =
      "query Customers($first:Int!,$query:String){ customers(first:$first, query:$query){ "
      "edges{ node{ id email updatedAt } } pageInfo{ hasNextPage endCursor } } }";
  double available = 2000;
  int calls = 0;
  while (available >= 252 && calls < 1000) {
    // Each call costs 10 (a mutation that fails: the product does not exist).
    const Reply r = Graphql("ProductDelete",
                            "mutation ProductDelete($input: ProductDeleteInput!){ "
                            "productDelete(input:$input){ deletedProductId userErrors{ field "
                            "message } } }",
                            {{"input", {{"id", "gid://shopify/Product/1"}}}});
    ASSERT_EQ(r.status, 200);
    available = r.json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"];
    ++calls;
  }
  ASSERT_LT(available, 252);
  const Reply throttled =
      Graphql("Customers", kCustomers, {{"first", 250}, {"query", "email:none"}});
  ASSERT_EQ(throttled.status, 200);
  const auto body = throttled.json();
  EXPECT_EQ(body["errors"][0]["extensions"]["code"], "THROTTLED") << throttled.body;
  EXPECT_EQ(body["errors"][0]["message"], "Throttled");
  EXPECT_EQ(body["extensions"]["cost"]["requestedQueryCost"], 252);
  EXPECT_TRUE(body["extensions"]["cost"]["actualQueryCost"].is_null());
  EXPECT_FALSE(body.contains("data") && !body["data"].is_null());
  // Nothing was charged, and the bucket never went below zero.
  EXPECT_DOUBLE_EQ(Bucket()["graphql"]["available"].get<double>(), available);
  EXPECT_GE(Bucket()["graphql"]["min_seen"].get<double>(), 0.0);
  // Two seconds restore 200 points: enough for a cheap query, not for 252.
  ASSERT_EQ(Control("POST", "/_sim/clock/advance", {{"ms", 2000}}).status, 200);
  EXPECT_EQ(Graphql("Shop", "query Shop { shop { id name myshopifyDomain currencyCode } }")
                .json()["data"]["shop"]["myshopifyDomain"],
            kAlpha);
}

TEST_F(GraphqlApiTest, MaxCostExceededAndInjectedThrottle) {
  StartSim();
  const Reply big = Graphql("Orders", kOrdersQuery, {{"first", 1500}});
  const auto body = big.json();
  EXPECT_EQ(body["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED") << big.body;
  EXPECT_NE(body["errors"][0]["message"].get<std::string>().find("Query cost is 1502"),
            std::string::npos);
  EXPECT_DOUBLE_EQ(Bucket()["graphql"]["min_seen"].get<double>(), 2000.0);  // not charged

  ASSERT_EQ(
      Control("POST", "/_sim/shops/alpha.myshopify.com/faults", {{"throttle", true}, {"count", 2}})
          .status,
      201);
  const std::string shop_query = "query Shop { shop { id name myshopifyDomain currencyCode } }";
  EXPECT_EQ(Graphql("Shop", shop_query).json()["errors"][0]["extensions"]["code"], "THROTTLED");
  EXPECT_EQ(Graphql("Shop", shop_query).json()["errors"][0]["extensions"]["code"], "THROTTLED");
  EXPECT_EQ(Graphql("Shop", shop_query).json()["data"]["shop"]["currencyCode"], "USD");
  EXPECT_EQ(Graphql("Shop", shop_query, {}, "wrong").status, 401);
}

TEST_F(GraphqlApiTest, ProductSetUpsertsByMetafieldAndProductByIdentifierFindsIt) {
  StartSim();
  const nlohmann::json custom = {{"namespace", "sync"}, {"key", "source_id"}, {"value", "src-42"}};
  const nlohmann::json input = {{"title", "Blue Mug"},
                                {"handle", "blue-mug"},
                                {"metafields",
                                 {{{"namespace", "sync"},
                                   {"key", "source_id"},
                                   {"type", "single_line_text_field"},
                                   {"value", "src-42"}}}}};
  const Reply created = Graphql("ProductSet", kProductSet,
                                {{"identifier", {{"customId", custom}}}, {"input", input}});
  const auto product = created.json()["data"]["productSet"]["product"];
  ASSERT_TRUE(product.is_object()) << created.body;
  EXPECT_TRUE(created.json()["data"]["productSet"]["userErrors"].empty());
  EXPECT_EQ(created.json()["extensions"]["cost"]["actualQueryCost"], 10);

  nlohmann::json renamed = input;
  renamed["title"] = "Navy Mug";
  const Reply updated = Graphql("ProductSet", kProductSet,
                                {{"identifier", {{"customId", custom}}}, {"input", renamed}});
  EXPECT_EQ(updated.json()["data"]["productSet"]["product"]["id"], product["id"]);
  EXPECT_EQ(Admin("products/count.json").json()["count"], 2);  // fixture + this one

  const Reply found = Graphql("ProductByIdentifier",
                              "query ProductByIdentifier($identifier: ProductIdentifierInput!){ "
                              "productByIdentifier(identifier:$identifier){ id title } }",
                              {{"identifier", {{"customId", custom}}}});
  EXPECT_EQ(found.json()["data"]["productByIdentifier"]["title"], "Navy Mug") << found.body;
  EXPECT_EQ(found.json()["data"]["productByIdentifier"]["metafield"]["value"], "src-42");

  const Reply blank = Graphql("ProductSet", kProductSet, {{"input", {{"handle", "x"}}}});
  EXPECT_EQ(blank.status, 200);
  EXPECT_EQ(blank.json()["data"]["productSet"]["userErrors"][0]["code"], "BLANK");

  const Reply deleted =
      Graphql("ProductDelete",
              "mutation ProductDelete($input: ProductDeleteInput!){ productDelete(input:$input){ "
              "deletedProductId userErrors{ field message } } }",
              {{"input", {{"id", product["id"]}}}});
  EXPECT_EQ(deleted.json()["data"]["productDelete"]["deletedProductId"], product["id"]);
  const auto missing = Graphql("ProductByIdentifier",
                               "query ProductByIdentifier($identifier: ProductIdentifierInput!){ "
                               "productByIdentifier(identifier:$identifier){ id } }",
                               {{"identifier", {{"id", product["id"]}}}});
  EXPECT_TRUE(missing.json()["data"]["productByIdentifier"].is_null()) << missing.body;

  const auto received = Control("GET", "/_sim/shops/alpha.myshopify.com/received").json();
  int mutations = 0;
  for (const auto& e : received["received"]) {
    if (e.value("operationName", "") == "ProductSet") ++mutations;
  }
  EXPECT_EQ(mutations, 3);
}

TEST_F(GraphqlApiTest, StorefrontCartThenNullAfterConvert) {
  StartSim();
  const Reply created =
      Control("POST", "/_sim/shops/alpha.myshopify.com/carts",
              {{"email", "ann@example.com"},
               {"lines", {{{"variant_id", 642667041472713922}, {"quantity", 2}}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string token = created.json()["cart"]["token"];
  const std::string gid = "gid://shopify/Cart/" + token;

  const Reply cart = Storefront({{"id", gid + "?key=abc"}}, kAlphaStorefrontToken);
  ASSERT_EQ(cart.status, 200);
  const auto c = cart.json()["data"]["cart"];
  ASSERT_TRUE(c.is_object()) << cart.body;
  EXPECT_EQ(c["id"], gid);
  EXPECT_EQ(c["totalQuantity"], 2);
  EXPECT_EQ(c["buyerIdentity"]["email"], "ann@example.com");
  EXPECT_EQ(c["cost"]["totalAmount"]["amount"], "39.98");
  const auto& merchandise = c["lines"]["edges"][0]["node"]["merchandise"];
  EXPECT_EQ(merchandise["id"], "gid://shopify/ProductVariant/642667041472713922");
  EXPECT_EQ(merchandise["product"]["handle"], "example-t-shirt");

  EXPECT_EQ(Storefront({{"id", gid}}, kAlphaToken).status, 401);  // the admin token is not it

  const Reply order =
      Control("POST", "/_sim/shops/alpha.myshopify.com/carts/" + token + "/convert");
  ASSERT_EQ(order.status, 201) << order.body;
  EXPECT_EQ(order.json()["order"]["cart_token"], token);
  const Reply gone = Storefront({{"id", gid}}, kAlphaStorefrontToken);
  ASSERT_EQ(gone.status, 200);
  EXPECT_TRUE(gone.json()["data"]["cart"].is_null()) << gone.body;
  EXPECT_TRUE(Storefront({{"id", "gid://shopify/Cart/unknown"}}, kAlphaStorefrontToken)
                  .json()["data"]["cart"]
                  .is_null());
  EXPECT_EQ(Control("POST", "/_sim/shops/alpha.myshopify.com/carts/" + token + "/convert").status,
            409);
}

// productSet with productOptions and variants (ProductVariantSetInput): the REST product
// gets `options` and `variants` with decimal prices, a variant keeps its id across
// updates, its metafield is readable over REST (products/{id}/metafields.json, Shopify's
// Metafield resource) and GraphQL, and a wrong option is a userError.
TEST_F(GraphqlApiTest, ProductSetWithVariantsAndItsMetafieldsOverRest) {
  StartSim();
  const nlohmann::json custom = {{"namespace", "storeflow"}, {"key", "source_id"}, {"value", "7"}};
  nlohmann::json input = {
      {"title", "Tea"},
      {"productOptions",
       {{{"name", "Size"}, {"values", {{{"name", "100g"}}, {{"name", "250g"}}}}}}},
      {"variants",
       {{{"optionValues", {{{"optionName", "Size"}, {"name", "100g"}}}}, {"price", "4.5"}},
        {{"optionValues", {{{"optionName", "Size"}, {"name", "250g"}}}}, {"price", 9}}}},
      {"metafields",
       {{{"namespace", "storeflow"},
         {"key", "source_id"},
         {"type", "single_line_text_field"},
         {"value", "7"}}}}};
  const Reply created = Graphql("ProductSet", kProductSet,
                                {{"identifier", {{"customId", custom}}}, {"input", input}});
  ASSERT_TRUE(created.json()["data"]["productSet"]["userErrors"].empty()) << created.body;
  const std::string id =
      created.json()["data"]["productSet"]["product"]["legacyResourceId"].get<std::string>();
  const auto product = Admin("products/" + id + ".json").json()["product"];
  ASSERT_EQ(product["variants"].size(), 2u) << product;
  EXPECT_EQ(product["variants"][0]["price"], "4.50");
  EXPECT_EQ(product["variants"][1]["price"], "9.00");
  EXPECT_EQ(product["variants"][1]["title"], "250g");
  EXPECT_EQ(product["variants"][1]["product_id"].dump(), id);
  EXPECT_EQ(product["options"][0]["name"], "Size");

  input["variants"][1]["price"] = "8.75";
  const Reply updated = Graphql("ProductSet", kProductSet,
                                {{"identifier", {{"customId", custom}}}, {"input", input}});
  ASSERT_TRUE(updated.json()["data"]["productSet"]["userErrors"].empty()) << updated.body;
  const auto after = Admin("products/" + id + ".json").json()["product"];
  EXPECT_EQ(after["variants"][1]["price"], "8.75");
  EXPECT_EQ(after["variants"][1]["id"], product["variants"][1]["id"]);

  const Reply metafields = Admin("products/" + id + "/metafields.json");
  ASSERT_EQ(metafields.status, 200) << metafields.body;
  const nlohmann::json m = metafields.json()["metafields"];
  ASSERT_EQ(m.size(), 1u) << metafields.body;
  EXPECT_EQ(m[0]["namespace"], "storeflow");
  EXPECT_EQ(m[0]["value"], "7");
  EXPECT_EQ(m[0]["owner_resource"], "product");
  EXPECT_EQ(m[0]["owner_id"].dump(), id);
  EXPECT_TRUE(m[0]["id"].is_number_integer());
  EXPECT_EQ(m[0]["admin_graphql_api_id"], "gid://shopify/Metafield/" + m[0]["id"].dump());
  EXPECT_EQ(Admin("products/" + id + "/metafields.json?namespace=other").json()["metafields"],
            nlohmann::json::array());
  EXPECT_EQ(Admin("products/" + id + "/metafields/count.json").json()["count"], 1);
  EXPECT_EQ(Admin("products/1/metafields.json").status, 404);

  const Reply found = Graphql("ProductByIdentifier",
                              "query ProductByIdentifier($identifier: ProductIdentifierInput!){ "
                              "productByIdentifier(identifier:$identifier){ id } }",
                              {{"identifier", {{"customId", custom}}}});
  const auto node = found.json()["data"]["productByIdentifier"];
  EXPECT_EQ(node["metafield"]["id"], m[0]["admin_graphql_api_id"]) << found.body;
  EXPECT_EQ(node["variants"]["nodes"][1]["price"], "8.75");
  EXPECT_EQ(node["variants"]["nodes"][1]["selectedOptions"][0],
            (nlohmann::json{{"name", "Size"}, {"value", "250g"}}));

  input["variants"][0]["optionValues"][0]["optionName"] = "Colour";
  const Reply wrong = Graphql("ProductSet", kProductSet,
                              {{"identifier", {{"customId", custom}}}, {"input", input}});
  EXPECT_EQ(wrong.json()["data"]["productSet"]["userErrors"][0]["code"], "OPTION_DOES_NOT_EXIST")
      << wrong.body;
  EXPECT_EQ(Admin("products/" + id + ".json").json()["product"]["variants"][1]["price"], "8.75");
}

}  // namespace
}  // namespace storeflow::shopify_sim::testing
