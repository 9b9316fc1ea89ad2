#include "http/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <Poco/Crypto/EVPPKey.h>
#include <Poco/Crypto/RSADigestEngine.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Exception.h>

#include "common/json_nesting.h"
#include "http/webhook_source.h"

namespace storeflow::http {
namespace {

using Json = nlohmann::json;

// An EVP_PKEY with modulus n and public exponent e (big-endian bytes).
EVP_PKEY* RsaPublicKey(const std::string& n, const std::string& e) {
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                           static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                           static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* key = nullptr;
  if (bn_n != nullptr && bn_e != nullptr && build != nullptr && ctx != nullptr &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1 &&
      (params = OSSL_PARAM_BLD_to_param(build)) != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
    if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) key = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  BN_free(bn_n);
  BN_free(bn_e);
  return key;
}

std::optional<Json> DecodeJsonPart(std::string_view part) {
  auto bytes = Base64UrlDecode(part);
  // The claims go into the event: no deeper than any JSON from outside.
  if (!bytes || FindJsonNestingOverflow(*bytes) != std::string::npos) return std::nullopt;
  Json value = Json::parse(*bytes, nullptr, false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

JwtVerdict Refuse(std::string reason, std::string message) {
  return {JwtRefusal{std::move(reason), std::move(message)}, Json()};
}

}  // namespace

struct JwkRsaKey::Impl {
  Poco::Crypto::RSAKey key;
};

JwkRsaKey::JwkRsaKey(std::string kid, std::unique_ptr<Impl> impl)
    : kid_(std::move(kid)), impl_(std::move(impl)) {}
JwkRsaKey::~JwkRsaKey() = default;
JwkRsaKey::JwkRsaKey(JwkRsaKey&&) noexcept = default;

bool JwkRsaKey::Verifies(std::string_view data, std::string_view signature) const {
  try {
    Poco::Crypto::RSADigestEngine engine(impl_->key, "SHA256");
    engine.update(data.data(), static_cast<unsigned>(data.size()));
    Poco::DigestEngine::Digest sig(signature.begin(), signature.end());
    return engine.verify(sig);
  } catch (const Poco::Exception&) {
    return false;
  } catch (const std::exception&) {
    return false;
  }
}

Result<std::vector<JwkRsaKey>> ParseJwks(std::string_view text) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return InvalidArgument("not a JWKS document (a JSON object with a \"keys\" list)");
  }
  std::vector<JwkRsaKey> keys;
  for (std::size_t i = 0; i < doc["keys"].size(); ++i) {
    const Json& jwk = doc["keys"][i];
    const std::string where = "keys[" + std::to_string(i) + "]";
    if (!jwk.is_object() || jwk.value("kty", "") != "RSA") continue;
    if (jwk.contains("use") && jwk["use"] != "sig") continue;
    if (jwk.contains("alg") && jwk["alg"] != "RS256") continue;
    if (!jwk.contains("n") || !jwk["n"].is_string() || !jwk.contains("e") ||
        !jwk["e"].is_string()) {
      return InvalidArgument(where + ": an RSA key needs \"n\" and \"e\" (base64url)");
    }
    auto n = Base64UrlDecode(jwk["n"].get<std::string>());
    auto e = Base64UrlDecode(jwk["e"].get<std::string>());
    if (!n || !e || n->size() < 256 || e->empty() || n->size() > 1024 || e->size() > 8) {
      return InvalidArgument(where +
                             ": \"n\" and \"e\" must be base64url (a modulus of 2048 "
                             "bits or more)");
    }
    EVP_PKEY* pkey = RsaPublicKey(*n, *e);
    if (pkey == nullptr) return InvalidArgument(where + ": not a valid RSA public key");
    try {
      Poco::Crypto::EVPPKey evp(pkey);  // copies
      EVP_PKEY_free(pkey);
      auto impl = std::make_unique<JwkRsaKey::Impl>(JwkRsaKey::Impl{Poco::Crypto::RSAKey(evp)});
      keys.push_back(JwkRsaKey(jwk.value("kid", ""), std::move(impl)));
    } catch (const Poco::Exception& ex) {
      EVP_PKEY_free(pkey);
      return InvalidArgument(where + ": not a usable RSA key: " + ex.displayText());
    }
  }
  if (keys.empty()) return InvalidArgument("the JWKS has no RSA signing key (kty RSA, RS256)");
  return keys;
}

Result<std::vector<JwkRsaKey>> LoadJwksFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("JWKS file " + path + " cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  auto keys = ParseJwks(text.str());
  if (!keys.ok()) return InvalidArgument("JWKS file " + path + ": " + keys.status().message());
  return keys;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  return Base64Decode(standard);
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

JwtVerdict VerifyJwt(std::string_view token, const JwtRules& rules, std::int64_t now_s) {
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Refuse("malformed", "the token is not a JWT (three base64url parts)");
  }
  const auto header = DecodeJsonPart(token.substr(0, dot1));
  const auto claims = DecodeJsonPart(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!header || !claims || !signature) {
    return Refuse("malformed", "the token is not a JWT (its parts are not base64url JSON)");
  }
  const Json alg = header->value("alg", Json());
  if (!alg.is_string() || alg.get<std::string>() != rules.algorithm) {
    return Refuse("wrong_alg", "the token's alg is not " + rules.algorithm);
  }
  if (header->contains("crit")) {
    return Refuse("malformed", "the token has critical header parameters, which are not supported");
  }
  const std::string_view signing_input = token.substr(0, dot2);
  bool valid = false;
  if (rules.algorithm == "HS256") {
    for (const std::string& secret : rules.secrets) {
      valid = MacMatches(Hmac(Digest::kSha256, secret, signing_input), *signature) || valid;
    }
  } else if (rules.algorithm == "RS256" && rules.keys != nullptr) {
    const std::string kid = header->contains("kid") && (*header)["kid"].is_string()
                                ? (*header)["kid"].get<std::string>()
                                : "";
    for (const JwkRsaKey& key : *rules.keys) {
      if (!kid.empty() && !key.kid().empty() && key.kid() != kid) continue;
      if (key.Verifies(signing_input, *signature)) valid = true;
    }
  }
  if (!valid) return Refuse("bad_signature", "the token's signature is not valid");
  // The times, as JSON numbers of seconds.
  const auto seconds = [&](const char* name) -> std::optional<double> {
    if (!claims->contains(name)) return std::nullopt;
    const Json& v = (*claims)[name];
    if (!v.is_number() || !std::isfinite(v.get<double>())) return std::nullopt;
    return v.get<double>();
  };
  const auto exp = seconds("exp");
  if (!exp) return Refuse("missing_exp", "the token has no numeric exp (expiry) claim");
  if (static_cast<double>(now_s) > *exp + static_cast<double>(rules.leeway_s)) {
    return Refuse("expired", "the token has expired");
  }
  if (claims->contains("nbf")) {
    const auto nbf = seconds("nbf");
    if (!nbf) return Refuse("malformed", "the token's nbf claim is not a number");
    if (static_cast<double>(now_s) + static_cast<double>(rules.leeway_s) < *nbf) {
      return Refuse("not_yet_valid", "the token is not valid yet (nbf)");
    }
  }
  if (!rules.issuer.empty() && claims->value("iss", Json()) != Json(rules.issuer)) {
    return Refuse("wrong_issuer", "the token's issuer (iss) is not the expected one");
  }
  if (!rules.audience.empty()) {
    const Json aud = claims->value("aud", Json());
    bool match = aud == Json(rules.audience);
    if (aud.is_array()) {
      for (const Json& item : aud) match = match || item == Json(rules.audience);
    }
    if (!match) return Refuse("wrong_audience", "the token's audience (aud) is not this API");
  }
  return {std::nullopt, *claims};
}

}  // namespace storeflow::http
