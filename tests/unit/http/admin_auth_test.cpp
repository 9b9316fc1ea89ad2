// The admin API's bearer token: 401 with WWW-Authenticate, constant-time
// comparison, and when the API may be served without a token.

#include "http/admin_auth.h"
#include "admin_test_util.h"

namespace storeflow::http::testing {
namespace {

TEST(AdminAuthTest, ConstantTimeEqualsComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("secret-token", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("secret-tokem", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("secret-token-and-more", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(AdminAuthTest, LoopbackHosts) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "", "::", "10.0.0.1", "127.0.0", "127.0.0.1.5", "127.0.0.256",
                           "127.evil.com", "localhost.example.com", "[::]"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(AdminAuthTest, ExposureNeedsATokenUnlessDevModeOnLoopback) {
  EXPECT_TRUE(CheckAdminExposure("0.0.0.0", "a-token", false).ok());
  EXPECT_TRUE(CheckAdminExposure("127.0.0.1", "a-token", true).ok());
  EXPECT_TRUE(CheckAdminExposure("127.0.0.1", "", true).ok());
  EXPECT_TRUE(CheckAdminExposure("::1", "", true).ok());

  Status public_dev = CheckAdminExposure("0.0.0.0", "", true);
  EXPECT_EQ(public_dev.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(public_dev.message().find("loopback"), std::string::npos) << public_dev.message();
  EXPECT_NE(public_dev.message().find("'0.0.0.0'"), std::string::npos) << public_dev.message();

  Status loopback_prod = CheckAdminExposure("127.0.0.1", "", false);
  EXPECT_EQ(loopback_prod.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(loopback_prod.message().find("STOREFLOW_ADMIN_TOKEN"), std::string::npos);
  EXPECT_NE(loopback_prod.message().find("admin.token"), std::string::npos);
}

TEST(AdminAuthTest, BearerCheckAnswers401WithAChallenge) {
  Request request = MakeRequest("GET", "/api/v1/runs", "", false);
  auto missing = CheckBearerToken(request, "right");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(HeaderOf(*missing, "WWW-Authenticate"), "Bearer realm=\"storeflow-admin\"");
  EXPECT_EQ(Json::parse(missing->body)["error"]["code"], "unauthorized");

  request.headers = {{"authorization", "Basic dXNlcjpwYXNz"}};
  auto basic = CheckBearerToken(request, "right");
  ASSERT_TRUE(basic.has_value());
  EXPECT_EQ(basic->status, 401);

  request.headers = {{"authorization", "Bearer wrong"}};
  auto wrong = CheckBearerToken(request, "right");
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(HeaderOf(*wrong, "WWW-Authenticate"),
            "Bearer realm=\"storeflow-admin\", error=\"invalid_token\"");
  EXPECT_EQ(wrong->body.find("right"), std::string::npos);  // never echoes the token

  request.headers = {{"authorization", "bearer   right  "}};
  EXPECT_FALSE(CheckBearerToken(request, "right").has_value());
  request.headers = {{"authorization", "Bearer right"}};
  EXPECT_FALSE(CheckBearerToken(request, "right").has_value());
  request.headers = {};
  EXPECT_FALSE(CheckBearerToken(request, "").has_value());  // auth off (dev mode)
}

class AdminApiAuthTest : public AdminApiTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(AdminApiAuthTest);

TEST_P(AdminApiAuthTest, EveryRouteNeedsTheToken) {
  for (const auto& [method, pattern] : AdminApi::Routes()) {
    std::string path = pattern;
    for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
      path.replace(open, path.find('}', open) - open + 1, "1");
    }
    Response response = api_->Handle(MakeRequest(method, path, "", false));
    EXPECT_EQ(response.status, 401) << method << " " << path;
    EXPECT_FALSE(HeaderOf(response, "WWW-Authenticate").empty());
    Request wrong = MakeRequest(method, path, "", false);
    wrong.headers.emplace_back("authorization", "Bearer not-the-token");
    EXPECT_EQ(api_->Handle(wrong).status, 401) << method << " " << path;
  }
  // Unknown routes are not revealed before authentication either.
  EXPECT_EQ(api_->Handle(MakeRequest("GET", "/api/v1/nope", "", false)).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/runs").status, 200);
}

TEST_P(AdminApiAuthTest, AnEmptyTokenTurnsAuthenticationOff) {
  AdminApi open(*store_, *engine_, AdminApiOptions{});
  EXPECT_EQ(open.Handle(MakeRequest("GET", "/api/v1/workflows", "", false)).status, 200);
}

}  // namespace
}  // namespace storeflow::http::testing
