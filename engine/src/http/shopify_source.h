#pragma once

// The `shopify` webhook source: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(raw
// body, secret)), checked in constant time against each configured secret in
// turn (rotation: the current one first, then the previous one). The topic is
// X-Shopify-Topic; the dedup key is X-Shopify-Event-Id (with the topic) when
// present, else X-Shopify-Webhook-Id; shop domain, triggered-at, API version,
// webhook and event ids are kept as the event's meta.

#include <string>
#include <vector>

#include "http/webhook_source.h"

namespace storeflow::http {

class ShopifySource final : public WebhookSource {
 public:
  explicit ShopifySource(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {}

  const std::string& name() const override { return name_; }
  std::optional<Rejection> Verify(const Request& request) const override;
  Result<WebhookEnvelope> Envelope(const Request& request, const Json& body) const override;
  bool EnvelopeReadsBody() const override { return false; }  // headers only

 private:
  std::string name_ = "shopify";
  std::vector<std::string> secrets_;
};

// The X-Shopify-Hmac-Sha256 value of `body` under `secret` (tests, tools);
// nullopt when the HMAC cannot be computed (an empty secret).
std::optional<std::string> ShopifySignature(std::string_view body, std::string_view secret);

}  // namespace storeflow::http
