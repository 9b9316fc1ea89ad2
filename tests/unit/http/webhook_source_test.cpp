#include <gtest/gtest.h>

#include "http/hmac_source.h"
#include "http/shopify_source.h"
#include "http/webhook_source.h"

namespace storeflow::http {
namespace {

Request Delivery(const std::string& body, std::vector<std::pair<std::string, std::string>> h) {
  Request r;
  r.method = "POST";
  r.body = body;
  r.headers = std::move(h);
  return r;
}

// Published vectors (Shopify's shopify_app webhook verification test):
// secret "secret" / "old_secret", body "foo=anything".
TEST(ShopifySourceTest, KnownVectorsAndRotation) {
  EXPECT_EQ(ShopifySignature("foo=anything", "secret"),
            "yCGX/RrK4fcuNtr3ztk5tQGsOBjcAzHpGLdMUrbV8yI=");
  EXPECT_EQ(ShopifySignature("foo=anything", "old_secret"),
            "XqRcjrSv57VACn6apEO9znyu/wkN1VC7QxdSPwK3Hzs=");
  ShopifySource rotating({"secret", "old_secret"});
  EXPECT_FALSE(rotating.Verify(
      Delivery("foo=anything",
               {{"x-shopify-hmac-sha256", "yCGX/RrK4fcuNtr3ztk5tQGsOBjcAzHpGLdMUrbV8yI="}})));
  EXPECT_FALSE(rotating.Verify(
      Delivery("foo=anything",
               {{"x-shopify-hmac-sha256", "XqRcjrSv57VACn6apEO9znyu/wkN1VC7QxdSPwK3Hzs="}})));
  ShopifySource current_only({"secret"});
  auto old = current_only.Verify(Delivery(
      "foo=anything", {{"x-shopify-hmac-sha256", "XqRcjrSv57VACn6apEO9znyu/wkN1VC7QxdSPwK3Hzs="}}));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->reason, "bad_signature");
}

TEST(ShopifySourceTest, MissingMalformedAndTamperedAreRejected) {
  ShopifySource source({"secret"});
  auto missing = source.Verify(Delivery("{}", {}));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->reason, "missing_signature");
  auto malformed = source.Verify(Delivery("{}", {{"x-shopify-hmac-sha256", "invalid_hmac"}}));
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->reason, "malformed_signature");
  const std::string sig = ShopifySignature("{\"a\":1}", "secret").value();
  EXPECT_FALSE(source.Verify(Delivery("{\"a\":1}", {{"x-shopify-hmac-sha256", sig}})));
  auto tampered = source.Verify(Delivery("{\"a\":2}", {{"x-shopify-hmac-sha256", sig}}));
  ASSERT_TRUE(tampered);
  EXPECT_EQ(tampered->reason, "bad_signature");
}

