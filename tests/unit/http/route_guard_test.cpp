// The per-client rate limit and CORS of REST trigger routes, without a server.

#include <gtest/gtest.h>

#include <map>

#include "http/client_rate_limit.h"
#include "http/cors.h"
#include "http/route_guard.h"

namespace storeflow::http {
namespace {

TEST(ClientRateLimiterTest, BurstThenRetryAfterInWholeSeconds) {
  std::int64_t now = 1'000'000;
  ClientRateLimiter limiter(0.5, 3, 100, [&] { return now; });  // 1 per 2 s, burst 3
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("a").allowed) << i;
  ClientRateDecision refused = limiter.Take("a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 2);
  EXPECT_TRUE(limiter.Take("b").allowed);  // each client its own bucket
  now += 2000;
  EXPECT_TRUE(limiter.Take("a").allowed);
  EXPECT_FALSE(limiter.Take("a").allowed);
}

TEST(ClientRateLimiterTest, RetryAfterIsAtLeastOneSecond) {
  std::int64_t now = 0;
  ClientRateLimiter limiter(100, 1, 10, [&] { return now; });
  EXPECT_TRUE(limiter.Take("a").allowed);
  ClientRateDecision refused = limiter.Take("a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1);  // 10 ms rounds up
}

TEST(ClientRateLimiterTest, TableIsBoundedIdleClientsGoFirst) {
  std::int64_t now = 0;
  ClientRateLimiter limiter(1, 2, 3, [&] { return now; });
  EXPECT_TRUE(limiter.Take("busy").allowed);
  EXPECT_TRUE(limiter.Take("busy").allowed);  // empty now
  EXPECT_TRUE(limiter.Take("idle1").allowed);
  EXPECT_TRUE(limiter.Take("idle2").allowed);
  EXPECT_EQ(limiter.clients(), 3u);
  now += 1000;  // idle1/idle2 are full again; busy has 1 of 2
  for (int i = 0; i < 50; ++i) limiter.Take("new" + std::to_string(i));
  EXPECT_LE(limiter.clients(), 3u);
  // The busy client was seen least recently, so it went too at some point: the
  // cap holds whatever the clients do.
  ClientRateLimiter small(1, 1, 2, [&] { return now; });
  EXPECT_TRUE(small.Take("x").allowed);
  EXPECT_FALSE(small.Take("x").allowed);
  EXPECT_TRUE(small.Take("y").allowed);
  EXPECT_FALSE(small.Take("x").allowed);  // x kept: it was not idle and the table had room
  EXPECT_EQ(small.clients(), 2u);
}

TEST(ClientRateLimiterTest, RemoteHostDropsThePort) {
  EXPECT_EQ(RemoteHost("127.0.0.1:5000"), "127.0.0.1");
  EXPECT_EQ(RemoteHost("[::1]:5000"), "::1");
  EXPECT_EQ(RemoteHost("::1"), "::1");
  EXPECT_EQ(RemoteHost("10.0.0.2"), "10.0.0.2");
}

CorsPolicy Policy() {
  CorsPolicy p;
  p.allowed_origins = {"https://shop.example.com"};
  p.max_age_s = 300;
  return p;
}

Request Preflight(std::string origin, std::string method) {
  Request r;
  r.method = "OPTIONS";
  r.path = "/orders";
  r.headers = {{"origin", std::move(origin)}, {"access-control-request-method", std::move(method)}};
  return r;
}

std::string HeaderOf(const Response& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

TEST(CorsTest, PreflightAllowedOriginAndMethod) {
  const CorsPolicy policy = Policy();
  Response r = PreflightResponse(&policy, "POST", Preflight("https://shop.example.com", "POST"),
                                 "OPTIONS, POST");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), "https://shop.example.com");
  EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Methods"), "POST");
  EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Headers"), "Content-Type, Authorization");
  EXPECT_EQ(HeaderOf(r, "Access-Control-Max-Age"), "300");
}

TEST(CorsTest, PreflightRefusedGetsNoCorsHeaders) {
  const CorsPolicy policy = Policy();
  for (const Request& request :
       {Preflight("https://evil.example.com", "POST"),
        Preflight("https://shop.example.com", "DELETE"), Preflight("null", "POST")}) {
    Response r = PreflightResponse(&policy, "POST", request, "OPTIONS, POST");
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), "");
    EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Methods"), "");
  }
}

