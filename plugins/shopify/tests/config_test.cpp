// Config errors name the key and say what is expected.
#include <gtest/gtest.h>

#include "shopify_config.h"

namespace storeflow::plugins::shopify {
namespace {

using sdk::Json;

std::string ErrorOf(const Json& config) {
  try {
    ParseShopifyConfig(config);
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), "invalid_config");
    EXPECT_EQ(e.kind(), STOREFLOW_ERROR_PERMANENT);
    return e.what();
  }
  return "(accepted)";
}

Json Shop(const std::string& domain = "a.myshopify.com") {
  return Json{{"domain", domain}, {"admin_token_secret", "SHOPIFY_A_ADMIN"}};
}

TEST(ShopifyConfig, DefaultsAreTheStandardPlan) {
  ShopifyConfig c = ParseShopifyConfig(Json{{"shops", {Shop()}}});
  ASSERT_EQ(c.shops.size(), 1u);
  const ShopConfig& s = c.shops[0];
  EXPECT_EQ(s.base_url, "https://a.myshopify.com");
  EXPECT_EQ(s.api_version, "2025-07");
  EXPECT_EQ(s.limits.graphql_bucket, 2000);
  EXPECT_EQ(s.limits.graphql_restore_per_second, 100);
  EXPECT_EQ(s.limits.rest_bucket, 40);
  EXPECT_EQ(s.limits.rest_leak_per_second, 2);
  EXPECT_EQ(s.limits.max_query_cost, 1000);
  EXPECT_EQ(&c.Find(std::nullopt), &c.shops[0]);  // the only shop
  EXPECT_EQ(&c.Find("a"), &c.shops[0]);
  EXPECT_EQ(&c.Find("A.myshopify.com"), &c.shops[0]);
}

TEST(ShopifyConfig, OverridesEndpointVersionAndLimits) {
  Json shop = Shop("b.myshopify.com");
  shop["endpoint"] = "http://127.0.0.1:9/shops/b.myshopify.com/";
  shop["api_version"] = "2024-10";
  shop["storefront_token_secret"] = "SHOPIFY_B_STOREFRONT";
  shop["limits"] = Json{{"graphql_bucket", 20000},
                        {"graphql_restore_per_second", 1000},
                        {"rest_bucket", 80},
                        {"rest_leak_per_second", 4}};
  ShopifyConfig c = ParseShopifyConfig(Json{{"shops", {Shop(), shop}}, {"api_version", "2025-01"}});
  EXPECT_EQ(c.shops[0].api_version, "2025-01");
  EXPECT_EQ(c.shops[1].api_version, "2024-10");
  EXPECT_EQ(c.shops[1].base_url, "http://127.0.0.1:9/shops/b.myshopify.com");
  EXPECT_EQ(c.shops[1].limits.graphql_bucket, 20000);
  EXPECT_EQ(c.shops[1].limits.rest_bucket, 80);
  EXPECT_EQ(c.shops[1].storefront_token_secret, "SHOPIFY_B_STOREFRONT");
  EXPECT_EQ(c.Find("b").domain, "b.myshopify.com");
  // Two shops: `shop` is needed, and an unknown one lists the known ones.
  try {
    c.Find(std::nullopt);
    FAIL();
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), "unknown_shop");
    EXPECT_NE(std::string(e.what()).find("a.myshopify.com, b.myshopify.com"), std::string::npos);
  }
  EXPECT_THROW(c.Find("c"), sdk::Error);
}

TEST(ShopifyConfig, NoShopsLoadsButEveryCallSaysWhatIsMissing) {
  for (const Json& config : {Json::object(), Json{{"shops", Json::array()}}}) {
    ShopifyConfig c = ParseShopifyConfig(config);
    EXPECT_TRUE(c.shops.empty());
    try {
      c.Find(std::nullopt);
      FAIL();
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), "not_configured");
      EXPECT_NE(std::string(e.what()).find("plugins.config.shopify.shops"), std::string::npos);
    }
  }
}

TEST(ShopifyConfig, ErrorsNameTheKey) {
  EXPECT_NE(ErrorOf(Json{{"shops", "a.myshopify.com"}}).find("`shops` must be a list"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Json{{"shops", {Json{{"admin_token_secret", "X"}}}}})
                .find("`shops[0].domain` is required"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Json{{"shops",
                    {Json{{"domain", "https://a.myshopify.com"}, {"admin_token_secret", "X"}}}}})
          .find("`shops[0].domain`"),
      std::string::npos);
  EXPECT_NE(ErrorOf(Json{{"shops", {Json{{"domain", "a.myshopify.com"}}}}})
                .find("`shops[0].admin_token_secret` is required"),
            std::string::npos);
  // A token pasted where the secret's NAME belongs is refused.
  Json pasted = Shop();
  pasted["admin_token_secret"] = "shpat_0123 456";
  EXPECT_NE(ErrorOf(Json{{"shops", {pasted}}}).find("secret name"), std::string::npos);
  Json version = Shop();
  version["api_version"] = "July 2025";
  EXPECT_NE(ErrorOf(Json{{"shops", {version}}}).find("`shops[0].api_version`"), std::string::npos);
  Json endpoint = Shop();
  endpoint["endpoint"] = "ftp://x";
  EXPECT_NE(ErrorOf(Json{{"shops", {endpoint}}}).find("`shops[0].endpoint` must start with http"),
            std::string::npos);
  Json limits = Shop();
  limits["limits"] = Json{{"graphql_bucket", 0}};
  EXPECT_NE(ErrorOf(Json{{"shops", {limits}}})
                .find("`shops[0].limits.graphql_bucket` must be greater than 0"),
            std::string::npos);
  limits["limits"] = Json{{"rest_bukket", 40}};
  EXPECT_NE(
      ErrorOf(Json{{"shops", {limits}}}).find("`shops[0].limits.rest_bukket` is not a known key"),
      std::string::npos);
  EXPECT_NE(ErrorOf(Json{{"shops", {Shop(), Shop()}}}).find("listed twice"), std::string::npos);
  EXPECT_NE(ErrorOf(Json{{"shops", {Shop()}}, {"shop", "x"}}).find("`shop` is not a known key"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Json{{"shops", {Shop()}}, {"max_wait_ms", -1}}).find("`max_wait_ms`"),
            std::string::npos);
}

}  // namespace
}  // namespace storeflow::plugins::shopify
