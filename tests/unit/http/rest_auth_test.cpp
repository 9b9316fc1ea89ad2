// REST trigger auth, CORS and rate limits over real HTTP on loopback: the
// verified caller reaches the workflow as event.auth; refusals are 401 / 429.

#include <map>

#include "http_fixture.h"
#include "jwt_test_keys.h"
#include "runtime/secrets.h"

namespace storeflow::http::testing {
namespace {

constexpr char kApiToken[] = "shop-api-token-0123456789abcdef012345";
constexpr char kJwtSecret[] = "shop-jwt-secret-0123456789abcdef0123";

constexpr char kBearer[] = R"(workflow: whoami
on:
  - http:
      route: POST /whoami
      auth: { scheme: bearer, secret: SHOP_API_TOKEN }
steps:
  - id: answer
    respond:
      body:
        key: "${{ event.auth.key_name }}"
        scheme: "${{ event.auth.scheme }}"
        saw_authorization: "${{ event.headers.authorization ~= nil }}"
)";

constexpr char kJwt[] = R"(workflow: me
on:
  - http:
      route: GET /me
      auth: { scheme: jwt, algorithm: HS256, secret: SHOP_JWT_SECRET, audience: shop }
steps:
  - id: answer
    respond:
      body: { subject: "${{ event.auth.subject }}", plan: "${{ event.auth.claims.plan }}" }
)";

constexpr char kCorsRoute[] = R"(workflow: cart
on:
  - http:
      route: POST /cart
      cors:
        allowed_origins: [https://shop.example.com]
        allowed_headers: [Content-Type]
steps:
  - id: answer
    respond: { body: { ok: true } }
)";

constexpr char kOpen[] = R"(workflow: products
on:
  - http: GET /products
steps:
  - id: answer
    respond: { body: [] }
)";

constexpr char kLimited[] = R"(workflow: search
on:
  - http:
      route: GET /search
      rate_limit: { per_client: 1/m, burst: 2 }
steps:
  - id: answer
    respond: { body: { ok: true } }
)";

class RestAuthTest : public HttpTest {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    surface_options_.rest.secrets =
        std::make_shared<const runtime::SecretStore>(std::map<std::string, std::string>{
            {"SHOP_API_TOKEN", kApiToken}, {"SHOP_JWT_SECRET", kJwtSecret}});
  }
};

