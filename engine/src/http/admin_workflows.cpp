// GET /api/v1/workflows and /api/v1/workflows/{name}: the loaded workflows and
// the stored versions of one. POST /api/v1/workflows/reload: hot reload.

#include <algorithm>

#include "common/did_you_mean.h"
#include "http/admin_handlers.h"
#include "http/admin_input.h"

namespace storeflow::http::admin {
namespace {

Json Summary(const runtime::LoadedWorkflow& loaded) {
  const workflow::Workflow& wf = *loaded.workflow;
  Json triggers = Json::array();
  for (const auto& trigger : wf.triggers) triggers.push_back(trigger.ToString());
  return {{"name", wf.name},
          {"version", wf.version},
          {"hash", loaded.hash},
          {"description", wf.description},
          {"source_path", loaded.source_path},
          {"triggers", std::move(triggers)},
          {"steps", wf.StepCount()}};
}

}  // namespace

Response ListWorkflows(Context& context, const Request& request) {
  QueryInput query(request, {});
  if (!query.ok()) return query.ErrorResponse();
  auto currents = context.engine.catalog().Currents();
  std::sort(currents.begin(), currents.end(),
            [](const auto& a, const auto& b) { return a->workflow->name < b->workflow->name; });
  Json items = Json::array();
  for (const auto& loaded : currents) items.push_back(Summary(*loaded));
  return Response::JsonBody(200, {{"items", std::move(items)}});
}

Response ShowWorkflow(Context& context, const Request& request) {
  QueryInput query(request, {});
  if (!query.ok()) return query.ErrorResponse();
  const std::string& name = request.path_params.at("name");
  auto tx = context.store.BeginRead();
  if (!tx.ok()) return StatusResponse(tx.status());
  auto versions = (*tx)->ListWorkflowVersions(name);
  if (!versions.ok()) return StatusResponse(versions.status());
  if (Status committed = (*tx)->Commit(); !committed.ok()) return StatusResponse(committed);
  auto current = context.engine.catalog().Current(name);
  if (current == nullptr && versions->empty()) {
    std::vector<std::string> names;
    for (const auto& loaded : context.engine.catalog().Currents()) {
      names.push_back(loaded->workflow->name);
    }
    std::string message = "no workflow named '" + name + "'";
    if (!names.empty()) message += ValidChoicesHint(name, names, "loaded workflows");
    return Response::Error(404, "not_found", message);
  }
  Json body;
  if (current != nullptr) {
    body = Summary(*current);
    body["current"] = true;
    body["source"] = current->source;
  } else {
    // Runs may still be pinned to versions of a workflow that is no longer loaded.
    body = {{"name", name}, {"current", false}};
  }
  Json list = Json::array();
  for (const auto& row : *versions) {
    list.push_back({{"hash", row.hash},
                    {"version", row.version},
                    {"source_path", row.source_path},
                    {"created_at", row.created_at},
                    {"current", current != nullptr && current->hash == row.hash}});
  }
  body["versions"] = std::move(list);
  return Response::JsonBody(200, body);
}

Response ReloadWorkflows(Context& context, const Request& request) {
  QueryInput query(request, {});
  if (!query.ok()) return query.ErrorResponse();
  if (!request.body.empty() && request.body.find_first_not_of(" \t\r\n{}") != std::string::npos) {
    return Response::Error(400, "invalid_argument",
                           "POST /api/v1/workflows/reload takes no body (it reloads the "
                           "workflows folder the engine was started with)");
  }
  if (context.reload == nullptr) {
    return Response::Error(503, "unavailable", "this engine does not reload its workflows");
  }
  auto [status, body] = (*context.reload)();
  return Response::JsonBody(status, body);
}

}  // namespace storeflow::http::admin