TEST(CorsTest, RealResponsesEchoOnlyAnAllowedOrigin) {
  const CorsPolicy policy = Policy();
  Request request;
  request.headers = {{"origin", "https://shop.example.com"}};
  Response allowed;
  AddCorsHeaders(policy, request, allowed);
  EXPECT_EQ(HeaderOf(allowed, "Access-Control-Allow-Origin"), "https://shop.example.com");
  EXPECT_EQ(HeaderOf(allowed, "Vary"), "Origin");
  request.headers = {{"origin", "https://shop.example.com.evil.example"}};
  Response refused;
  AddCorsHeaders(policy, request, refused);
  EXPECT_EQ(HeaderOf(refused, "Access-Control-Allow-Origin"), "");
  EXPECT_TRUE(IsCorsOrigin("http://localhost:5173"));
  EXPECT_TRUE(IsCorsOrigin("*"));
  EXPECT_FALSE(IsCorsOrigin("https://shop.example.com/path"));
  EXPECT_FALSE(IsCorsOrigin("shop.example.com"));
}

Request Caller(std::string address, std::string authorization = "") {
  Request r;
  r.method = "POST";
  r.path = "/orders";
  r.remote_address = std::move(address);
  if (!authorization.empty()) r.headers = {{"authorization", std::move(authorization)}};
  return r;
}

TEST(RouteGuardTest, RateLimitKeysOnTheVerifiedCallerElseTheAddress) {
  const runtime::SecretStore secrets(
      std::map<std::string, std::string>{{"A", "token-a-0123456789"}, {"B", "token-b-0123456789"}});
  workflow::HttpTrigger trigger;
  trigger.method = "POST";
  trigger.path = "/orders";
  trigger.auth.scheme = "bearer";
  trigger.auth.secrets = {{"A", {}}, {"B", {}}};
  trigger.rate_limit = workflow::HttpRateLimit{1.0 / 60, 1, "1/m"};
  RouteGuardOptions options;
  options.secrets = &secrets;
  std::int64_t now = 0;
  options.now_ms = [&] { return now; };
  auto guard = RouteGuard::Build(trigger, options);
  ASSERT_TRUE(guard.ok()) << guard.status().ToString();
  std::optional<AuthIdentity> identity;
  // Key A from two addresses: one bucket (the caller's), so the second is 429.
  EXPECT_FALSE((*guard)->Admit(Caller("10.0.0.1:1", "Bearer token-a-0123456789"), identity));
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(identity->event["key_name"], "A");
  auto second = (*guard)->Admit(Caller("10.0.0.2:1", "Bearer token-a-0123456789"), identity);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 429);
  // Key B from the same address has its own bucket.
  EXPECT_FALSE((*guard)->Admit(Caller("10.0.0.1:2", "Bearer token-b-0123456789"), identity));
  // Wrong tokens: 401, then 429 for that address once its bucket is empty.
  auto wrong = (*guard)->Admit(Caller("10.0.0.9:1", "Bearer guess-1"), identity);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 401);
  auto again = (*guard)->Admit(Caller("10.0.0.9:2", "Bearer guess-2"), identity);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 429);
  now += 60'000;
  EXPECT_FALSE((*guard)->Admit(Caller("10.0.0.2:1", "Bearer token-a-0123456789"), identity));
}

TEST(RouteGuardTest, TheCredentialHeaderIsNotKept) {
  const runtime::SecretStore secrets(std::map<std::string, std::string>{{"K", "k-0123456789"}});
  workflow::HttpTrigger trigger;
  trigger.method = "POST";
  trigger.path = "/orders";
  trigger.auth.scheme = "api_key";
  trigger.auth.header = "X-Shop-Key";
  trigger.auth.secrets = {{"K", {}}};
  RouteGuardOptions options;
  options.secrets = &secrets;
  auto guard = RouteGuard::Build(trigger, options);
  ASSERT_TRUE(guard.ok());
  EXPECT_TRUE((*guard)->IsCredentialHeader("x-shop-key"));
  EXPECT_FALSE((*guard)->IsCredentialHeader("content-type"));
}

}  // namespace
}  // namespace storeflow::http
