// /api/v1/runs: list (filters, cursor pages), show with step history, cancel, retry.

#include "http/admin_handlers.h"
#include "http/admin_input.h"
#include "runtime/dead_letters.h"
#include "runtime/run_json.h"

namespace storeflow::http::admin {
Response ShowRunById(Context& context, std::int64_t id, bool dead_letters_only) {
  auto tx = context.store.BeginRead();
  if (!tx.ok()) return StatusResponse(tx.status());
  auto run = (*tx)->GetRun(id);
  if (!run.ok()) return StatusResponse(run.status());
  if (!run->has_value() || (dead_letters_only && (*run)->status != store::RunStatus::kFailed)) {
    return Response::Error(
        404, "not_found", (dead_letters_only ? "no dead letter " : "no run ") + std::to_string(id));
  }
  auto steps = (*tx)->ListSteps(id);
  if (!steps.ok()) return StatusResponse(steps.status());
  if (Status committed = (*tx)->Commit(); !committed.ok()) return StatusResponse(committed);
  Json body = runtime::RunToJson(**run, *steps);
  body["input"] = (*run)->input;  // the CLI leaves it out
  return Response::JsonBody(200, body);
}

Response ListRuns(Context& context, const Request& request) {
  QueryInput query(
      request, {"workflow", "status", "key", "created_from", "created_until", "limit", "cursor"});
  store::RunFilter filter;
  filter.workflow = query.Text("workflow");
  filter.status = query.RunStatus("status");
  filter.key = query.Text("key");
  filter.created_from = query.Time("created_from");
  filter.created_until = query.Time("created_until");
  filter.before_id = query.IdCursor();
  const int limit = query.Limit(context.default_page_size, context.max_page_size);
  if (!query.ok()) return query.ErrorResponse();
  filter.limit = limit + 1;  // one more tells whether there is a next page
  auto tx = context.store.BeginRead();
  if (!tx.ok()) return StatusResponse(tx.status());
  auto runs = (*tx)->ListRuns(filter);
  if (!runs.ok()) return StatusResponse(runs.status());
  if (Status committed = (*tx)->Commit(); !committed.ok()) return StatusResponse(committed);
  return Response::JsonBody(
      200, PageOf(
               *runs, limit, [](const auto& run) { return runtime::RunToJson(run); },
               IdCursorOf<store::RunRow>));
}

Response ShowRun(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto id = PathId(request, "id", errors);
  QueryInput query(request, {});
  if (!query.ok() || !id) {
    if (!id) return InputErrorResponse(errors);
    return query.ErrorResponse();
  }
  return ShowRunById(context, *id, false);
}

Response CancelRun(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto id = PathId(request, "id", errors);
  auto body = JsonObjectBody(request, true, {"reason"}, errors);
  std::string reason;
  if (body && body->contains("reason")) {
    if ((*body)["reason"].is_string()) {
      reason = (*body)["reason"].get<std::string>();
    } else {
      errors.push_back({"body", "$.reason", "reason must be a string"});
    }
  }
  if (!errors.empty()) return InputErrorResponse(errors);
  auto run = context.engine.CancelRun(*id, reason);
  if (!run.ok()) return StatusResponse(run.status());
  return Response::JsonBody(200, runtime::RunToJson(*run));
}

Response RetryRun(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto id = PathId(request, "id", errors);
  JsonObjectBody(request, true, {}, errors);
  if (!errors.empty()) return InputErrorResponse(errors);
  Status s = runtime::RetryDeadLetter(context.store, *id, context.engine.clock().Now());
  if (!s.ok()) {
    if (s.code() == StatusCode::kFailedPrecondition) {
      return Response::Error(409, "conflict",
                             s.message() +
                                 "; only a failed run can be retried (it resumes at its failed "
                                 "step); to run an event again, replay it");
    }
    return StatusResponse(s);
  }
  return ShowRunById(context, *id, false);
}

}  // namespace storeflow::http::admin
