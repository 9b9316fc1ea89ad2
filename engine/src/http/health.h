#pragma once

// Operations endpoints:
//   GET /healthz  200 while the process serves requests;
//   GET /readyz   200 when the store is reachable and its schema is current,
//                 else 503 {"error": {"code": "not_ready", "message": reason}}
//                 (an unreachable store's detail, which names its host or
//                 path, goes to the log, not to the caller);
//   GET /metrics  Prometheus text (metrics::Registry::Default()); when a
//                 metrics token is set, only with "Authorization: Bearer
//                 <token>" (401 otherwise); with gauges
//                 read from the store when scraped: runs by status
//                 (storeflow_runs), storeflow_queue_depth (ready + queued) and
//                 storeflow_dead_letters (failed runs).

#include <string>
#include <vector>

#include "http/caller_error.h"
#include "http/router.h"
#include "store/store.h"

namespace storeflow::http {

// Help texts and buckets of the engine's metric families.
void DescribeEngineMetrics();

struct HealthOptions {
  // Bearer tokens any one of which /metrics accepts (metrics.token and
  // admin.token); none: /metrics is open.
  std::vector<std::string> metrics_tokens;
  ErrorLog log;  // details of a failed readiness check
};

class HealthEndpoints {
 public:
  // Makes `store` the one the store gauges read (until destroyed).
  explicit HealthEndpoints(store::Store& store, HealthOptions options = {});
  ~HealthEndpoints();
  HealthEndpoints(const HealthEndpoints&) = delete;
  HealthEndpoints& operator=(const HealthEndpoints&) = delete;

  Status Register(Router& router);

 private:
  Response Ready(const Request& request);
  Response Metrics(const Request& request) const;
  store::Store& store_;
  HealthOptions options_;
};

}  // namespace storeflow::http
