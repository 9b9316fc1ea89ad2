#include "http/rest_trigger.h"

#include <cctype>
#include <set>

#include "http/json_body.h"

namespace storeflow::http {
namespace {

using Clock = std::chrono::steady_clock;

Result<std::optional<store::RunRow>> ReadRun(store::Store& store, std::int64_t id) {
  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  auto run = (*tx)->GetRun(id);
  if (!run.ok()) return run.status();
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  return run;
}

Response FromRespondStep(const Json& response, const Request& request, const ErrorLog& log) {
  Response out;
  const Json& status = response.contains("status") ? response["status"] : Json(200);
  int code = 200;
  if (status.is_number_integer()) {
    code = status.get<int>();
  } else if (status.is_string()) {
    try {
      code = std::stoi(status.get<std::string>());
    } catch (const std::exception&) {
      code = 0;
    }
  }
  if (code < 200 || code > 599) {
    return OpaqueError(500, "invalid_response", "the workflow gave an invalid response", request,
                       "the respond step's status is not an HTTP status: " + status.dump(), log);
  }
  out.status = code;
  bool has_type = false;
  if (response.contains("headers") && response["headers"].is_object()) {
    for (const auto& [name, value] : response["headers"].items()) {
      out.headers.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      has_type = has_type || lower == "content-type";
    }
  }
  const Json& body = response.contains("body") ? response["body"] : Json();
  if (has_type && body.is_string()) {
    out.body = body.get<std::string>();  // a text body of the workflow's own type
  } else {
    if (!has_type) out.headers.emplace_back("Content-Type", "application/json");
    out.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return out;
}

}  // namespace

bool IsSecretHeader(std::string_view name) {
  static const std::set<std::string, std::less<>> kNames = {
      "authorization",    "proxy-authorization", "cookie",
      "set-cookie",       "x-api-key",           "x-shopify-hmac-sha256",
      "stripe-signature", "x-hub-signature",     "x-hub-signature-256"};
  if (kNames.count(name) > 0) return true;
  for (std::string_view word : {"secret", "token", "password", "signature"}) {
    if (name.find(word) != std::string_view::npos) return true;
  }
  return false;
}

Status RestTriggers::Register(Router& router) {
  auto table = Prepare(engine_.catalog().Currents());
  if (!table.ok()) return table.status();
  return Install(router, std::move(table).value());
}

Result<RestTriggers::Table> RestTriggers::Prepare(
    const std::vector<std::shared_ptr<const runtime::LoadedWorkflow>>& workflows) const {
  RouteGuardOptions guard_options;
  guard_options.secrets = options_.secrets.get();
  guard_options.root = engine_.catalog().root();
  guard_options.cors = options_.cors;
  guard_options.now_s = options_.now_s;
  guard_options.now_ms = options_.now_ms;
  guard_options.rate_limit_clients = options_.rate_limit_clients;
  Table previous;
  {
    std::lock_guard lock(mu_);
    previous = installed_;
  }
  auto same_guard = [](const workflow::HttpTrigger& a, const workflow::HttpTrigger& b) {
    return a.auth == b.auth && a.cors == b.cors && a.rate_limit == b.rate_limit;
  };
  Table table;
  std::map<std::pair<std::string, std::string>, std::string> owners;  // route -> workflow
  for (const auto& loaded : workflows) {
    for (const auto& trigger : loaded->workflow->triggers) {
      const auto* http = std::get_if<workflow::HttpTrigger>(&trigger.spec);
      if (http == nullptr) continue;
      const std::string& name = loaded->workflow->name;
      const auto key = std::make_pair(http->method, http->path);
      if (auto it = table.guards.find(key); it != table.guards.end()) {
        if (!same_guard(it->second->trigger(), *http)) {
          return InvalidArgument(trigger.loc.ToString() + ": workflow " + name + " routes " +
                                 http->method + " " + http->path + " as workflow " + owners[key] +
                                 " does, with other auth, cors or rate_limit: one route has "
                                 "one set of them");
        }
        continue;
      }
      owners.emplace(key, name);
      if (auto old = previous.guards.find(key);
          old != previous.guards.end() && same_guard(old->second->trigger(), *http)) {
        table.guards.emplace(key, old->second);
        continue;
      }
      auto guard = RouteGuard::Build(*http, guard_options);
      if (!guard.ok()) return guard.status().WithContext("workflow " + name);
      table.guards.emplace(key, std::shared_ptr<const RouteGuard>(std::move(guard).value()));
    }
  }
  return table;
}

std::vector<GroupRoute> RestTriggers::RoutesOf(const Table& table) {
  std::vector<GroupRoute> routes;
  for (const auto& [key, shared] : table.guards) {
    const auto& [method, pattern] = key;
    routes.push_back({method, pattern,
                      [this, method = method, pattern = pattern, shared = shared](
                          Request& request) { return Handle(request, method, pattern, *shared); }});
  }
  // Preflights: one OPTIONS route per path that has a CORS policy.
  std::map<std::string, std::map<std::string, std::shared_ptr<const RouteGuard>>> by_path;
  for (const auto& [key, guard] : table.guards) by_path[key.second][key.first] = guard;
  for (auto& [pattern, methods] : by_path) {
    bool any_cors = false;
    std::string allow = "OPTIONS";
    for (const auto& [method, guard] : methods) {
      any_cors = any_cors || guard->cors().has_value();
      allow += ", " + method;
    }
    if (!any_cors) continue;
    GroupRoute preflight{"OPTIONS", pattern, [methods = methods, allow](Request& request) {
                           const auto wanted = request.Header("access-control-request-method");
                           const auto it = wanted ? methods.find(*wanted) : methods.end();
                           if (it == methods.end()) {
                             Response response;
                             response.status = 204;
                             return response.WithHeader("Allow", allow);
                           }
                           return it->second->Preflight(request, allow);
                         }};
    // Another spelling of the same path shape ({id} / {key}) is routed already.
    preflight.unless_routed = true;
    routes.push_back(std::move(preflight));
  }
  return routes;
}

Status RestTriggers::Check(Router& router, const Table& table) {
  return router.CheckGroup(kGroup, RoutesOf(table));
}

Status RestTriggers::Install(Router& router, Table table) {
  STOREFLOW_RETURN_IF_ERROR(router.ReplaceGroup(kGroup, RoutesOf(table)));
  std::lock_guard lock(mu_);
  installed_ = std::move(table);
  return Status::Ok();
}

Response RestTriggers::Handle(Request& request, const std::string& method,
                              const std::string& pattern, const RouteGuard& guard) {
  std::optional<AuthIdentity> identity;
  Response response;
  if (auto refused = guard.Admit(request, identity)) {
    response = std::move(*refused);
  } else {
    response = Run(request, method, pattern, guard, identity);
  }
  guard.Decorate(request, response);
  return response;
}

Response RestTriggers::Run(Request& request, const std::string& method, const std::string& pattern,
                           const RouteGuard& guard, const std::optional<AuthIdentity>& identity) {
  Json body;
  if (!request.body.empty()) {
    JsonParseError error;
    if (!ParseJsonBody(request.body, body, error)) return InvalidJsonResponse(error);
  }
  Json query = Json::object();
  for (const auto& [name, value] : request.query_params) {
    if (!query.contains(name)) query[name] = value;  // the first of repeated names
  }
  Json headers = Json::object();
  for (const auto& [name, value] : request.headers) {
    if (!IsSecretHeader(name) && !guard.IsCredentialHeader(name) && !headers.contains(name)) {
      headers[name] = value;
    }
  }
  store::EventRow event;
  event.source = "http";
  event.topic = "http/" + method + " " + pattern;
  event.payload = {
      {"method", request.method}, {"path", request.path}, {"params", request.path_params},
      {"query", query},           {"headers", headers},   {"body", body}};
  if (identity) event.payload["auth"] = identity->event;
  event.meta = {{"request_id", request.request_id}, {"route", method + " " + pattern}};
  auto outcome = committer_.Publish(std::move(event));
  if (!outcome.ok()) return StoreFailure(outcome.status(), "the request", request, log_);
  if (outcome->runs.empty()) {
    return Response::JsonBody(202,
                              {{"event_id", outcome->event_id ? Json(*outcome->event_id) : Json()},
                               {"runs", Json::array()}});
  }
  const std::int64_t run_id = outcome->runs.front();
  // Watch first, then read: a notice that comes while we read is not lost.
  auto ticket = engine_.broker().Watch(run_id);
  const auto deadline = Clock::now() + options_.response_timeout;
  std::optional<store::RunRow> run;
  auto read = ReadRun(engine_.store(), run_id);
  if (read.ok()) run = *read;
  for (;;) {
    if (run) {
      if (auto answer = AnswerFor(*run, request)) return *answer;
    }
    const auto now = Clock::now();
    if (now >= deadline) break;
    if (auto notified = ticket->WaitFor(std::min(deadline, now + options_.poll_interval))) {
      run = std::move(notified);
      continue;
    }
    auto polled = ReadRun(engine_.store(), run_id);  // another engine may own the run
    if (polled.ok() && polled->has_value()) run = *polled;
  }
  return Response::JsonBody(
      202, {{"run_id", run_id},
            {"status", run ? std::string(store::RunStatusName(run->status)) : "ready"},
            {"message", "the run goes on; it did not answer within the response timeout"}});
}

std::optional<Response> RestTriggers::AnswerFor(const store::RunRow& run, const Request& request) {
  const std::string run_id = std::to_string(run.id);
  if (run.state.is_object() && run.state.contains("response")) {
    return FromRespondStep(run.state["response"], request, log_).WithHeader("X-Run-Id", run_id);
  }
  // What the log says of a run that ended badly: where to find its error, and
  // the failing step and error code (not the message: it can quote the step's
  // rendered input).
  const auto ended = [&](std::string_view how) {
    std::string line = "run " + run_id + " of workflow " + run.workflow + " " + std::string(how);
    if (run.error.is_object()) {
      if (run.error.contains("step")) line += " at step " + run.error["step"].dump();
      if (run.error.contains("code")) line += " (" + run.error["code"].dump() + ")";
    }
    return line + "; its error: GET /api/v1/runs/" + run_id;
  };
  using store::RunStatus;
  switch (run.status) {
    case RunStatus::kRejected: {
      Json details =
          run.error.is_object() ? run.error.value("violations", Json::array()) : Json::array();
      return Response::Error(422, "invalid_input",
                             run.error.is_object() ? run.error.value("message", "invalid input")
                                                   : "invalid input",
                             details)
          .WithHeader("X-Run-Id", std::to_string(run.id));
    }
    case RunStatus::kSkipped:
      return Response::Error(409, "duplicate",
                             "the request was already accepted (the workflow's dedupe skipped "
                             "this run)")
          .WithHeader("X-Run-Id", run_id);
    case RunStatus::kCompleted: {
      // No respond step: the output of the last completed step.
      Json output;
      if (auto tx = engine_.store().Begin(); tx.ok()) {
        if (auto steps = (*tx)->ListSteps(run.id); steps.ok()) {
          for (const auto& step : *steps) {
            if (step.status == store::StepStatus::kCompleted) output = step.output;
          }
        }
      }
      return Response::JsonBody(200, output).WithHeader("X-Run-Id", std::to_string(run.id));
    }
    case RunStatus::kFailed:
      return OpaqueError(500, "run_failed", "the run failed", request, ended("failed"), log_)
          .WithHeader("X-Run-Id", run_id);
    case RunStatus::kCancelled:
      return OpaqueError(409, "run_cancelled", "the run was cancelled", request,
                         ended("was cancelled"), log_)
          .WithHeader("X-Run-Id", run_id);
    default: return std::nullopt;
  }
}

}  // namespace storeflow::http
