// REST trigger auth without a server: each scheme accepted and refused, the
// 401s it gives, and what a misconfiguration says.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include <unistd.h>

#include "http/hmac_source.h"
#include "http/trigger_auth.h"
#include "jwt_test_keys.h"

namespace storeflow::http::testing {
namespace {

constexpr char kToken[] = "tok-0123456789abcdef0123456789abcdef";
constexpr char kOldToken[] = "tok-old-000000000000000000000000000000";
constexpr char kJwtSecret[] = "jwt-secret-0123456789abcdef0123456789";

runtime::SecretStore Secrets() {
  return runtime::SecretStore(std::map<std::string, std::string>{
      {"API_TOKEN", kToken}, {"OLD_TOKEN", kOldToken}, {"JWT_SECRET", kJwtSecret}});
}

workflow::HttpAuth Auth(std::string scheme, std::vector<std::string> secrets = {}) {
  workflow::HttpAuth auth;
  auth.scheme = std::move(scheme);
  for (auto& name : secrets) auth.secrets.push_back({name, {"wf.yaml", 7, 9}});
  return auth;
}

Request With(std::vector<std::pair<std::string, std::string>> headers, std::string body = "") {
  Request r;
  r.method = "POST";
  r.path = "/orders";
  r.headers = std::move(headers);
  r.body = std::move(body);
  r.remote_address = "127.0.0.1:5000";
  return r;
}

class TriggerAuthTest : public ::testing::Test {
 protected:
  std::unique_ptr<TriggerAuth> Make(const workflow::HttpAuth& auth) {
    auto built = TriggerAuth::Build(auth, &secrets_, root_, [this] { return now_; });
    EXPECT_TRUE(built.ok()) << built.status().ToString();
    return built.ok() ? std::move(built).value() : nullptr;
  }
  // The refusal's reason, after checking the 401's shape and that it quotes
  // none of the secrets nor the credential sent.
  std::string Refused(const AuthCheck& check, const std::string& sent = "") {
    EXPECT_FALSE(check.identity.has_value());
    if (!check.refusal) return "(allowed)";
    const Response& r = *check.refusal;
    EXPECT_EQ(r.status, 401);
    bool challenge = false;
    for (const auto& [name, value] : r.headers) challenge = challenge || name == "WWW-Authenticate";
    EXPECT_TRUE(challenge);
    for (const std::string& secret :
         {std::string(kToken), std::string(kOldToken), std::string(kJwtSecret)}) {
      EXPECT_EQ(r.body.find(secret), std::string::npos) << r.body;
    }
    if (!sent.empty()) EXPECT_EQ(r.body.find(sent), std::string::npos) << r.body;
    Json body = Json::parse(r.body);
    EXPECT_EQ(body["error"]["code"], "unauthorized");
    return body["error"]["details"]["reason"].get<std::string>();
  }

