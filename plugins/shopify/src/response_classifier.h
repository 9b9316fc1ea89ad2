#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http_exchange.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify {

// How a Shopify answer failed, as the step should see it.
struct Failure {
  bool retryable = false;
  std::string code;     // "server_error", "unauthorized", "throttled", ...
  std::string message;  // with Shopify's own message
  std::int64_t retry_after_ms = -1;

  sdk::Error ToError() const;
};

// HTTP-level classification: nullopt for 2xx; 5xx → retryable server_error;
// 429 → retryable rate_limited with Retry-After; 401/403/404/422 and other 4xx
// (and 3xx) → permanent with Shopify's message. `what` names the call
// ("GET orders.json").
std::optional<Failure> ClassifyHttp(const HttpResponse& response, std::string_view what);

// GraphQL `errors` (HTTP 200): nullopt when there are none; THROTTLED →
// retryable "throttled"; anything else (MAX_COST_EXCEEDED, ACCESS_DENIED,
// syntax errors, ...) → permanent "graphql_error" with the messages.
std::optional<Failure> ClassifyGraphQLErrors(const sdk::Json& body, std::string_view what);

// A mutation payload's `userErrors` → permanent "user_errors" listing field and message.
std::optional<Failure> ClassifyUserErrors(const sdk::Json& payload, std::string_view what);

// Shopify's error text from a body: "errors" as a string, an object of lists
// ({"limit":["must be ≤ 250"]} → "limit must be ≤ 250") or an array of
// {message}; else the body itself, cut to 300 bytes.
std::string ShopifyErrorMessage(std::string_view body);

// Retry-After in milliseconds: seconds as an integer or decimal ("2.0" → 2000);
// -1 when absent or unreadable (HTTP dates are not used by Shopify).
std::int64_t ParseRetryAfterMs(std::string_view value);

// X-Shopify-Shop-Api-Call-Limit "32/40".
struct CallLimit {
  int used = 0;
  int max = 0;
};
std::optional<CallLimit> ParseCallLimit(std::string_view value);

}  // namespace storeflow::plugins::shopify
