#pragma once

// Who may call a REST trigger: the `auth:` of its http trigger
// (workflow::HttpAuth; docs/http-api.md, "Authentication"). Schemes:
//   bearer   Authorization: Bearer <one of the named secrets>
//   api_key  <header>: <one of the named secrets>
//   hmac     <header>: [prefix] hex|base64(HMAC(secret, raw body)) (as hmac webhook sources)
//   stripe   Stripe-Signature: t=..,v1=.. (as stripe webhook sources)
//   jwt      Authorization: Bearer <JWT> (HS256 with a secret, RS256 with a JWKS file)
// A caller that passes gets an identity, put in the event as `auth`:
//   {scheme, key_name} (bearer, api_key, hmac, stripe) or {scheme, subject, claims} (jwt).
// One that does not gets 401 with WWW-Authenticate and
//   {"error": {"code": "unauthorized", "message": ..., "details": {"reason": ...}}}
// naming what was wrong, never the secret or the token. Secrets are compared in
// constant time and never logged.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "http/http_message.h"
#include "http/jwt.h"
#include "http/webhook_source.h"
#include "runtime/secrets.h"
#include "workflow/model.h"

namespace storeflow::http {

struct AuthIdentity {
  Json event;           // {scheme, key_name} or {scheme, subject, claims}
  std::string subject;  // the client for rate limits ("jwt:<sub>", "key:<name>")
};

struct AuthCheck {
  std::optional<AuthIdentity> identity;  // set when allowed (and scheme is not none)
  std::optional<Response> refusal;       // the 401 when refused
};

class TriggerAuth {
 public:
  // Resolves the secrets and reads the JWKS file (relative to `root`). NotFound
  // for an unknown secret or a missing file; InvalidArgument for a bad JWKS.
  // `now_s` (unix seconds) is for JWT times and stripe timestamps.
  static Result<std::unique_ptr<TriggerAuth>> Build(const workflow::HttpAuth& auth,
                                                    const runtime::SecretStore* secrets,
                                                    const std::filesystem::path& root,
                                                    std::function<std::int64_t()> now_s = nullptr);
  ~TriggerAuth();

  AuthCheck Check(const Request& request) const;
  // The header carrying the credential (lower-case), kept out of the event.
  const std::string& credential_header() const { return header_; }
  bool open() const { return auth_.none(); }

 private:
  TriggerAuth() = default;
  AuthCheck CheckKey(const Request& request, std::string_view given) const;
  AuthCheck CheckSigned(const Request& request) const;
  AuthCheck CheckJwt(const Request& request) const;
  Response Refuse(std::string_view reason, std::string message) const;

  workflow::HttpAuth auth_;
  std::string header_;                                                           // lower-case
  std::vector<std::pair<std::string, std::string>> keys_;                        // name, value
  std::vector<std::pair<std::string, std::unique_ptr<WebhookSource>>> signers_;  // hmac, stripe
  std::vector<JwkRsaKey> jwks_;
  std::function<std::int64_t()> now_s_;
};

}  // namespace storeflow::http
