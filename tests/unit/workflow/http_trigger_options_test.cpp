// The map form of `http:` triggers: auth, cors and rate_limit, and the errors
// (with their positions) of each.

#include <variant>

#include "workflow_test_util.h"

namespace storeflow::workflow::testing {
namespace {

// Knows the secrets SHOP_TOKEN and OLD_TOKEN only.
ValidateOptions WithSecrets() {
  ValidateOptions options = RepoOptions();
  options.check_secret = [](const std::string& name) {
    return name == "SHOP_TOKEN" || name == "OLD_TOKEN";
  };
  return options;
}

std::string Wf(const std::string& http) {
  return "workflow: api\non:\n  - http:\n" + http +
         "steps:\n  - id: a\n    respond: { body: ok }\n";
}

const HttpTrigger& FirstHttp(const LoadResult& result) {
  return std::get<HttpTrigger>(result.workflow()->triggers.at(0).spec);
}

TEST(HttpTriggerOptionsTest, StringFormHasNoAuth) {
  LoadResult r = LoadWorkflowFromString(
      "workflow: api\non:\n  - http: POST /orders\nsteps:\n  - id: a\n    respond: { body: ok }\n",
      "wf.yaml", WithSecrets());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(FirstHttp(r).auth.none());
  EXPECT_FALSE(FirstHttp(r).cors.has_value());
  EXPECT_FALSE(FirstHttp(r).rate_limit.has_value());
}

TEST(HttpTriggerOptionsTest, MapFormReadsEveryOption) {
  LoadResult r = LoadWorkflowFromString(Wf(R"(      route: POST /orders/{id}
      auth: { scheme: bearer, secrets: [SHOP_TOKEN, OLD_TOKEN] }
      cors:
        allowed_origins: [https://shop.example.com, "http://localhost:5173"]
        allowed_headers: [Content-Type, Authorization]
        max_age: 1h
      rate_limit: { per_client: 10/s, burst: 20 }
)"),
                                        "wf.yaml", WithSecrets());
  ASSERT_TRUE(r.ok()) << Join(Diagnose(Wf(""), WithSecrets()));
  const HttpTrigger& http = FirstHttp(r);
  EXPECT_EQ(http.method, "POST");
  EXPECT_EQ(http.path, "/orders/{id}");
  EXPECT_EQ(http.path_params, std::vector<std::string>{"id"});
  EXPECT_EQ(http.auth.scheme, "bearer");
  ASSERT_EQ(http.auth.secrets.size(), 2u);
  EXPECT_EQ(http.auth.secrets[1].name, "OLD_TOKEN");
  EXPECT_EQ(http.auth.secrets[1].loc.ToString(), "wf.yaml:5:53");
  ASSERT_TRUE(http.cors.has_value());
  EXPECT_EQ(http.cors->allowed_origins.size(), 2u);
  EXPECT_EQ(http.cors->max_age_s, 3600);
  ASSERT_TRUE(http.rate_limit.has_value());
  EXPECT_DOUBLE_EQ(http.rate_limit->per_second, 10);
  EXPECT_DOUBLE_EQ(http.rate_limit->burst, 20);
}

TEST(HttpTriggerOptionsTest, SchemeDefaults) {
  LoadResult r = LoadWorkflowFromString(
      Wf("      route: POST /k\n      auth: { scheme: api_key, secret: SHOP_TOKEN }\n"
         "      rate_limit: { per_client: 120/m }\n"),
      "wf.yaml", WithSecrets());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FirstHttp(r).auth.header, "X-Api-Key");
  EXPECT_DOUBLE_EQ(FirstHttp(r).rate_limit->per_second, 2);
  EXPECT_DOUBLE_EQ(FirstHttp(r).rate_limit->burst, 2);  // the rate of one second
  r = LoadWorkflowFromString(
      Wf("      route: POST /h\n      auth:\n        scheme: hmac\n        header: X-Signature\n"
         "        encoding: base64\n        prefix: \"sha256=\"\n        secret: SHOP_TOKEN\n"),
      "wf.yaml", WithSecrets());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FirstHttp(r).auth.algorithm, "sha256");
  EXPECT_TRUE(FirstHttp(r).auth.base64);
  r = LoadWorkflowFromString(
      Wf("      route: POST /j\n      auth: { scheme: jwt, algorithm: RS256, jwks: "
         "tests/fixtures/jwks/empty.json, issuer: https://id.example.com, leeway: 30s }\n"),
      "wf.yaml", WithSecrets());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FirstHttp(r).auth.leeway_s, 30);
  EXPECT_EQ(FirstHttp(r).auth.issuer, "https://id.example.com");
}

