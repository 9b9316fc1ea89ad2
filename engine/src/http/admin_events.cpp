// /api/v1/events: list (filters, cursor pages), show, replay into current workflows.

#include "common/did_you_mean.h"
#include "http/admin_handlers.h"
#include "http/admin_input.h"
#include "runtime/run_json.h"

namespace storeflow::http::admin {

Response ListEvents(Context& context, const Request& request) {
  QueryInput query(request,
                   {"topic", "source", "created_from", "created_until", "limit", "cursor"});
  store::EventFilter filter;
  filter.topic = query.Text("topic");
  filter.source = query.Text("source");
  filter.created_from = query.Time("created_from");
  filter.created_until = query.Time("created_until");
  filter.before_id = query.IdCursor();
  const int limit = query.Limit(context.default_page_size, context.max_page_size);
  if (!query.ok()) return query.ErrorResponse();
  filter.limit = limit + 1;
  auto tx = context.store.BeginRead();
  if (!tx.ok()) return StatusResponse(tx.status());
  auto events = (*tx)->ListEvents(filter);
  if (!events.ok()) return StatusResponse(events.status());
  if (Status committed = (*tx)->Commit(); !committed.ok()) return StatusResponse(committed);
  return Response::JsonBody(
      200, PageOf(*events, limit, runtime::EventToJson, IdCursorOf<store::EventRow>));
}

Response ShowEvent(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto id = PathId(request, "id", errors);
  if (!id) return InputErrorResponse(errors);
  QueryInput query(request, {});
  if (!query.ok()) return query.ErrorResponse();
  auto tx = context.store.BeginRead();
  if (!tx.ok()) return StatusResponse(tx.status());
  auto event = (*tx)->GetEvent(*id);
  if (!event.ok()) return StatusResponse(event.status());
  if (Status committed = (*tx)->Commit(); !committed.ok()) return StatusResponse(committed);
  if (!event->has_value())
    return Response::Error(404, "not_found", "no event " + std::to_string(*id));
  return Response::JsonBody(200, runtime::EventToJson(**event));
}

Response ReplayEvent(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto id = PathId(request, "id", errors);
  auto body = JsonObjectBody(request, true, {"workflows"}, errors);
  std::vector<std::string> workflows;
  if (body && body->contains("workflows")) {
    const Json& list = (*body)["workflows"];
    if (!list.is_array() || list.empty()) {
      errors.push_back({"body", "$.workflows", "workflows must be a non-empty list of names"});
    } else {
      std::vector<std::string> loaded;
      for (const auto& wf : context.engine.catalog().Currents()) {
        loaded.push_back(wf->workflow->name);
      }
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string where = "$.workflows[" + std::to_string(i) + "]";
        if (!list[i].is_string()) {
          errors.push_back({"body", where, "a workflow name must be a string"});
          continue;
        }
        const std::string name = list[i].get<std::string>();
        if (context.engine.catalog().Current(name) == nullptr) {
          errors.push_back({"body", where,
                            "no workflow named '" + name + "' is loaded" +
                                ValidChoicesHint(name, loaded, "loaded workflows")});
          continue;
        }
        workflows.push_back(name);
      }
    }
  }
  if (!errors.empty()) return InputErrorResponse(errors);
  auto runs = context.engine.ReplayEvent(*id, workflows);
  if (!runs.ok()) return StatusResponse(runs.status());
  Json list = Json::array();
  for (const auto& run : *runs) list.push_back(runtime::RunToJson(run));
  return Response::JsonBody(200, {{"event_id", *id}, {"runs", std::move(list)}});
}

}  // namespace storeflow::http::admin
