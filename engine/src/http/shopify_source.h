#pragma once

// The `shopify` webhook source: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(raw
// body, secret)), checked in constant time against each configured secret in
// turn (rotation: the current one first, then the previous one). The topic is
// X-Shopify-Topic; the dedup key is X-Shopify-Event-Id (with the topic) when
// present, else X-Shopify-Webhook-Id; shop domain, triggered-at, API version,
// webhook and event ids are kept as the event's meta.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "http/webhook_source.h"

namespace storeflow::http {

struct ShopifySourceOptions {
  // webhooks.shopify_max_age: deliveries whose X-Shopify-Triggered-At is older
  // are refused (401 stale_timestamp). 0: off (the default), because Shopify
  // retries a delivery with its original X-Shopify-Triggered-At for up to 4
  // hours (8 retries since September 2024): a window must be longer than that.
  // The header is not signed, so this bounds only honest retries and replays
  // that keep it; the replay key (webhook_ingress.h) stops the rest.
  std::chrono::milliseconds max_age{0};
  // The time (unix ms) the age is measured against; default the system clock.
  std::function<std::int64_t()> now;
};

class ShopifySource final : public WebhookSource {
 public:
  explicit ShopifySource(std::vector<std::string> secrets, ShopifySourceOptions options = {})
      : secrets_(std::move(secrets)), options_(std::move(options)) {}

  const std::string& name() const override { return name_; }
  std::optional<Rejection> Verify(const Request& request) const override;
  Result<WebhookEnvelope> Envelope(const Request& request, const Json& body) const override;
  bool EnvelopeReadsBody() const override { return false; }  // headers only

 private:
  std::string name_ = "shopify";
  std::optional<Rejection> CheckAge(const Request& request) const;

  std::vector<std::string> secrets_;
  ShopifySourceOptions options_;
};

// The X-Shopify-Hmac-Sha256 value of `body` under `secret` (tests, tools);
// nullopt when the HMAC cannot be computed (an empty secret).
std::optional<std::string> ShopifySignature(std::string_view body, std::string_view secret);

}  // namespace storeflow::http
