#pragma once

// Generic signed-webhook sources, configured by name (webhooks.sources):
//
// scheme `hmac`: the header `header` holds [prefix] + encode(HMAC(raw body)),
//   algorithm sha256|sha1, encoding hex|base64, optional prefix ("sha256=").
// scheme `stripe`: the header (default Stripe-Signature) is "t=TS,v1=SIG[,v1=..]";
//   SIG = hex(HMAC-SHA256("TS." + raw body)), and |now - TS| <= tolerance.
//
// Topic: the header `topic_header`, else the top-level string field
// `topic_field` of the body, else the fixed `topic` (default "webhook").
// Dedup key: the header `id_header`, else the body field `id_field`, else none.
// Secrets: `secret_env` names an environment variable holding a comma-separated
// list (current first, then previous).

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "http/webhook_source.h"

namespace storeflow::http {

struct HmacSourceConfig {
  std::string name;
  std::string scheme = "hmac";  // hmac | stripe
  std::string header;
  Digest algorithm = Digest::kSha256;
  bool base64 = false;  // else hex
  std::string prefix;
  std::vector<std::string> secrets;
  std::string topic_header;
  std::string topic_field;
  std::string topic = "webhook";
  std::string id_header;
  std::string id_field;
  std::chrono::seconds tolerance{300};  // stripe
};

class HmacSource final : public WebhookSource {
 public:
  // `now` (unix seconds) is for the stripe timestamp check; default the system clock.
  explicit HmacSource(HmacSourceConfig config, std::function<std::int64_t()> now = nullptr);

  const std::string& name() const override { return config_.name; }
  std::optional<Rejection> Verify(const Request& request) const override;
  Result<WebhookEnvelope> Envelope(const Request& request, const Json& body) const override;
  bool EnvelopeReadsBody() const override {
    return !config_.topic_field.empty() || !config_.id_field.empty();
  }

 private:
  std::optional<Rejection> VerifyStripe(const std::string& header, const Request& request) const;

  HmacSourceConfig config_;
  std::function<std::int64_t()> now_;
};

// Parses the `webhooks.sources` value: sources separated by ';', each
// "NAME:key=value,key=value" with keys scheme, header, algorithm, encoding,
// prefix, secret_env, topic_header, topic_field, topic, id_header, id_field,
// tolerance (seconds). `getenv` resolves secret_env. Errors name the source and key.
Result<std::vector<HmacSourceConfig>> ParseHmacSources(
    std::string_view spec, const std::function<const char*(const char*)>& getenv);

// Splits "a, b,c" into {"a", "b", "c"} (trimmed, empties dropped).
std::vector<std::string> SplitSecrets(std::string_view text);

}  // namespace storeflow::http
