#pragma once

// Operations endpoints:
//   GET /healthz  200 while the process serves requests;
//   GET /readyz   200 when the store is reachable and its schema is current,
//                 else 503 {"error": {"code": "not_ready", "message": reason}};
//   GET /metrics  Prometheus text (metrics::Registry::Default()), with gauges
//                 read from the store when scraped: runs by status
//                 (storeflow_runs), storeflow_queue_depth (ready + queued) and
//                 storeflow_dead_letters (failed runs).

#include "http/router.h"
#include "store/store.h"

namespace storeflow::http {

// Help texts and buckets of the engine's metric families.
void DescribeEngineMetrics();

class HealthEndpoints {
 public:
  // Makes `store` the one the store gauges read (until destroyed).
  explicit HealthEndpoints(store::Store& store);
  ~HealthEndpoints();
  HealthEndpoints(const HealthEndpoints&) = delete;
  HealthEndpoints& operator=(const HealthEndpoints&) = delete;

  Status Register(Router& router);

 private:
  Response Ready();
  store::Store& store_;
};

}  // namespace storeflow::http
