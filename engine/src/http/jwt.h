#pragma once

// JSON Web Tokens (RFC 7519) as REST trigger credentials: compact JWS with
// HS256 (shared secrets) or RS256 (public keys of a JWKS file, RFC 7517). The
// header's `alg` must be the configured one (so `none` and HS256-signed tokens
// for an RS256 route are refused); `exp` is required, `nbf` checked when
// present, both with a leeway; `iss` and `aud` when configured. MACs are
// compared in constant time. Nothing here logs a token or a key.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace storeflow::http {

// A public RSA key of a JWKS file (opaque: Poco::Crypto inside).
class JwkRsaKey {
 public:
  ~JwkRsaKey();
  JwkRsaKey(JwkRsaKey&&) noexcept;
  const std::string& kid() const { return kid_; }
  // Whether `signature` is the RS256 (RSASSA-PKCS1-v1_5, SHA-256) signature of `data`.
  bool Verifies(std::string_view data, std::string_view signature) const;

 private:
  friend Result<std::vector<JwkRsaKey>> ParseJwks(std::string_view json);
  struct Impl;
  JwkRsaKey(std::string kid, std::unique_ptr<Impl> impl);
  std::string kid_;
  std::unique_ptr<Impl> impl_;
};

// The RSA keys of a JWKS document ({"keys": [{kty: RSA, n, e, kid?, alg?, use?}]}).
// Keys of other types or for other uses are skipped; InvalidArgument for a
// document that is not a JWKS or has no RS256 key.
Result<std::vector<JwkRsaKey>> ParseJwks(std::string_view json);
Result<std::vector<JwkRsaKey>> LoadJwksFile(const std::string& path);

struct JwtRules {
  std::string algorithm;                         // HS256 | RS256
  std::vector<std::string> secrets;              // HS256
  const std::vector<JwkRsaKey>* keys = nullptr;  // RS256
  std::string issuer;                            // required `iss` when not empty
  std::string audience;                          // required in `aud` when not empty
  std::int64_t leeway_s = 60;
};

// Why a token was refused: `reason` is a stable word (malformed, wrong_alg,
// bad_signature, expired, not_yet_valid, wrong_issuer, wrong_audience,
// missing_exp) and `message` says it for a person; neither quotes the token.
struct JwtRefusal {
  std::string reason;
  std::string message;
};

struct JwtVerdict {
  std::optional<JwtRefusal> refusal;  // nullopt: valid
  nlohmann::json claims;              // the payload, when valid
};

JwtVerdict VerifyJwt(std::string_view token, const JwtRules& rules, std::int64_t now_s);

// base64url without padding (RFC 7515 section 2); nullopt for anything else.
std::optional<std::string> Base64UrlDecode(std::string_view text);
std::string Base64UrlEncode(std::string_view bytes);

}  // namespace storeflow::http
