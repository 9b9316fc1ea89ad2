#include "http/trigger_auth.h"

#include <strings.h>

#include <cctype>
#include <ctime>

#include "common/ascii_text.h"
#include "http/admin_auth.h"
#include "http/hmac_source.h"

namespace storeflow::http {
namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The token of "Bearer <token>", or nullopt when the value uses another scheme.
std::optional<std::string_view> BearerToken(std::string_view value) {
  value = TrimAsciiSpace(value);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() ||
      strncasecmp(value.data(), kScheme.data(), kScheme.size()) != 0 ||
      !std::isspace(static_cast<unsigned char>(value[kScheme.size()]))) {
    return std::nullopt;
  }
  return TrimAsciiSpace(value.substr(kScheme.size()));
}

}  // namespace

TriggerAuth::~TriggerAuth() = default;

Result<std::unique_ptr<TriggerAuth>> TriggerAuth::Build(const workflow::HttpAuth& auth,
                                                        const runtime::SecretStore* secrets,
                                                        const std::filesystem::path& root,
                                                        std::function<std::int64_t()> now_s) {
  std::unique_ptr<TriggerAuth> out(new TriggerAuth());
  out->auth_ = auth;
  out->now_s_ =
      now_s ? std::move(now_s) : [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  const std::string& scheme = auth.scheme;
  out->header_ = Lower(scheme == "bearer" || scheme == "jwt" ? "authorization" : auth.header);
  for (const workflow::NamedRef& name : auth.secrets) {
    const std::string* value = secrets != nullptr ? secrets->Find(name.name) : nullptr;
    if (value == nullptr || value->empty()) {
      return NotFound(name.loc.ToString() + ": auth " + scheme + ": unknown secret '" + name.name +
                      "' (set STOREFLOW_SECRET_" + name.name + " or add it to secrets.file)");
    }
    out->keys_.emplace_back(name.name, *value);
  }
  if (scheme == "hmac" || scheme == "stripe") {
    for (const auto& [name, value] : out->keys_) {
      HmacSourceConfig config;
      config.name = name;
      config.scheme = scheme;
      config.header = auth.header;
      config.algorithm = auth.algorithm == "sha1" ? Digest::kSha1 : Digest::kSha256;
      config.base64 = auth.base64;
      config.prefix = auth.prefix;
      config.secrets = {value};
      config.tolerance = std::chrono::seconds(auth.tolerance_s);
      out->signers_.emplace_back(name,
                                 std::make_unique<HmacSource>(std::move(config), out->now_s_));
    }
  }
  if (scheme == "jwt" && auth.algorithm == "RS256") {
    const std::filesystem::path path = root / auth.jwks.name;
    auto keys = LoadJwksFile(path.string());
    if (!keys.ok())
      return Status(keys.status().code(),
                    auth.jwks.loc.ToString() + ": " + keys.status().message());
    out->jwks_ = std::move(keys).value();
  }
  return out;
}

Response TriggerAuth::Refuse(std::string_view reason, std::string message) const {
  std::string challenge;
  const std::string& scheme = auth_.scheme;
  if (scheme == "bearer" || scheme == "jwt") {
    challenge = "Bearer realm=\"storeflow\"";
    if (reason != "missing_credentials" && reason != "wrong_scheme") {
      challenge += ", error=\"invalid_token\"";
    }
  } else if (scheme == "api_key") {
    challenge = "ApiKey realm=\"storeflow\", header=\"" + auth_.header + "\"";
  } else {
    challenge = "Signature realm=\"storeflow\", header=\"" + auth_.header + "\"";
  }
  Response response =
      Response::Error(401, "unauthorized", message, Json{{"reason", std::string(reason)}});
  response.WithHeader("WWW-Authenticate", std::move(challenge));
  return response;
}

AuthCheck TriggerAuth::CheckKey(const Request&, std::string_view given) const {
  // Every key is compared (no early exit): the time does not say which matched.
  const std::string* matched = nullptr;
  for (const auto& [name, value] : keys_) {
    if (ConstantTimeEquals(given, value) && matched == nullptr) matched = &name;
  }
  if (matched == nullptr) {
    return {std::nullopt,
            Refuse("invalid_credentials",
                   auth_.scheme == "bearer" ? "the bearer token is not valid"
                                            : "the API key in " + auth_.header + " is not valid")};
  }
  return {AuthIdentity{{{"scheme", auth_.scheme}, {"key_name", *matched}}, "key:" + *matched},
          std::nullopt};
}

AuthCheck TriggerAuth::CheckSigned(const Request& request) const {
  std::optional<Rejection> first;
  const std::string* matched = nullptr;
  for (const auto& [name, signer] : signers_) {
    auto rejection = signer->Verify(request);
    if (!rejection && matched == nullptr) matched = &name;
    if (rejection && !first) first = std::move(rejection);
  }
  if (matched == nullptr) {
    const std::string reason = first ? first->reason : "bad_signature";
    return {std::nullopt, Refuse(reason, first ? first->message : "the signature does not match")};
  }
  return {AuthIdentity{{{"scheme", auth_.scheme}, {"key_name", *matched}}, "key:" + *matched},
          std::nullopt};
}

AuthCheck TriggerAuth::CheckJwt(const Request& request) const {
  const auto header = request.Header("authorization");
  if (!header) {
    return {std::nullopt, Refuse("missing_credentials",
                                 "this route needs an Authorization: Bearer <JWT> header")};
  }
  const auto token = BearerToken(*header);
  if (!token) {
    return {std::nullopt,
            Refuse("wrong_scheme", "the Authorization header must use the Bearer scheme")};
  }
  JwtRules rules;
  rules.algorithm = auth_.algorithm;
  for (const auto& [name, value] : keys_) rules.secrets.push_back(value);
  rules.keys = &jwks_;
  rules.issuer = auth_.issuer;
  rules.audience = auth_.audience;
  rules.leeway_s = auth_.leeway_s;
  JwtVerdict verdict = VerifyJwt(*token, rules, now_s_());
  if (verdict.refusal)
    return {std::nullopt, Refuse(verdict.refusal->reason, verdict.refusal->message)};
  const Json sub = verdict.claims.value("sub", Json());
  const std::string subject = sub.is_string() ? sub.get<std::string>() : "";
  Json identity = {
      {"scheme", "jwt"}, {"subject", sub.is_string() ? sub : Json()}, {"claims", verdict.claims}};
  return {AuthIdentity{std::move(identity), subject.empty() ? "" : "jwt:" + subject}, std::nullopt};
}

AuthCheck TriggerAuth::Check(const Request& request) const {
  const std::string& scheme = auth_.scheme;
  if (scheme == "none") return {};
  if (scheme == "jwt") return CheckJwt(request);
  if (scheme == "hmac" || scheme == "stripe") return CheckSigned(request);
  const auto header = request.Header(header_);
  if (!header || TrimAsciiSpace(*header).empty()) {
    return {std::nullopt,
            Refuse("missing_credentials",
                   scheme == "bearer" ? "this route needs an Authorization: Bearer <token> header"
                                      : "this route needs the " + auth_.header + " header")};
  }
  if (scheme == "bearer") {
    const auto token = BearerToken(*header);
    if (!token) {
      return {std::nullopt,
              Refuse("wrong_scheme", "the Authorization header must use the Bearer scheme")};
    }
    return CheckKey(request, *token);
  }
  return CheckKey(request, TrimAsciiSpace(*header));
}

}  // namespace storeflow::http
