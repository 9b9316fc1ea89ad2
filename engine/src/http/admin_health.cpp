// GET /api/v1/health/sync: the sync health (runtime/sync_health.h) now, with the
// webhook ingress's last hour; it also refreshes the storeflow_sync_* gauges.

#include <chrono>

#include "http/admin_handlers.h"
#include "http/admin_input.h"

namespace storeflow::http::admin {

Response ShowSyncHealth(Context& context, const Request& request) {
  QueryInput query(request, {});
  if (!query.ok()) return query.ErrorResponse();
  static const runtime::SyncHealthOptions kDefaults;
  const runtime::SyncHealthOptions& options =
      context.sync_health != nullptr ? *context.sync_health : kDefaults;
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  auto health = runtime::EvaluateSyncHealth(context.store, context.engine.clock().Now(),
                                            AckWindow::Default().Summary(wall), options);
  if (!health.ok()) return StatusResponse(health.status());
  runtime::ExportSyncHealthGauges(*health);
  return Response::JsonBody(200, *health);
}

}  // namespace storeflow::http::admin
