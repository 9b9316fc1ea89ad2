#pragma once

// The route classes of the HTTP server: each has its own worker pool and
// queue (ServerOptions), so one class filling its capacity (slow REST
// triggers) cannot starve another (webhooks, health checks).
//
//   webhook: /webhooks/...
//   admin:   /api/v1/..., /metrics, /healthz, /readyz (operators and probes)
//   rest:    everything else (the workflows' `http` triggers)

#include <string_view>

namespace storeflow::http {

enum class RouteClass { kWebhook = 0, kAdmin = 1, kRest = 2 };
inline constexpr int kRouteClassCount = 3;

// The class of a decoded request path.
RouteClass ClassifyPath(std::string_view path);

// "webhook", "admin" or "rest" (metric labels, log lines).
std::string_view RouteClassName(RouteClass route_class);

}  // namespace storeflow::http
