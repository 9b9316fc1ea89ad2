// 64-bit ids and GIDs: never through a double.
#include <gtest/gtest.h>

#include "shopify_ids.h"

namespace storeflow::plugins::shopify {
namespace {

using sdk::Json;

constexpr std::int64_t kOrder = 820982911946154508;  // above 2^53: a double makes it ...496

TEST(ShopifyIds, IntegerStringAndGidAllGiveTheExactId) {
  std::string error;
  EXPECT_EQ(ParseId(Json::parse("820982911946154508"), "Order", &error), kOrder);
  EXPECT_EQ(ParseId(Json("820982911946154508"), "Order", &error), kOrder);
  EXPECT_EQ(ParseId(Json("gid://shopify/Order/820982911946154508"), "Order", &error), kOrder);
  EXPECT_EQ(ParseId(Json("gid://shopify/Cart/123?key=abc"), "Cart", &error), 123);
  EXPECT_EQ(ParseId(Json("gid://shopify/Order/5"), "", &error), 5);  // any type
  EXPECT_EQ(ParseId(Json(9223372036854775807LL), "", &error), INT64_MAX);
}

TEST(ShopifyIds, RoundTripThroughJsonTextIsExact) {
  Json order = Json::parse(
      R"({"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508"})");
  EXPECT_EQ(
      order.dump(),
      R"({"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","id":820982911946154508})");
  std::string error;
  auto id = ParseId(order["id"], "Order", &error);
  ASSERT_TRUE(id);
  EXPECT_EQ(Json(*id).dump(), "820982911946154508");
  EXPECT_EQ(Gid("Order", *id), "gid://shopify/Order/820982911946154508");
  EXPECT_EQ(ParseId(Json(Gid("Order", *id)), "Order", &error), kOrder);
  // What a double would have done:
  EXPECT_NE(static_cast<std::int64_t>(static_cast<double>(kOrder)), kOrder);
}

TEST(ShopifyIds, RefusesDoublesWrongTypesAndJunk) {
  std::string error;
  EXPECT_FALSE(ParseId(Json::parse("8.20982911946154508e17"), "Order", &error));
  EXPECT_NE(error.find("floating-point"), std::string::npos) << error;
  EXPECT_FALSE(ParseId(Json("gid://shopify/Product/1"), "Order", &error));
  EXPECT_NE(error.find("type Product, expected Order"), std::string::npos) << error;
  for (const Json& bad : {Json(0), Json(-3), Json("12a"), Json(""), Json("gid://shopify/Order/"),
                          Json("gid://shopify/Order"), Json("99999999999999999999"), Json(true),
                          Json::array(), Json("-5"), Json(" 5")}) {
    EXPECT_FALSE(ParseId(bad, "Order", &error)) << bad.dump();
  }
  EXPECT_FALSE(ParseId(Json::parse("18446744073709551615"), "", &error));  // > int64
}

TEST(ShopifyIds, RequiredIdNamesTheField) {
  try {
    RequiredId(Json{{"id", 1.5}}, "id", "Order");
    FAIL();
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), "invalid_input");
    EXPECT_NE(std::string(e.what()).find("`id`"), std::string::npos);
  }
  EXPECT_THROW(RequiredId(Json::object(), "id", "Order"), sdk::Error);
  EXPECT_EQ(RequiredGid(Json{{"id", kOrder}}, "id", "Product"),
            "gid://shopify/Product/820982911946154508");
}

}  // namespace
}  // namespace storeflow::plugins::shopify
