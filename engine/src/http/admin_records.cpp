// /api/v1/records/{collection}[/{key}]: the records workflows keep, read-only.

#include "http/admin_handlers.h"
#include "http/admin_input.h"
#include "runtime/run_json.h"

namespace storeflow::http::admin {

Response ListRecords(Context& context, const Request& request) {
  QueryInput query(request, {"prefix", "limit", "cursor"});
  const std::string prefix = query.Text("prefix").value_or("");
  const std::string after = query.Text("cursor").value_or("");
  const int limit = query.Limit(context.default_page_size, context.max_page_size);
  if (!query.ok()) return query.ErrorResponse();
  const std::string& collection = request.path_params.at("collection");
  auto tx = context.store.BeginRead();
  if (!tx.ok()) return StatusResponse(tx.status());
  auto rows = (*tx)->ListRecords(collection, prefix, after, limit + 1);
  if (!rows.ok()) return StatusResponse(rows.status());
  if (Status committed = (*tx)->Commit(); !committed.ok()) return StatusResponse(committed);
  return Response::JsonBody(200, PageOf(*rows, limit, runtime::RecordToJson,
                                        [](const store::RecordRow& row) { return row.key; }));
}

Response ShowRecord(Context& context, const Request& request) {
  QueryInput query(request, {});
  if (!query.ok()) return query.ErrorResponse();
  const std::string& collection = request.path_params.at("collection");
  const std::string& key = request.path_params.at("key");
  auto tx = context.store.BeginRead();
  if (!tx.ok()) return StatusResponse(tx.status());
  auto row = (*tx)->GetRecord(collection, key);
  if (!row.ok()) return StatusResponse(row.status());
  if (Status committed = (*tx)->Commit(); !committed.ok()) return StatusResponse(committed);
  if (!row->has_value()) {
    return Response::Error(404, "not_found",
                           "no record '" + key + "' in collection '" + collection + "'");
  }
  return Response::JsonBody(200, runtime::RecordToJson(**row));
}

}  // namespace storeflow::http::admin