  runtime::SecretStore secrets_ = Secrets();
  std::filesystem::path root_ =
      std::filesystem::temp_directory_path() / ("storeflow-auth-" + std::to_string(::getpid()));
  std::int64_t now_ = NowS();
};

TEST_F(TriggerAuthTest, NoneLetsEveryoneInWithoutIdentity) {
  auto auth = Make(Auth("none"));
  AuthCheck check = auth->Check(With({}));
  EXPECT_FALSE(check.refusal.has_value());
  EXPECT_FALSE(check.identity.has_value());
}

TEST_F(TriggerAuthTest, BearerAcceptsEachNamedSecretAndSaysWhich) {
  auto auth = Make(Auth("bearer", {"API_TOKEN", "OLD_TOKEN"}));
  AuthCheck current = auth->Check(With({{"authorization", std::string("Bearer ") + kToken}}));
  ASSERT_TRUE(current.identity.has_value());
  EXPECT_EQ(current.identity->event, (Json{{"scheme", "bearer"}, {"key_name", "API_TOKEN"}}));
  EXPECT_EQ(current.identity->subject, "key:API_TOKEN");
  AuthCheck old = auth->Check(With({{"authorization", std::string("bearer  ") + kOldToken}}));
  ASSERT_TRUE(old.identity.has_value());
  EXPECT_EQ(old.identity->event["key_name"], "OLD_TOKEN");
}

TEST_F(TriggerAuthTest, BearerRefusals) {
  auto auth = Make(Auth("bearer", {"API_TOKEN"}));
  EXPECT_EQ(Refused(auth->Check(With({}))), "missing_credentials");
  EXPECT_EQ(Refused(auth->Check(With({{"authorization", "Bearer wrong-token"}})), "wrong-token"),
            "invalid_credentials");
  EXPECT_EQ(Refused(auth->Check(With({{"authorization", std::string("Basic ") + kToken}}))),
            "wrong_scheme");
  // A prefix of the token is not the token.
  EXPECT_EQ(Refused(auth->Check(With({{"authorization", "Bearer tok-0123"}}))),
            "invalid_credentials");
}

TEST_F(TriggerAuthTest, ApiKeyReadsItsHeader) {
  workflow::HttpAuth config = Auth("api_key", {"API_TOKEN"});
  config.header = "X-Shop-Key";
  auto auth = Make(config);
  EXPECT_EQ(auth->credential_header(), "x-shop-key");
  AuthCheck ok = auth->Check(With({{"x-shop-key", kToken}}));
  ASSERT_TRUE(ok.identity.has_value());
  EXPECT_EQ(ok.identity->event, (Json{{"scheme", "api_key"}, {"key_name", "API_TOKEN"}}));
  EXPECT_EQ(Refused(auth->Check(With({{"x-shop-key", "nope"}}))), "invalid_credentials");
  EXPECT_EQ(Refused(auth->Check(With({{"x-api-key", kToken}}))), "missing_credentials");
}

TEST_F(TriggerAuthTest, HmacSignsTheRawBodyAsWebhookSourcesDo) {
  workflow::HttpAuth config = Auth("hmac", {"OLD_TOKEN", "API_TOKEN"});
  config.header = "X-Signature";
  config.algorithm = "sha256";
  config.prefix = "sha256=";
  auto auth = Make(config);
  const std::string body = R"({"total": 3})";
  const std::string sig = "sha256=" + HexEncode(Hmac(Digest::kSha256, kToken, body).value());
  AuthCheck ok = auth->Check(With({{"x-signature", sig}}, body));
  ASSERT_TRUE(ok.identity.has_value());
  EXPECT_EQ(ok.identity->event, (Json{{"scheme", "hmac"}, {"key_name", "API_TOKEN"}}));
  EXPECT_EQ(Refused(auth->Check(With({{"x-signature", sig}}, R"({"total": 4})"))), "bad_signature");
  EXPECT_EQ(Refused(auth->Check(With({}, body))), "missing_signature");
  EXPECT_EQ(Refused(auth->Check(With({{"x-signature", "zz"}}, body))), "malformed_signature");
}

TEST_F(TriggerAuthTest, StripeChecksTheTimestamp) {
  workflow::HttpAuth config = Auth("stripe", {"API_TOKEN"});
  config.header = "Stripe-Signature";
  auto auth = Make(config);
  const std::string body = R"({"id": "evt_1"})";
  const auto header = [&](std::int64_t t) {
    const std::string ts = std::to_string(t);
    return "t=" + ts + ",v1=" + HexEncode(Hmac(Digest::kSha256, kToken, ts + "." + body).value());
  };
  EXPECT_TRUE(auth->Check(With({{"stripe-signature", header(now_)}}, body)).identity.has_value());
  EXPECT_EQ(Refused(auth->Check(With({{"stripe-signature", header(now_ - 3600)}}, body))),
            "stale_timestamp");
}

TEST_F(TriggerAuthTest, JwtHs256AcceptedWithSubjectAndClaims) {
  workflow::HttpAuth config = Auth("jwt", {"JWT_SECRET"});
  config.algorithm = "HS256";
  config.issuer = "https://id.example.com";
  config.audience = "shop-api";
  auto auth = Make(config);
  const Json claims = {{"sub", "customer-42"},
                       {"iss", "https://id.example.com"},
                       {"aud", Json::array({"other", "shop-api"})},
                       {"exp", now_ + 300},
                       {"scope", "orders:write"}};
  const std::string token = SignHs256({{"alg", "HS256"}, {"typ", "JWT"}}, claims, kJwtSecret);
  AuthCheck ok = auth->Check(With({{"authorization", "Bearer " + token}}));
  ASSERT_TRUE(ok.identity.has_value()) << (ok.refusal ? ok.refusal->body : "");
  EXPECT_EQ(ok.identity->event["scheme"], "jwt");
  EXPECT_EQ(ok.identity->event["subject"], "customer-42");
  EXPECT_EQ(ok.identity->event["claims"]["scope"], "orders:write");
  EXPECT_EQ(ok.identity->subject, "jwt:customer-42");
}

TEST_F(TriggerAuthTest, JwtRefusals) {
  workflow::HttpAuth config = Auth("jwt", {"JWT_SECRET"});
  config.algorithm = "HS256";
  config.issuer = "https://id.example.com";
  config.audience = "shop-api";
  config.leeway_s = 30;
  auto auth = Make(config);
  const Json header = {{"alg", "HS256"}};
  Json good = {
      {"sub", "c"}, {"iss", "https://id.example.com"}, {"aud", "shop-api"}, {"exp", now_ + 300}};
  const auto check = [&](const std::string& token) {
    return Refused(auth->Check(With({{"authorization", "Bearer " + token}})), token);
  };
  Json expired = good;
  expired["exp"] = now_ - 31;
  EXPECT_EQ(check(SignHs256(header, expired, kJwtSecret)), "expired");
  Json within_leeway = good;
  within_leeway["exp"] = now_ - 10;
  EXPECT_TRUE(auth->Check(With({{"authorization",
                                 "Bearer " + SignHs256(header, within_leeway, kJwtSecret)}}))
                  .identity.has_value());
  Json early = good;
  early["nbf"] = now_ + 120;
  EXPECT_EQ(check(SignHs256(header, early, kJwtSecret)), "not_yet_valid");
  Json no_exp = good;
  no_exp.erase("exp");
  EXPECT_EQ(check(SignHs256(header, no_exp, kJwtSecret)), "missing_exp");
  Json other_iss = good;
  other_iss["iss"] = "https://evil.example.com";
  EXPECT_EQ(check(SignHs256(header, other_iss, kJwtSecret)), "wrong_issuer");
  Json other_aud = good;
  other_aud["aud"] = "admin-api";
  EXPECT_EQ(check(SignHs256(header, other_aud, kJwtSecret)), "wrong_audience");
  EXPECT_EQ(check(SignHs256(header, good, "another-secret")), "bad_signature");
  // alg none: no signature at all.
  EXPECT_EQ(check(JwtPart({{"alg", "none"}}) + "." + JwtPart(good) + "."), "wrong_alg");
  // A valid signature over other claims (a tampered payload).
  std::string token = SignHs256(header, good, kJwtSecret);
  Json raised = good;
  raised["sub"] = "admin";
  const std::string tampered =
      JwtPart(header) + "." + JwtPart(raised) + token.substr(token.rfind('.'));
  EXPECT_EQ(check(tampered), "bad_signature");
  EXPECT_EQ(check("not-a-jwt"), "malformed");
  // Claims nested deeper than any JSON the engine takes from outside.
  const std::string deep = "{\"sub\": " + std::string(200, '[') + std::string(200, ']') + "}";
  const std::string deep_input = JwtPart(header) + "." + Base64UrlEncode(deep);
  EXPECT_EQ(check(deep_input + "." +
                  Base64UrlEncode(Hmac(Digest::kSha256, kJwtSecret, deep_input).value())),
            "malformed");
  EXPECT_EQ(Refused(auth->Check(With({}))), "missing_credentials");
}

TEST_F(TriggerAuthTest, JwtRs256WithAJwksFile) {
  WriteJwks(root_, "keys/jwks.json");
  workflow::HttpAuth config = Auth("jwt");
  config.algorithm = "RS256";
  config.jwks = {"keys/jwks.json", {}};
  auto auth = Make(config);
  const Json claims = {{"sub", "u-7"}, {"exp", now_ + 60}};
  const std::string token = SigningKey().Sign({{"alg", "RS256"}, {"kid", "test-key-1"}}, claims);
  AuthCheck ok = auth->Check(With({{"authorization", "Bearer " + token}}));
  ASSERT_TRUE(ok.identity.has_value()) << (ok.refusal ? ok.refusal->body : "");
  EXPECT_EQ(ok.identity->event["subject"], "u-7");
  const auto check = [&](const std::string& t) {
    return Refused(auth->Check(With({{"authorization", "Bearer " + t}})), t);
  };
  // Signed by a key the JWKS does not hold (with and without a kid).
  EXPECT_EQ(check(OtherKey().Sign({{"alg", "RS256"}}, claims)), "bad_signature");
  EXPECT_EQ(check(OtherKey().Sign({{"alg", "RS256"}, {"kid", "test-key-1"}}, claims)),
            "bad_signature");
  // Algorithm confusion: an HS256 token keyed with the public key's text.
  const std::string jwks_text = SigningKey().Jwk().dump();
  EXPECT_EQ(check(SignHs256({{"alg", "HS256"}}, claims, jwks_text)), "wrong_alg");
  EXPECT_EQ(check(JwtPart({{"alg", "none"}}) + "." + JwtPart(claims) + "."), "wrong_alg");
  Json expired = claims;
  expired["exp"] = now_ - 3600;
  EXPECT_EQ(check(SigningKey().Sign({{"alg", "RS256"}}, expired)), "expired");
  std::filesystem::remove_all(root_);
}

TEST_F(TriggerAuthTest, Hs256RouteRefusesAnRs256Token) {
  workflow::HttpAuth config = Auth("jwt", {"JWT_SECRET"});
  config.algorithm = "HS256";
  auto auth = Make(config);
  const std::string token =
      SigningKey().Sign({{"alg", "RS256"}}, {{"sub", "x"}, {"exp", now_ + 60}});
  EXPECT_EQ(Refused(auth->Check(With({{"authorization", "Bearer " + token}}))), "wrong_alg");
}

TEST_F(TriggerAuthTest, ConfigurationErrorsNameThePlace) {
  auto unknown = TriggerAuth::Build(Auth("bearer", {"NOPE"}), &secrets_, root_);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("wf.yaml:7:9"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("unknown secret 'NOPE'"), std::string::npos);
  workflow::HttpAuth rs = Auth("jwt");
  rs.algorithm = "RS256";
  rs.jwks = {"missing/jwks.json", {"wf.yaml", 9, 15}};
  auto missing = TriggerAuth::Build(rs, &secrets_, root_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("wf.yaml:9:15"), std::string::npos);
  EXPECT_NE(missing.status().message().find("cannot be read"), std::string::npos);
  EXPECT_FALSE(ParseJwks(R"({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]})").ok());
  EXPECT_FALSE(ParseJwks(R"({"keys": []})").ok());
  EXPECT_FALSE(ParseJwks("[]").ok());
}

}  // namespace
}  // namespace storeflow::http::testing
