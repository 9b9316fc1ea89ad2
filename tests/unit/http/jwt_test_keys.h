#pragma once

// Test credentials for the REST trigger auth tests: JWTs signed here (HS256
// with a test secret, RS256 with RSA keys generated at test time through
// Poco::Crypto) and the JWKS of those keys. No key is stored in the repository.

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <Poco/Crypto/RSADigestEngine.h>
#include <Poco/Crypto/RSAKey.h>
#include <nlohmann/json.hpp>

#include "http/jwt.h"
#include "http/webhook_source.h"

namespace storeflow::http::testing {

inline std::int64_t NowS() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

inline std::string JwtPart(const nlohmann::json& value) {
  return Base64UrlEncode(value.dump());
}

inline std::string SignHs256(const nlohmann::json& header, const nlohmann::json& claims,
                             const std::string& secret) {
  const std::string input = JwtPart(header) + "." + JwtPart(claims);
  return input + "." + Base64UrlEncode(Hmac(Digest::kSha256, secret, input).value());
}

// A 2048-bit RSA key made once per process (key generation is slow under ASan).
class TestRsaKey {
 public:
  explicit TestRsaKey(std::string kid)
      : kid_(std::move(kid)),
        key_(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE) {}

  std::string Sign(const nlohmann::json& header, const nlohmann::json& claims) const {
    const std::string input = JwtPart(header) + "." + JwtPart(claims);
    Poco::Crypto::RSADigestEngine engine(key_, "SHA256");
    engine.update(input.data(), static_cast<unsigned>(input.size()));
    const auto& sig = engine.signature();
    return input + "." + Base64UrlEncode(std::string(sig.begin(), sig.end()));
  }

  nlohmann::json Jwk() const {
    const auto n = key_.impl()->modulus();
    const auto e = key_.impl()->encryptionExponent();
    return {{"kty", "RSA"},
            {"kid", kid_},
            {"use", "sig"},
            {"alg", "RS256"},
            {"n", Base64UrlEncode(std::string(n.begin(), n.end()))},
            {"e", Base64UrlEncode(std::string(e.begin(), e.end()))}};
  }
  const std::string& kid() const { return kid_; }

 private:
  std::string kid_;
  Poco::Crypto::RSAKey key_;
};

inline const TestRsaKey& SigningKey() {
  static const TestRsaKey key("test-key-1");
  return key;
}
inline const TestRsaKey& OtherKey() {
  static const TestRsaKey key("other-key");
  return key;
}

// Writes the JWKS of SigningKey() to `path` (relative to `root`).
inline void WriteJwks(const std::filesystem::path& root, const std::string& path) {
  std::filesystem::create_directories((root / path).parent_path());
  std::ofstream out(root / path);
  out << nlohmann::json{{"keys", nlohmann::json::array({SigningKey().Jwk()})}}.dump();
}

}  // namespace storeflow::http::testing