TEST_P(RestAuthTest, BearerCallerIsInEventAuthAndTheTokenIsNot) {
  Load(kBearer);
  StartServer();
  Reply missing = Send(port_, "POST", "/whoami", "{}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(missing.status, 401) << missing.body;
  EXPECT_EQ(missing.header("WWW-Authenticate"), "Bearer realm=\"storeflow\"");
  EXPECT_EQ(missing.json()["error"]["details"]["reason"], "missing_credentials");
  Reply wrong = Send(port_, "POST", "/whoami", "{}",
                     {{"Content-Type", "application/json"}, {"Authorization", "Bearer nope-123"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.header("WWW-Authenticate").find("invalid_token"), std::string::npos);
  EXPECT_EQ(wrong.body.find("nope-123"), std::string::npos);
  EXPECT_EQ(wrong.body.find(kApiToken), std::string::npos);
  Reply ok = Send(port_, "POST", "/whoami", "{}",
                  {{"Content-Type", "application/json"},
                   {"Authorization", std::string("Bearer ") + kApiToken}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["key"], "SHOP_API_TOKEN");
  EXPECT_EQ(ok.json()["scheme"], "bearer");
  EXPECT_EQ(ok.json()["saw_authorization"], false);
  // Nothing stored holds the token; refused requests start no run.
  const std::int64_t run_id = std::stoll(ok.header("X-Run-Id"));
  EXPECT_EQ(GetRun(run_id).workflow, "whoami");
  EXPECT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events().front().payload.dump().find(kApiToken), std::string::npos);
  EXPECT_EQ(Events().front().payload["auth"]["key_name"], "SHOP_API_TOKEN");
}

TEST_P(RestAuthTest, JwtSubjectAndClaimsReachTheStep) {
  Load(kJwt);
  StartServer();
  const std::int64_t now = NowS();
  const std::string token = SignHs256(
      {{"alg", "HS256"}}, {{"sub", "cust-9"}, {"aud", "shop"}, {"plan", "gold"}, {"exp", now + 60}},
      kJwtSecret);
  Reply ok = Send(port_, "GET", "/me", "", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["subject"], "cust-9");
  EXPECT_EQ(ok.json()["plan"], "gold");
  const std::string expired = SignHs256(
      {{"alg", "HS256"}}, {{"sub", "cust-9"}, {"aud", "shop"}, {"exp", now - 3600}}, kJwtSecret);
  Reply old = Send(port_, "GET", "/me", "", {{"Authorization", "Bearer " + expired}});
  EXPECT_EQ(old.status, 401);
  EXPECT_EQ(old.json()["error"]["details"]["reason"], "expired");
  EXPECT_EQ(old.body.find(expired), std::string::npos);
  const std::string none = JwtPart({{"alg", "none"}}) + "." +
                           JwtPart({{"sub", "admin"}, {"aud", "shop"}, {"exp", now + 60}}) + ".";
  Reply unsigned_token = Send(port_, "GET", "/me", "", {{"Authorization", "Bearer " + none}});
  EXPECT_EQ(unsigned_token.status, 401);
  EXPECT_EQ(unsigned_token.json()["error"]["details"]["reason"], "wrong_alg");
}

TEST_P(RestAuthTest, CorsPreflightAndResponsesPerRouteAndGlobal) {
  Load(kCorsRoute, "cart.yaml");
  Load(kOpen, "products.yaml");
  workflow::HttpCors global;
  global.allowed_origins = {"http://localhost:5173"};
  surface_options_.rest.cors = global;
  StartServer();
  // The route's own policy.
  Reply preflight = Send(port_, "OPTIONS", "/cart", "",
                         {{"Origin", "https://shop.example.com"},
                          {"Access-Control-Request-Method", "POST"},
                          {"Access-Control-Request-Headers", "content-type"}});
  EXPECT_EQ(preflight.status, 204) << preflight.body;
  EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "https://shop.example.com");
  EXPECT_EQ(preflight.header("Access-Control-Allow-Methods"), "POST");
  EXPECT_EQ(preflight.header("Access-Control-Allow-Headers"), "Content-Type");
  Reply refused =
      Send(port_, "OPTIONS", "/cart", "",
           {{"Origin", "http://localhost:5173"},  // global origin: the route has its own
            {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(refused.status, 204);
  EXPECT_EQ(refused.header("Access-Control-Allow-Origin"), "");
  Reply real = Send(port_, "POST", "/cart", "{}",
                    {{"Content-Type", "application/json"}, {"Origin", "https://shop.example.com"}});
  EXPECT_EQ(real.status, 200) << real.body;
  EXPECT_EQ(real.header("Access-Control-Allow-Origin"), "https://shop.example.com");
  EXPECT_NE(real.header("Vary").find("Origin"), std::string::npos);
  Reply other = Send(port_, "POST", "/cart", "{}",
                     {{"Content-Type", "application/json"}, {"Origin", "https://evil.example"}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.header("Access-Control-Allow-Origin"), "");
  // The global policy on a route without its own.
  Reply global_preflight =
      Send(port_, "OPTIONS", "/products", "",
           {{"Origin", "http://localhost:5173"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(global_preflight.status, 204);
  EXPECT_EQ(global_preflight.header("Access-Control-Allow-Origin"), "http://localhost:5173");
  Reply products = Send(port_, "GET", "/products", "", {{"Origin", "http://localhost:5173"}});
  EXPECT_EQ(products.status, 200);
  EXPECT_EQ(products.header("Access-Control-Allow-Origin"), "http://localhost:5173");
}

TEST_P(RestAuthTest, RateLimitAnswers429WithRetryAfterAfterTheBurst) {
  Load(kLimited);
  StartServer();
  EXPECT_EQ(Send(port_, "GET", "/search").status, 200);
  EXPECT_EQ(Send(port_, "GET", "/search").status, 200);
  Reply limited = Send(port_, "GET", "/search");
  EXPECT_EQ(limited.status, 429) << limited.body;
  const int retry_after = std::stoi(limited.header("Retry-After"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  EXPECT_EQ(limited.json()["error"]["code"], "rate_limited");
}

TEST_P(RestAuthTest, UnknownSecretFailsTheSurfaceStart) {
  surface_options_.rest.secrets = std::make_shared<const runtime::SecretStore>();
  Load(kBearer);
  MakeEngine();
  WebhookSources sources;
  Surface surface(*engine_, std::move(sources), surface_options_);
  Status s = surface.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unknown secret 'SHOP_API_TOKEN'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("wf.yaml:5:"), std::string::npos) << s.message();
}

STOREFLOW_INSTANTIATE_STORE_TESTS(RestAuthTest);

}  // namespace
}  // namespace storeflow::http::testing
