#include "http/shopify_source.h"

#include "common/timezone.h"
#include "script/time_text.h"

namespace storeflow::http {

std::optional<std::string> ShopifySignature(std::string_view body, std::string_view secret) {
  auto mac = Hmac(Digest::kSha256, secret, body);
  if (!mac) return std::nullopt;
  return Base64Encode(*mac);
}

std::optional<Rejection> ShopifySource::Verify(const Request& request) const {
  const auto header = request.Header("x-shopify-hmac-sha256");
  if (!header || header->empty()) {
    return Rejection{"missing_signature", "the X-Shopify-Hmac-Sha256 header is missing"};
  }
  const auto given = Base64Decode(*header);
  if (!given || given->size() != 32) {
    return Rejection{"malformed_signature",
                     "X-Shopify-Hmac-Sha256 is not a base64 HMAC-SHA256 value"};
  }
  bool match = false;
  // Every secret is tried (no early exit), so timing does not tell which matched.
  for (const auto& secret : secrets_) {
    match = MacMatches(Hmac(Digest::kSha256, secret, request.body), *given) || match;
  }
  if (!match) {
    return Rejection{"bad_signature", "X-Shopify-Hmac-Sha256 does not match the body"};
  }
  return CheckAge(request);
}

std::optional<Rejection> ShopifySource::CheckAge(const Request& request) const {
  if (options_.max_age.count() <= 0) return std::nullopt;
  const auto header = request.Header("x-shopify-triggered-at");
  std::int64_t triggered_ms = 0;
  if (!header || !script::ParseIsoTimestamp(*header, *TimeZone::Utc(), &triggered_ms)) {
    return Rejection{"stale_timestamp",
                     "the X-Shopify-Triggered-At header is missing or not an ISO-8601 time, and "
                     "webhooks.shopify_max_age is set"};
  }
  const std::int64_t now = options_.now ? options_.now()
                                        : std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count();
  if (now - triggered_ms > options_.max_age.count()) {
    return Rejection{"stale_timestamp",
                     "X-Shopify-Triggered-At is " + std::to_string((now - triggered_ms) / 1000) +
                         " s old, more than webhooks.shopify_max_age (" +
                         std::to_string(options_.max_age.count() / 1000) + " s)"};
  }
  return std::nullopt;
}

Result<WebhookEnvelope> ShopifySource::Envelope(const Request& request, const Json&) const {
  WebhookEnvelope envelope;
  const auto topic = request.Header("x-shopify-topic");
  if (!topic || topic->empty()) return InvalidArgument("the X-Shopify-Topic header is missing");
  // Every header kept with the event must be text the store can hold.
  struct Kept {
    const char* header;  // as Shopify writes it
    const char* key;     // in meta
  };
  static constexpr Kept kKept[] = {
      {"X-Shopify-Topic", "topic"},
      {"X-Shopify-Shop-Domain", "shop_domain"},
      {"X-Shopify-Triggered-At", "triggered_at"},
      {"X-Shopify-API-Version", "api_version"},
      {"X-Shopify-Webhook-Id", "webhook_id"},
      {"X-Shopify-Event-Id", "event_id"},
  };
  for (const Kept& kept : kKept) {
    auto value = request.Header(kept.header);
    if (!value) continue;
    if (auto problem = UnstorableText(*value)) {
      return InvalidArgument(std::string("the ") + kept.header + " header " + *problem);
    }
    envelope.meta[kept.key] = std::move(*value);
  }
  envelope.topic = *topic;
  if (auto event_id = request.Header("x-shopify-event-id"); event_id && !event_id->empty()) {
    envelope.dedup_key = "event:" + *topic + ":" + *event_id;
  } else if (auto id = request.Header("x-shopify-webhook-id"); id && !id->empty()) {
    envelope.dedup_key = "webhook:" + *id;
  }
  return envelope;
}

}  // namespace storeflow::http
