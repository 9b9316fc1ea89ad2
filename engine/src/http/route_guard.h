#pragma once

// What stands in front of one REST trigger route: its auth (trigger_auth.h),
// its CORS policy (cors.h: the trigger's `cors:`, else the engine's) and its
// per-client rate limit (client_rate_limit.h). Built once at Register.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "http/client_rate_limit.h"
#include "http/cors.h"
#include "http/trigger_auth.h"
#include "workflow/model.h"

namespace storeflow::http {

struct RouteGuardOptions {
  const runtime::SecretStore* secrets = nullptr;
  std::filesystem::path root = ".";         // JWKS files are relative to it
  std::optional<CorsPolicy> cors;           // the engine's http.cors_* (no trigger `cors:`)
  std::function<std::int64_t()> now_s;      // JWT and stripe times (default: system clock)
  std::function<std::int64_t()> now_ms;     // rate limits (default: steady clock)
  std::size_t rate_limit_clients = 10'000;  // buckets per route
};

class RouteGuard {
 public:
  static Result<std::unique_ptr<RouteGuard>> Build(const workflow::HttpTrigger& trigger,
                                                   const RouteGuardOptions& options);

  // nullopt when the request may go on (`identity` then holds the verified
  // caller, if the route has auth); else the 401 or 429 to send.
  std::optional<Response> Admit(const Request& request,
                                std::optional<AuthIdentity>& identity) const;
  // CORS headers for `request`'s origin (nothing without a policy).
  void Decorate(const Request& request, Response& response) const;
  // The answer to a preflight of this route.
  Response Preflight(const Request& request, const std::string& allow) const;

  // Whether a header is the route's credential (kept out of the event).
  bool IsCredentialHeader(std::string_view lower_name) const;
  const std::optional<CorsPolicy>& cors() const { return cors_; }
  const workflow::HttpTrigger& trigger() const { return trigger_; }

 private:
  workflow::HttpTrigger trigger_;
  std::unique_ptr<TriggerAuth> auth_;
  std::optional<CorsPolicy> cors_;
  std::unique_ptr<ClientRateLimiter> limiter_;
};

}  // namespace storeflow::http
