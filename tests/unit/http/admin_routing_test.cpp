// The admin API's own routing: 404, 405 with Allow, path matching, and the 400
// for unknown or malformed query parameters.

#include <set>

#include "admin_test_util.h"
#include "http/admin_routes.h"
#include "http/router.h"

namespace storeflow::http::testing {
namespace {

TEST(AdminRoutesTest, MatchPathFillsParameters) {
  std::map<std::string, std::string> params;
  EXPECT_TRUE(admin::MatchPath("/api/v1/runs", "/api/v1/runs", &params));
  EXPECT_TRUE(params.empty());
  EXPECT_TRUE(admin::MatchPath("/api/v1/runs/{id}/cancel", "/api/v1/runs/42/cancel", &params));
  EXPECT_EQ(params.at("id"), "42");
  EXPECT_TRUE(
      admin::MatchPath("/api/v1/records/{c}/{key*}", "/api/v1/records/carts/a/b c", &params));
  EXPECT_EQ(params.at("c"), "carts");
  EXPECT_EQ(params.at("key"), "a/b c");

  EXPECT_FALSE(admin::MatchPath("/api/v1/runs", "/api/v1/runs/", nullptr));
  EXPECT_FALSE(admin::MatchPath("/api/v1/runs/{id}", "/api/v1/runs/", nullptr));
  EXPECT_FALSE(admin::MatchPath("/api/v1/runs/{id}", "/api/v1/runs", nullptr));
  EXPECT_FALSE(admin::MatchPath("/api/v1/runs/{id}", "/api/v1/runs/1/steps", nullptr));
  EXPECT_FALSE(admin::MatchPath("/api/v1/runs/{id}", "/api/v1//1", nullptr));
  EXPECT_FALSE(admin::MatchPath("/api/v1/records/{c}/{key*}", "/api/v1/records/carts", nullptr));
  EXPECT_FALSE(admin::MatchPath("/api/v1/records/{c}/{key*}", "/api/v1/records/carts/", nullptr));
}

TEST(AdminRoutesTest, ServesOnlyItsPrefix) {
  EXPECT_TRUE(AdminApi::Serves("/api/v1"));
  EXPECT_TRUE(AdminApi::Serves("/api/v1/runs"));
  EXPECT_FALSE(AdminApi::Serves("/api/v10"));
  EXPECT_FALSE(AdminApi::Serves("/api"));
  EXPECT_FALSE(AdminApi::Serves("/webhooks/shopify"));
}

class AdminRoutingTest : public AdminApiTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(AdminRoutingTest);

TEST_P(AdminRoutingTest, UnknownRouteIs404) {
  Json body = Get("/api/v1/nope", 404);
  EXPECT_EQ(body["error"]["code"], "not_found");
  Get("/api/v1", 404);
  Get("/api/v1/runs/1/steps", 404);
}

TEST_P(AdminRoutingTest, WrongMethodIs405WithAllow) {
  Response response = Call("DELETE", "/api/v1/runs");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(HeaderOf(response, "Allow"), "GET");
  EXPECT_EQ(Json::parse(response.body)["error"]["code"], "method_not_allowed");

  response = Call("GET", "/api/v1/runs/7/cancel");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(HeaderOf(response, "Allow"), "POST");

  // /dead-letters/retry is both "POST retry many" and "GET one dead letter".
  response = Call("PUT", "/api/v1/dead-letters/retry");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(HeaderOf(response, "Allow"), "POST, GET");
}

TEST_P(AdminRoutingTest, QueryParametersAreChecked) {
  Json body = Get("/api/v1/runs?stauts=failed", 400);
  EXPECT_EQ(body["error"]["code"], "invalid_argument");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("did you mean 'status'?"),
            std::string::npos)
      << body;
  EXPECT_EQ(body["error"]["details"][0]["in"], "query");
  EXPECT_EQ(body["error"]["details"][0]["name"], "stauts");

  body = Get("/api/v1/runs?status=faild&limit=0&cursor=x&created_from=yesterday", 400);
  const Json& details = body["error"]["details"];
  ASSERT_EQ(details.size(), 4u) << body;
  std::set<std::string> names;
  for (const auto& d : details) names.insert(d["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"status", "limit", "cursor", "created_from"}));
  EXPECT_NE(body["error"]["message"].get<std::string>().find("3 more problems"), std::string::npos);
  for (const auto& d : details) {
    if (d["name"] == "status") {
      EXPECT_NE(d["message"].get<std::string>().find("did you mean 'failed'?"), std::string::npos)
          << d;
    }
  }

  body = Get("/api/v1/runs?limit=11", 400);  // max_page_size is 10 here
  EXPECT_NE(body["error"]["message"].get<std::string>().find("1 to 10"), std::string::npos);
  body = Get("/api/v1/runs?status=failed&status=completed", 400);
  EXPECT_EQ(body["error"]["details"][0]["name"], "status");
  body = Get("/api/v1/workflows?x=1", 400);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("takes none"), std::string::npos);
}

TEST_P(AdminRoutingTest, PathIdsAndBodiesAreChecked) {
  Json body = Get("/api/v1/runs/abc", 400);
  EXPECT_EQ(body["error"]["details"][0]["in"], "path");
  EXPECT_EQ(body["error"]["details"][0]["name"], "id");
  body = Post("/api/v1/runs/1/cancel", "{\"reason\": ", 400);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("not valid JSON"), std::string::npos);
  // Nested past the limit (1 MB of brackets): refused before it is parsed.
  body = Post("/api/v1/runs/1/cancel",
              "{\"reason\": " + std::string(500'000, '[') + std::string(500'000, ']') + "}", 400);
  EXPECT_NE(body["error"]["message"].get<std::string>().find(
                "nesting deeper than 128 levels (at byte 139)"),
            std::string::npos)
      << body.dump();
  body = Post("/api/v1/runs/1/cancel", "[1]", 400);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("JSON object"), std::string::npos);
  body = Post("/api/v1/runs/1/cancel", R"({"reasn": "x"})", 400);
  EXPECT_EQ(body["error"]["details"][0]["name"], "$.reasn");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("did you mean 'reason'?"),
            std::string::npos);
  body = Post("/api/v1/runs/1/cancel", R"({"reason": 5})", 400);
  EXPECT_EQ(body["error"]["details"][0]["name"], "$.reason");
}

TEST_P(AdminRoutingTest, RegistersItsRoutesOnTheServerRouter) {
  Router router;
  ASSERT_TRUE(api_->Register(router).ok());
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->PutRecord("files", "a/b/c", {{"n", 1}}, kT0).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  Request request = MakeRequest("GET", "/api/v1/records/files/a/b/c");
  Response response = router.Dispatch(request);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Json::parse(response.body)["key"], "a/b/c");

  request = MakeRequest("GET", "/api/v1/runs", "", false);
  EXPECT_EQ(router.Dispatch(request).status, 401);
  request = MakeRequest("POST", "/api/v1/runs/abc/cancel");
  EXPECT_EQ(router.Dispatch(request).status, 400);
  request = MakeRequest("DELETE", "/api/v1/runs");
  EXPECT_EQ(router.Dispatch(request).status, 405);
  EXPECT_FALSE(api_->Register(router).ok());  // the routes are taken
}

}  // namespace
}  // namespace storeflow::http::testing
