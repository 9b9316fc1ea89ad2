// Every vector of tests/fixtures/shopify/hmac-vectors.json (copied from
// ../shared/testdata/shopify: two published by Shopify's shopify_app tests, one
// from shopify-api-ruby's inputs, and the sample payloads of Shopify's webhook
// reference) through ShopifySignature and ShopifySource::Verify.
#include <gtest/gtest.h>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "http/shopify_source.h"

namespace storeflow::http {
namespace {

using Json = nlohmann::json;

const std::string kDir = std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/shopify/";

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Sha256Hex(const std::string& bytes) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(bytes);
  return Poco::DigestEngine::digestToHex(engine.digest());
}

Request Delivery(const std::string& body, const std::string& signature) {
  Request r;
  r.method = "POST";
  r.body = body;
  r.headers = {{"x-shopify-hmac-sha256", signature}, {"x-shopify-topic", "orders/create"}};
  return r;
}

TEST(ShopifyHmacVectors, EveryVectorSignsAndVerifiesAsPublished) {
  Json file = Json::parse(ReadBytes(kDir + "hmac-vectors.json"));
  ASSERT_GE(file["vectors"].size(), 11u);
  int valid = 0;
  int invalid = 0;
  for (const Json& v : file["vectors"]) {
    const std::string name = v["name"];
    const std::string secret = v["secret"];
    std::string body;
    if (v.contains("body_file")) {
      body = ReadBytes(kDir + v["body_file"].get<std::string>());
      // The copy is byte-exact (final newline included): the MAC depends on it.
      EXPECT_EQ(Sha256Hex(body), v["body_sha256"].get<std::string>()) << name;
    } else {
      body = v["body"];
    }
    const std::string expected = v["expected_base64"];
    ShopifySource source({secret});
    auto rejection = source.Verify(Delivery(body, expected));
    if (v["valid"].get<bool>()) {
      ++valid;
      EXPECT_EQ(ShopifySignature(body, secret), expected) << name;
      EXPECT_FALSE(rejection) << name << ": " << rejection->reason;
      // One flipped byte of the body no longer verifies.
      std::string tampered = body;
      tampered[tampered.size() / 2] ^= 0x01;
      auto bad = source.Verify(Delivery(tampered, expected));
      ASSERT_TRUE(bad) << name;
      EXPECT_EQ(bad->reason, "bad_signature") << name;
      // Nor does the right signature under another secret.
      ShopifySource other({secret + "x"});
      EXPECT_TRUE(other.Verify(Delivery(body, expected))) << name;
    } else {
      ++invalid;
      EXPECT_NE(ShopifySignature(body, secret), expected) << name;
      ASSERT_TRUE(rejection) << name;
      EXPECT_EQ(rejection->reason, "malformed_signature") << name;
    }
  }
  EXPECT_EQ(valid, 10);
  EXPECT_EQ(invalid, 1);
}

}  // namespace
}  // namespace storeflow::http
