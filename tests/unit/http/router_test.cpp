#include "http/router.h"

#include <gtest/gtest.h>

namespace storeflow::http {
namespace {

Handler Named(std::string name) {
  return [name](Request& r) {
    Json params = r.path_params;
    return Response::JsonBody(200, {{"handler", name}, {"params", params}});
  };
}

Json Call(const Router& router, const std::string& method, const std::string& path,
          int* status = nullptr, std::string* route = nullptr, Response* out = nullptr) {
  Request request;
  request.method = method;
  request.path = path;
  Response response = router.Dispatch(request, route);
  if (status != nullptr) *status = response.status;
  if (out != nullptr) *out = response;
  return Json::parse(response.body);
}

TEST(RouterTest, MatchesLiteralsAndParameters) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/carts/{userId}", Named("cart")).ok());
  ASSERT_TRUE(router.Add("POST", "/orders", Named("orders")).ok());
  int status = 0;
  std::string route;
  Json body = Call(router, "GET", "/carts/u-42", &status, &route);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["handler"], "cart");
  EXPECT_EQ(body["params"]["userId"], "u-42");
  EXPECT_EQ(route, "/carts/{userId}");
  EXPECT_EQ(Call(router, "POST", "/orders/", &status)["handler"], "orders");  // trailing slash
}

TEST(RouterTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/carts/{id}", Named("get")).ok());
  ASSERT_TRUE(router.Add("DELETE", "/carts/{id}", Named("delete")).ok());
  int status = 0;
  std::string route;
  Json body = Call(router, "GET", "/nothing/here", &status, &route);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(body["error"]["code"], "not_found");
  EXPECT_EQ(route, "unmatched");
  Response response;
  body = Call(router, "POST", "/carts/7", &status, &route, &response);
  EXPECT_EQ(status, 405);
  EXPECT_EQ(body["error"]["code"], "method_not_allowed");
  ASSERT_EQ(response.headers.size(), 2u);
  EXPECT_EQ(response.headers[1].first, "Allow");
  EXPECT_EQ(response.headers[1].second, "DELETE, GET");
  EXPECT_EQ(route, "/carts/{id}");
}

TEST(RouterTest, LiteralSegmentWinsOverParameter) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/runs/{id}", Named("one")).ok());
  ASSERT_TRUE(router.Add("GET", "/runs/stats", Named("stats")).ok());
  EXPECT_EQ(Call(router, "GET", "/runs/stats")["handler"], "stats");
  EXPECT_EQ(Call(router, "GET", "/runs/12")["handler"], "one");
}

TEST(RouterTest, RestParameterTakesTheRestOfThePathAndLosesToExactRoutes) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/shop/{file...}", Named("static")).ok());
  ASSERT_TRUE(router.Add("GET", "/shop/api/{id}", Named("api")).ok());
  ASSERT_TRUE(router.Add("GET", "/{page}", Named("page")).ok());
  int status = 0;
  std::string route;
  Json got = Call(router, "GET", "/shop/css/site.css", &status, &route);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(got["handler"], "static");
  EXPECT_EQ(got["params"]["file"], "css/site.css");
  EXPECT_EQ(route, "/shop/{file...}");
  // Zero segments: the folder itself ("/shop" has a literal where "/{page}" has not).
  got = Call(router, "GET", "/shop/");
  EXPECT_EQ(got["handler"], "static");
  EXPECT_EQ(got["params"]["file"], "");
  EXPECT_EQ(Call(router, "GET", "/shop")["handler"], "static");
  // A route without {name...} and as many literals wins.
  EXPECT_EQ(Call(router, "GET", "/shop/api/7")["handler"], "api");
  EXPECT_EQ(Call(router, "GET", "/shop/api/7/x")["handler"], "static");
  EXPECT_EQ(Call(router, "GET", "/other")["handler"], "page");
  // Another method on a rest route: 405 with Allow.
  Response response;
  Call(router, "POST", "/shop/a/b", &status, nullptr, &response);
  EXPECT_EQ(status, 405);
  // {name...} must be last, and is one pattern shape of its own.
  EXPECT_FALSE(router.Add("GET", "/a/{rest...}/b", Named("x")).ok());
  EXPECT_EQ(router.Add("GET", "/shop/{other...}", Named("x")).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(router.Add("GET", "/shop/{one}", Named("one")).ok());
  EXPECT_EQ(Call(router, "GET", "/shop/x")["handler"], "one");
}

TEST(RouterTest, RefusesBadAndDuplicatePatterns) {
  Router router;
  EXPECT_EQ(router.Add("get", "/x", Named("x")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "x", Named("x")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/a{b}", Named("x")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/{a}/{a}", Named("x")).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(router.Add("GET", "/c/{id}", Named("x")).ok());
  EXPECT_EQ(router.Add("GET", "/c/{other}", Named("y")).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(router.Add("PUT", "/c/{other}", Named("y")).ok());
}

}  // namespace
}  // namespace storeflow::http