TEST(HttpTriggerOptionsTest, UnknownSchemeAtItsValue) {
  ExpectOneError(Wf("      route: POST /o\n      auth: { scheme: beare, secret: SHOP_TOKEN }\n"),
                 "wf.yaml:5:23", "unknown auth scheme 'beare'", WithSecrets());
  ExpectOneError(Wf("      route: POST /o\n      auth: basic\n"), "wf.yaml:5:13",
                 "unknown auth scheme 'basic'", WithSecrets());
}

TEST(HttpTriggerOptionsTest, UnknownSecretAtItsName) {
  ExpectOneError(
      Wf("      route: POST /o\n      auth:\n        scheme: bearer\n        secrets: [SHOP_TOKEN, "
         "NOPE]\n"),
      "wf.yaml:7:31", "unknown secret 'NOPE' (set STOREFLOW_SECRET_NOPE", WithSecrets());
}

TEST(HttpTriggerOptionsTest, MissingJwksFileAtThePath) {
  ExpectOneError(
      Wf("      route: GET /me\n      auth: { scheme: jwt, algorithm: RS256, jwks: keys/none.json "
         "}\n"),
      "wf.yaml:5:52", "JWKS file 'keys/none.json' not found", WithSecrets());
}

TEST(HttpTriggerOptionsTest, SchemeNeeds) {
  ExpectOneError(Wf("      route: POST /o\n      auth: { scheme: bearer }\n"), "wf.yaml:5:13",
                 "auth scheme 'bearer' needs 'secret'", WithSecrets());
  ExpectOneError(Wf("      route: POST /o\n      auth: { scheme: jwt, secret: SHOP_TOKEN }\n"),
                 "wf.yaml:5:13", "needs 'algorithm'", WithSecrets());
  ExpectOneError(Wf("      route: POST /o\n      auth: { scheme: jwt, algorithm: RS256 }\n"),
                 "wf.yaml:5:13", "RS256 needs 'jwks'", WithSecrets());
  ExpectOneError(Wf("      route: POST /o\n      auth: { scheme: hmac, secret: SHOP_TOKEN }\n"),
                 "wf.yaml:5:13", "'hmac' needs 'header'", WithSecrets());
  ExpectOneError(
      Wf("      route: POST /o\n      auth: { scheme: bearer, secret: SHOP_TOKEN, header: X-A }\n"),
      "wf.yaml:5:51", "'header' does not apply to auth scheme 'bearer'", WithSecrets());
  ExpectOneError(Wf("      route: POST /o\n      auth: { scheme: jwt, algorithm: none, secret: "
                    "SHOP_TOKEN }\n"),
                 "wf.yaml:5:39", "unknown jwt algorithm 'none'", WithSecrets());
  ExpectError(Wf("      auth: none\n"), "wf.yaml:4:7", "needs 'route'", WithSecrets());
}

TEST(HttpTriggerOptionsTest, CorsAndRateLimitErrors) {
  ExpectOneError(
      Wf("      route: GET /p\n      cors: { allowed_origins: [https://a.example/x] }\n"),
      "wf.yaml:5:33", "is not an origin", WithSecrets());
  ExpectOneError(Wf("      route: GET /p\n      cors: { max_age: 1h }\n"), "wf.yaml:5:13",
                 "needs 'allowed_origins'", WithSecrets());
  ExpectOneError(Wf("      route: GET /p\n      rate_limit: { per_client: ten }\n"), "wf.yaml:5:33",
                 "must be a rate such as \"10/s\"", WithSecrets());
  ExpectOneError(Wf("      route: GET /p\n      rate_limit: { per_client: 5/s, burst: 0 }\n"),
                 "wf.yaml:5:45", "'burst' must be from 1", WithSecrets());
  ExpectOneError(Wf("      route: GET /p\n      rate: { per_client: 5/s }\n"), "wf.yaml:5:7",
                 "unknown key 'rate'", WithSecrets());
}

}  // namespace
}  // namespace storeflow::workflow::testing
