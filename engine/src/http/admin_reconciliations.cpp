// /api/v1/reconciliations: start a reconciliation (a run of the shipped
// `reconcile` workflow), list them newest first, show one with its report.
// A reconciliation's id is its run's id; its report is the record the workflow
// writes into its `report_collection` under that id (docs/cookbook/reconciliation.md).

#include "http/admin_handlers.h"
#include "http/admin_input.h"
#include "runtime/run_json.h"

namespace storeflow::http::admin {
namespace {

constexpr char kWorkflow[] = "reconcile";

// The loaded reconcile workflow's (effective) config; an empty object when it is
// not loaded.
Json ReconcileConfig(Context& context) {
  auto loaded = context.engine.catalog().Current(kWorkflow);
  return loaded != nullptr ? loaded->workflow->config : Json::object();
}

std::string ReportCollection(const Json& config) {
  const Json name = config.value("report_collection", Json("reconciliations"));
  return name.is_string() && !name.get<std::string>().empty() ? name.get<std::string>()
                                                              : "reconciliations";
}

// A reconciliation: the run's id and state with the report, when there is one.
// `full`: the whole report (the list shows its summary only).
Json ReconciliationJson(const store::RunRow& run, const std::optional<store::RecordRow>& report,
                        bool full) {
  Json out = {{"id", run.id},
              {"run_status", std::string(store::RunStatusName(run.status))},
              {"created_at", run.created_at},
              {"finished_at", run.finished_at ? Json(*run.finished_at) : Json()}};
  if (report && report->value.is_object()) {
    const Json& r = report->value;
    out["status"] = r.value("status", Json("unknown"));
    out["found"] = r.value("found", Json("unknown"));
    for (const char* key : {"shop", "since", "window", "missing", "stale", "repaired"}) {
      if (r.contains(key)) out[key] = r[key];
    }
    if (full) out["report"] = r;
  } else if (run.status == store::RunStatus::kCompleted) {
    out["status"] = "skipped";  // ended without a report: no shop configured
  } else if (store::IsTerminal(run.status)) {
    out["status"] = "error";
    out["error"] = run.error;
  } else {
    out["status"] = "running";
  }
  return out;
}

Result<std::optional<store::RecordRow>> ReportOf(store::Transaction& tx, const Json& config,
                                                 std::int64_t id) {
  return tx.GetRecord(ReportCollection(config), std::to_string(id));
}

}  // namespace

Response StartReconciliation(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto body = JsonObjectBody(request, true, {"shop", "window", "resources"}, errors);
  if (body) {
    for (const char* key : {"shop", "window"}) {
      if (body->contains(key) && !(*body)[key].is_string()) {
        errors.push_back({"body", std::string("$.") + key, std::string(key) + " must be a string"});
      }
    }
    if (body->contains("resources")) {
      const Json& list = (*body)["resources"];
      if (!list.is_array() || list.empty()) {
        errors.push_back({"body", "$.resources",
                          "resources must be a non-empty list of orders, products, customers"});
      } else {
        for (std::size_t i = 0; i < list.size(); ++i) {
          if (list[i] != "orders" && list[i] != "products" && list[i] != "customers") {
            errors.push_back(
                {"body", "$.resources[" + std::to_string(i) + "]",
                 "unknown resource " + list[i].dump() + " (valid: orders, products, customers)"});
          }
        }
      }
    }
  }
  if (!errors.empty()) return InputErrorResponse(errors);
  if (context.engine.catalog().Current(kWorkflow) == nullptr) {
    return Response::Error(409, "conflict",
                           "the reconcile workflow is not loaded (serve workflows/reconcile.yaml)");
  }
  const Json cfg = ReconcileConfig(context);
  if (!body->contains("shop") && cfg.value("shop", Json("")) == Json("")) {
    return Response::Error(409, "conflict",
                           "no shop to reconcile: set workflows.reconcile.shop in the engine "
                           "configuration (or STOREFLOW_WORKFLOW_RECONCILE_SHOP), or send "
                           "{\"shop\": \"x.myshopify.com\"}");
  }
  auto run = context.engine.StartRun(kWorkflow, *body);
  if (!run.ok()) return StatusResponse(run.status());
  Json out = ReconciliationJson(*run, std::nullopt, false);
  if (run->status == store::RunStatus::kQueued) out["status"] = "queued";
  return Response::JsonBody(202, out);
}

Response ListReconciliations(Context& context, const Request& request) {
  QueryInput query(request, {"limit", "cursor"});
  store::RunFilter filter;
  filter.workflow = kWorkflow;
  filter.before_id = query.IdCursor();
  const int limit = query.Limit(context.default_page_size, context.max_page_size);
  if (!query.ok()) return query.ErrorResponse();
  filter.limit = limit + 1;
  const Json config = ReconcileConfig(context);
  auto tx = context.store.BeginRead();
  if (!tx.ok()) return StatusResponse(tx.status());
  auto runs = (*tx)->ListRuns(filter);
  if (!runs.ok()) return StatusResponse(runs.status());
  std::vector<Json> items;
  for (std::size_t i = 0; i < runs->size() && i < static_cast<std::size_t>(limit); ++i) {
    auto report = ReportOf(**tx, config, (*runs)[i].id);
    if (!report.ok()) return StatusResponse(report.status());
    items.push_back(ReconciliationJson((*runs)[i], *report, false));
  }
  if (Status committed = (*tx)->Commit(); !committed.ok()) return StatusResponse(committed);
  std::size_t next = 0;
  return Response::JsonBody(200, PageOf(
                                     *runs, limit, [&](const auto&) { return items[next++]; },
                                     IdCursorOf<store::RunRow>));
}

Response ShowReconciliation(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto id = PathId(request, "id", errors);
  if (!id) return InputErrorResponse(errors);
  QueryInput query(request, {});
  if (!query.ok()) return query.ErrorResponse();
  const Json config = ReconcileConfig(context);
  auto tx = context.store.BeginRead();
  if (!tx.ok()) return StatusResponse(tx.status());
  auto run = (*tx)->GetRun(*id);
  if (!run.ok()) return StatusResponse(run.status());
  if (!run->has_value() || (*run)->workflow != kWorkflow) {
    return Response::Error(404, "not_found", "no reconciliation " + std::to_string(*id));
  }
  auto report = ReportOf(**tx, config, *id);
  if (!report.ok()) return StatusResponse(report.status());
  if (Status committed = (*tx)->Commit(); !committed.ok()) return StatusResponse(committed);
  return Response::JsonBody(200, ReconciliationJson(**run, *report, true));
}

}  // namespace storeflow::http::admin