TEST(ShopifySourceTest, EnvelopeHasTopicDedupKeyAndMeta) {
  ShopifySource source({"secret"});
  auto envelope =
      source.Envelope(Delivery("{}", {{"x-shopify-topic", "carts/create"},
                                      {"x-shopify-webhook-id", "w-1"},
                                      {"x-shopify-shop-domain", "toys.myshopify.com"},
                                      {"x-shopify-api-version", "2026-07"},
                                      {"x-shopify-triggered-at", "2026-11-21T08:00:00Z"}}),
                      Json::object());
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->topic, "carts/create");
  EXPECT_EQ(envelope->dedup_key, "webhook:w-1");
  EXPECT_EQ(envelope->meta["shop_domain"], "toys.myshopify.com");
  EXPECT_EQ(envelope->meta["api_version"], "2026-07");
  EXPECT_EQ(envelope->meta["triggered_at"], "2026-11-21T08:00:00Z");
  auto with_event = source.Envelope(Delivery("{}", {{"x-shopify-topic", "orders/create"},
                                                    {"x-shopify-webhook-id", "w-2"},
                                                    {"x-shopify-event-id", "e-9"}}),
                                    Json::object());
  ASSERT_TRUE(with_event.ok());
  EXPECT_EQ(with_event->dedup_key, "event:orders/create:e-9");
  EXPECT_EQ(source.Envelope(Delivery("{}", {}), Json::object()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ShopifySourceTest, MaxAgeRefusesOldOrUndatedDeliveriesOnlyWhenSet) {
  // 2026-11-21T08:00:00Z = 1795248000 s.
  const std::int64_t triggered = 1'795'248'000'000;
  std::int64_t now = triggered + 4 * 3'600'000;  // a last retry, 4 hours later
  ShopifySourceOptions options;
  options.max_age = std::chrono::hours(5);
  options.now = [&now] { return now; };
  ShopifySource source({"secret"}, options);
  const std::string sig = ShopifySignature("{}", "secret").value();
  auto delivery = [&](std::optional<std::string> at) {
    std::vector<std::pair<std::string, std::string>> h = {{"x-shopify-hmac-sha256", sig}};
    if (at) h.emplace_back("x-shopify-triggered-at", *at);
    return Delivery("{}", h);
  };
  EXPECT_FALSE(source.Verify(delivery("2026-11-21T08:00:00.877041743Z")));
  now = triggered + 6 * 3'600'000;
  auto old = source.Verify(delivery("2026-11-21T08:00:00Z"));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->reason, "stale_timestamp");
  EXPECT_NE(old->message.find("21600 s old, more than webhooks.shopify_max_age (18000 s)"),
            std::string::npos)
      << old->message;
  auto undated = source.Verify(delivery(std::nullopt));
  ASSERT_TRUE(undated);
  EXPECT_EQ(undated->reason, "stale_timestamp");
  auto garbled = source.Verify(delivery("yesterday"));
  ASSERT_TRUE(garbled);
  EXPECT_EQ(garbled->reason, "stale_timestamp");
  // A bad signature is reported as such, before any age.
  auto forged = source.Verify(
      Delivery("{}", {{"x-shopify-hmac-sha256", ShopifySignature("{}", "x").value()}}));
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->reason, "bad_signature");
  // Off (the default): any age, or none, is accepted.
  ShopifySource off({"secret"});
  EXPECT_FALSE(off.Verify(delivery("2020-01-01T00:00:00Z")));
  EXPECT_FALSE(off.Verify(delivery(std::nullopt)));
}

