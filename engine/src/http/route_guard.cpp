#include "http/route_guard.h"

namespace storeflow::http {
namespace {

Response TooManyRequests(std::int64_t retry_after_s) {
  return Response::Error(429, "rate_limited",
                         "too many requests from this client; retry after " +
                             std::to_string(retry_after_s) + " s",
                         Json{{"retry_after_s", retry_after_s}})
      .WithHeader("Retry-After", std::to_string(retry_after_s));
}

}  // namespace

Result<std::unique_ptr<RouteGuard>> RouteGuard::Build(const workflow::HttpTrigger& trigger,
                                                      const RouteGuardOptions& options) {
  std::unique_ptr<RouteGuard> guard(new RouteGuard());
  guard->trigger_ = trigger;
  auto auth = TriggerAuth::Build(trigger.auth, options.secrets, options.root, options.now_s);
  if (!auth.ok()) return auth.status();
  guard->auth_ = std::move(auth).value();
  guard->cors_ = trigger.cors ? trigger.cors : options.cors;
  if (guard->cors_ && guard->cors_->allowed_origins.empty()) guard->cors_.reset();
  if (trigger.rate_limit) {
    guard->limiter_ = std::make_unique<ClientRateLimiter>(
        trigger.rate_limit->per_second, trigger.rate_limit->burst, options.rate_limit_clients,
        options.now_ms);
  }
  return guard;
}

std::optional<Response> RouteGuard::Admit(const Request& request,
                                          std::optional<AuthIdentity>& identity) const {
  AuthCheck check = auth_->Check(request);
  const std::string address = "addr:" + RemoteHost(request.remote_address);
  if (check.refusal) {
    // Refused callers count against their address: guessing is rate limited too.
    if (limiter_) {
      if (auto decision = limiter_->Take(address); !decision.allowed) {
        return TooManyRequests(decision.retry_after_s);
      }
    }
    return std::move(check.refusal);
  }
  identity = std::move(check.identity);
  if (limiter_) {
    const std::string client = identity && !identity->subject.empty() ? identity->subject : address;
    if (auto decision = limiter_->Take(client); !decision.allowed) {
      return TooManyRequests(decision.retry_after_s);
    }
  }
  return std::nullopt;
}

void RouteGuard::Decorate(const Request& request, Response& response) const {
  if (cors_) AddCorsHeaders(*cors_, request, response);
}

Response RouteGuard::Preflight(const Request& request, const std::string& allow) const {
  return PreflightResponse(cors_ ? &*cors_ : nullptr, trigger_.method, request, allow);
}

bool RouteGuard::IsCredentialHeader(std::string_view lower_name) const {
  return !auth_->open() && lower_name == auth_->credential_header();
}

}  // namespace storeflow::http
