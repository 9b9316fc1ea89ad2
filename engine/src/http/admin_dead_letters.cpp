// /api/v1/dead-letters: failed runs — list, show, retry one or many, discard one or many.

#include <functional>

#include "http/admin_handlers.h"
#include "http/admin_input.h"
#include "runtime/dead_letters.h"
#include "runtime/run_json.h"

namespace storeflow::http::admin {
namespace {

constexpr std::size_t kMaxIds = 1000;

// The run ids of a {"ids": [...]} body; problems go to `errors`.
std::vector<std::int64_t> IdsMember(const Json& body, std::vector<InputError>& errors) {
  std::vector<std::int64_t> ids;
  const Json& list = body.at("ids");
  if (!list.is_array() || list.empty() || list.size() > kMaxIds) {
    errors.push_back(
        {"body", "$.ids", "ids must be a list of 1 to " + std::to_string(kMaxIds) + " run ids"});
    return ids;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].is_number_integer() && list[i].get<std::int64_t>() > 0) {
      ids.push_back(list[i].get<std::int64_t>());
    } else {
      errors.push_back({"body", "$.ids[" + std::to_string(i) + "]",
                        "a run id must be a positive whole number (got " + list[i].dump() + ")"});
    }
  }
  return ids;
}

// Failed run ids of `workflow`, all pages.
Result<std::vector<std::int64_t>> DeadLetterIdsOf(store::Store& store,
                                                  const std::string& workflow) {
  std::vector<std::int64_t> ids;
  store::RunFilter filter;
  filter.workflow = workflow;
  filter.limit = 500;
  for (;;) {
    auto runs = runtime::ListDeadLetters(store, filter);
    if (!runs.ok()) return runs.status();
    for (const auto& run : *runs) ids.push_back(run.id);
    if (runs->size() < static_cast<std::size_t>(filter.limit)) return ids;
    filter.before_id = runs->back().id;
  }
}

// {"ids": [...]} or {"workflow": "..."} -> the ids to act on, or a 400.
std::optional<Response> SelectDeadLetters(Context& context, const Request& request,
                                          std::vector<std::int64_t>* ids) {
  std::vector<InputError> errors;
  auto body = JsonObjectBody(request, false, {"ids", "workflow"}, errors);
  if (body) {
    const bool has_ids = body->contains("ids");
    const bool has_workflow = body->contains("workflow");
    if (has_ids == has_workflow) {
      errors.push_back({"body", "$",
                        "give either ids (a list of run ids) or workflow (every dead letter of "
                        "that workflow)"});
    } else if (has_ids) {
      *ids = IdsMember(*body, errors);
    } else if (!(*body)["workflow"].is_string() || (*body)["workflow"].get<std::string>().empty()) {
      errors.push_back({"body", "$.workflow", "workflow must be a workflow name"});
    } else {
      auto found = DeadLetterIdsOf(context.store, (*body)["workflow"].get<std::string>());
      if (!found.ok()) return StatusResponse(found.status());
      *ids = std::move(*found);
    }
  }
  if (!errors.empty()) return InputErrorResponse(errors);
  return std::nullopt;
}

// {"done": [ids], "errors": [{id, code, message}]}: 200 even when some failed.
Response ForEachDeadLetter(const std::vector<std::int64_t>& ids, const char* done_name,
                           const std::function<Status(std::int64_t)>& act) {
  Json done = Json::array();
  Json failures = Json::array();
  for (auto id : ids) {
    Status s = act(id);
    if (s.ok()) {
      done.push_back(id);
      continue;
    }
    failures.push_back({{"id", id}, {"code", ErrorCodeOf(s)}, {"message", s.message()}});
  }
  return Response::JsonBody(200, {{done_name, std::move(done)}, {"errors", std::move(failures)}});
}

}  // namespace

Response ListDeadLetters(Context& context, const Request& request) {
  QueryInput query(request, {"workflow", "limit", "cursor"});
  store::RunFilter filter;
  filter.workflow = query.Text("workflow");
  filter.before_id = query.IdCursor();
  const int limit = query.Limit(context.default_page_size, context.max_page_size);
  if (!query.ok()) return query.ErrorResponse();
  filter.limit = limit + 1;
  auto runs = runtime::ListDeadLetters(context.store, filter);
  if (!runs.ok()) return StatusResponse(runs.status());
  return Response::JsonBody(
      200, PageOf(*runs, limit, runtime::DeadLetterToJson, IdCursorOf<store::RunRow>));
}

Response ShowDeadLetter(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto id = PathId(request, "id", errors);
  if (!id) return InputErrorResponse(errors);
  return ShowRunById(context, *id, true);
}

Response RetryDeadLetter(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto id = PathId(request, "id", errors);
  JsonObjectBody(request, true, {}, errors);
  if (!errors.empty()) return InputErrorResponse(errors);
  Status s = runtime::RetryDeadLetter(context.store, *id, context.engine.clock().Now());
  if (!s.ok()) return StatusResponse(s);
  return ShowRunById(context, *id, false);
}

Response RetryDeadLetters(Context& context, const Request& request) {
  std::vector<std::int64_t> ids;
  if (auto error = SelectDeadLetters(context, request, &ids)) return *error;
  const store::TimeMs now = context.engine.clock().Now();
  return ForEachDeadLetter(ids, "retried", [&](std::int64_t id) {
    return runtime::RetryDeadLetter(context.store, id, now);
  });
}

Response DiscardDeadLetter(Context& context, const Request& request) {
  std::vector<InputError> errors;
  auto id = PathId(request, "id", errors);
  JsonObjectBody(request, true, {}, errors);
  if (!errors.empty()) return InputErrorResponse(errors);
  Status s = runtime::DiscardDeadLetter(context.store, *id, context.engine.clock().Now(),
                                        &context.engine.catalog());
  if (!s.ok()) return StatusResponse(s);
  return ShowRunById(context, *id, false);
}

Response DiscardDeadLetters(Context& context, const Request& request) {
  std::vector<std::int64_t> ids;
  if (auto error = SelectDeadLetters(context, request, &ids)) return *error;
  const store::TimeMs now = context.engine.clock().Now();
  return ForEachDeadLetter(ids, "discarded", [&](std::int64_t id) {
    return runtime::DiscardDeadLetter(context.store, id, now, &context.engine.catalog());
  });
}

}  // namespace storeflow::http::admin