TEST(WebhookCryptoTest, MacEqualsAndCodecs) {
  EXPECT_TRUE(MacEquals("abc", "abc"));
  EXPECT_FALSE(MacEquals("abc", "abd"));
  EXPECT_FALSE(MacEquals("abc", "abcd"));
  EXPECT_EQ(Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(Base64Decode("aGVsbG8"), "hello");
  EXPECT_FALSE(Base64Decode("a$=="));
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(Base64Encode("hell"), "aGVsbA==");
  EXPECT_EQ(HexDecode("00fFa1"), std::string("\x00\xff\xa1", 3));
  EXPECT_FALSE(HexDecode("0g"));
  EXPECT_EQ(HexEncode(std::string("\x00\xff", 2)), "00ff");
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(*Hmac(Digest::kSha256, "Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 2202 test case 2.
  EXPECT_EQ(HexEncode(*Hmac(Digest::kSha1, "Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

// Fail closed: a MAC that could not be computed, or an empty one, matches nothing.
TEST(WebhookCryptoTest, MacHelpersFailClosed) {
  EXPECT_FALSE(MacEquals("", ""));
  EXPECT_FALSE(MacEquals("abc", ""));
  EXPECT_FALSE(MacEquals("", "abc"));
  EXPECT_FALSE(Hmac(Digest::kSha256, "", "body").has_value());
  EXPECT_FALSE(ShopifySignature("body", "").has_value());
  EXPECT_FALSE(MacMatches(std::nullopt, ""));
  EXPECT_FALSE(MacMatches(std::nullopt, "abc"));
  EXPECT_FALSE(MacMatches(std::string(), ""));
  EXPECT_TRUE(MacMatches(Hmac(Digest::kSha256, "k", "body"), *Hmac(Digest::kSha256, "k", "body")));
}

auto Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    static thread_local std::string value;
    auto it = vars.find(name);
    if (it == vars.end()) return nullptr;
    value = it->second;
    return value.c_str();
  };
}

TEST(HmacSourceTest, GenericHexWithPrefixAndSha1Base64) {
  auto parsed = ParseHmacSources(
      "github: header=X-Hub-Signature-256, prefix=sha256=, secret_env=GH, "
      "topic_header=X-GitHub-Event, id_header=X-GitHub-Delivery;"
      "legacy: header=X-Sig, algorithm=sha1, encoding=base64, secret_env=LEGACY, topic=ping",
      Env({{"GH", "new,old"}, {"LEGACY", "k"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  HmacSource github((*parsed)[0]);
  const std::string body = R"({"zen":"yes"})";
  const std::string old_sig = "sha256=" + HexEncode(*Hmac(Digest::kSha256, "old", body));
  EXPECT_FALSE(github.Verify(Delivery(body, {{"x-hub-signature-256", old_sig}})));
  auto no_prefix = github.Verify(Delivery(body, {{"x-hub-signature-256", old_sig.substr(7)}}));
  ASSERT_TRUE(no_prefix);
  EXPECT_EQ(no_prefix->reason, "malformed_signature");
  auto envelope = github.Envelope(
      Delivery(body, {{"x-github-event", "push"}, {"x-github-delivery", "d-1"}}), Json());
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->topic, "push");
  EXPECT_EQ(envelope->dedup_key, "d-1");

  HmacSource legacy((*parsed)[1]);
  EXPECT_FALSE(
      legacy.Verify(Delivery(body, {{"x-sig", Base64Encode(*Hmac(Digest::kSha1, "k", body))}})));
  EXPECT_TRUE(
      legacy.Verify(Delivery(body, {{"x-sig", Base64Encode(*Hmac(Digest::kSha1, "x", body))}})));
  EXPECT_EQ(legacy.Envelope(Delivery(body, {}), Json())->topic, "ping");
}

TEST(HmacSourceTest, StripeSchemeChecksTimestampTolerance) {
  auto parsed = ParseHmacSources(
      "stripe: scheme=stripe, secret_env=ST, topic_field=type, id_field=id, tolerance=300",
      Env({{"ST", "whsec_test"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  std::int64_t now = 1'700'000'000;
  HmacSource stripe((*parsed)[0], [&] { return now; });
  const std::string body = R"({"id":"evt_1","type":"charge.succeeded"})";
  const std::string sig = HexEncode(*Hmac(Digest::kSha256, "whsec_test", "1700000000." + body));
  const std::string header = "t=1700000000,v1=" + sig + ",v0=deadbeef";
  EXPECT_FALSE(stripe.Verify(Delivery(body, {{"stripe-signature", header}})));
  now += 301;
  auto stale = stripe.Verify(Delivery(body, {{"stripe-signature", header}}));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->reason, "stale_timestamp");
  auto envelope = stripe.Envelope(Delivery(body, {}), Json::parse(body));
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->topic, "charge.succeeded");
  EXPECT_EQ(envelope->dedup_key, "evt_1");
}

TEST(HmacSourceTest, SpecErrorsNameTheSourceAndKey) {
  auto env = Env({{"S", "x"}});
  EXPECT_NE(ParseHmacSources("nocolon", env).status().message().find("NAME:key=value"),
            std::string::npos);
  EXPECT_NE(ParseHmacSources("a: header=X, secret_env=S, colour=red", env)
                .status()
                .message()
                .find("unknown key 'colour'"),
            std::string::npos);
  EXPECT_NE(ParseHmacSources("a: header=X, algorithm=md5, secret_env=S", env)
                .status()
                .message()
                .find("sha256 or sha1"),
            std::string::npos);
  EXPECT_NE(ParseHmacSources("a: header=X, secret_env=MISSING", env)
                .status()
                .message()
                .find("holds no secret"),
            std::string::npos);
  EXPECT_TRUE(ParseHmacSources("", env).ok());
  // Found by tests/fuzz/webhook_headers_fuzz.cpp: an empty fixed topic was accepted.
  EXPECT_NE(ParseHmacSources("a: header=X, secret_env=S, topic=", env)
                .status()
                .message()
                .find("webhook source 'a': topic= needs a value"),
            std::string::npos);
}

// Found by tests/fuzz/webhook_headers_fuzz.cpp: header values and body fields kept
// with the event were taken as they came, so a byte that is not UTF-8 (or a NUL)
// reached the store, which refused the whole batch (a 500 that Shopify retries
// forever). They are now refused with a 400 naming the header or field.
TEST(ShopifySourceTest, EnvelopeRefusesHeadersTheStoreCannotKeep) {
  ShopifySource source({"secret"});
  auto bad_bytes = source.Envelope(Delivery("{}", {{"x-shopify-topic", "orders/create"},
                                                   {"x-shopify-triggered-at", "2\xff\xfe"}}),
                                   Json());
  ASSERT_FALSE(bad_bytes.ok());
  EXPECT_EQ(bad_bytes.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_bytes.status().message(), "the X-Shopify-Triggered-At header is not valid UTF-8");
  auto nul = source.Envelope(
      Delivery("{}", {{"x-shopify-topic", std::string("orders/create\0x", 15)}}), Json());
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.status().message(), "the X-Shopify-Topic header contains a NUL byte");
  auto overlong = source.Envelope(
      Delivery("{}", {{"x-shopify-topic", "orders/create"}, {"x-shopify-webhook-id", "\xc0\xaf"}}),
      Json());
  ASSERT_FALSE(overlong.ok());
  EXPECT_EQ(overlong.status().message(), "the X-Shopify-Webhook-Id header is not valid UTF-8");
  auto fine = source.Envelope(Delivery("{}", {{"x-shopify-topic", "orders/create"},
                                              {"x-shopify-shop-domain", "bücher.example"}}),
                              Json());
  ASSERT_TRUE(fine.ok()) << fine.status().ToString();
  EXPECT_EQ(fine->meta["shop_domain"], "bücher.example");
}

TEST(HmacSourceTest, EnvelopeRefusesTopicsAndIdsTheStoreCannotKeep) {
  auto parsed = ParseHmacSources(
      "gh: header=X-Sig, secret_env=S, topic_header=X-Event, id_header=X-Delivery;"
      "st: scheme=stripe, secret_env=S, topic_field=type, id_field=id",
      Env({{"S", "k"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  HmacSource by_header((*parsed)[0]);
  auto topic = by_header.Envelope(Delivery("{}", {{"x-event", "push\x80"}}), Json());
  ASSERT_FALSE(topic.ok());
  EXPECT_EQ(topic.status().message(), "the X-Event header is not valid UTF-8");
  auto id = by_header.Envelope(
      Delivery("{}", {{"x-event", "push"}, {"x-delivery", std::string("d\0", 2)}}), Json());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message(), "the X-Delivery header contains a NUL byte");

  HmacSource by_field((*parsed)[1]);
  auto nul_topic = by_field.Envelope(Delivery("", {}), Json::parse(R"({"type":"a\u0000b"})"));
  ASSERT_FALSE(nul_topic.ok());
  EXPECT_EQ(nul_topic.status().message(), "the body field 'type' contains a NUL byte");
  auto empty_topic = by_field.Envelope(Delivery("", {}), Json::parse(R"({"type":""})"));
  ASSERT_FALSE(empty_topic.ok());
  EXPECT_EQ(empty_topic.status().message(), "the body field 'type' is empty");
  auto nul_id = by_field.Envelope(Delivery("", {}), Json::parse(R"({"type":"t","id":"\u0000"})"));
  ASSERT_FALSE(nul_id.ok());
  EXPECT_EQ(nul_id.status().message(), "the body field 'id' contains a NUL byte");
}

}  // namespace
}  // namespace storeflow::http
