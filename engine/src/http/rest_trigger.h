#pragma once

// REST triggers: every `on: - http: METHOD /path/{param}` of the loaded
// workflows becomes a route. The request becomes the event (topic
// "http/METHOD /path" as written in the workflow) with the payload
//   {method, path, params, query, headers (lower-case, secrets removed), body}
// and is published through the group committer. The caller is then answered:
// - input.schema violations (the run is stored as rejected): 422 with the paths;
// - a `respond` step: its status, headers and body, as soon as it is committed
//   (the run goes on);
// - the run ends without responding: completed -> 200 with the output of its
//   last completed step; failed/cancelled -> 500 `run_failed` / 409
//   `run_cancelled` with the request id only: the run's error (which can quote
//   the failing step's rendered input: internal URLs, personal data) stays in
//   the store for the admin API, and the log names the run;
// - dedupe dropped the run (a repeated request): 409 `duplicate`;
// - nothing by the response timeout: 202 {run_id, status};
// - the store unavailable or the commit not done in time: 503 with
//   Retry-After; another store error: 500 (http/caller_error.h).
// Before all that, the route's guard (http/route_guard.h): its `auth:` (401),
// its per-client `rate_limit:` (429 with Retry-After) and its CORS policy
// (headers on every answer; OPTIONS preflights answered 204). A verified caller
// is in the payload as `auth`.
// Waiting uses the engine's ResponseBroker (in-process notice after commit) and
// polls the store, so a run advanced by another engine on the same PostgreSQL
// answers too.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "http/caller_error.h"
#include "http/route_guard.h"
#include "http/router.h"
#include "runtime/engine.h"
#include "runtime/group_commit.h"

namespace storeflow::http {

struct RestTriggerOptions {
  std::chrono::milliseconds response_timeout{10'000};
  std::chrono::milliseconds poll_interval{250};
  // What `auth:` secrets resolve against (null: none known).
  std::shared_ptr<const runtime::SecretStore> secrets;
  // The engine's CORS policy (http.cors_*), for routes without their own `cors:`.
  std::optional<workflow::HttpCors> cors;
  // Clocks of JWT times (unix seconds) and rate limits (monotonic ms); default: real ones.
  std::function<std::int64_t()> now_s;
  std::function<std::int64_t()> now_ms;
  std::size_t rate_limit_clients = 10'000;  // per-client buckets kept per route
};

class RestTriggers {
 public:
  RestTriggers(runtime::Engine& engine, runtime::GroupCommitter& committer,
               RestTriggerOptions options, ErrorLog log = {})
      : engine_(engine), committer_(committer), options_(options), log_(std::move(log)) {}

  // The routes of a set of workflows, checked but not yet routed.
  struct Table {
    // By (method, pattern): the route's guard (auth, cors, rate_limit).
    std::map<std::pair<std::string, std::string>, std::shared_ptr<const RouteGuard>> guards;
  };

  // One route per distinct (method, path) among the current workflows' http
  // triggers (several workflows on one route each get a run; the first answers;
  // their auth, cors and rate_limit must then be the same), and an OPTIONS route
  // per path with a CORS policy. Fails for an unknown secret or a bad JWKS file.
  // The routes form the router's group kGroup.
  Status Register(Router& router);

  // Hot reload. Prepare builds the table of `workflows` (the errors Register
  // would give, nothing routed); a route whose auth, cors and rate_limit are
  // unchanged keeps its guard (and its rate-limit buckets). Check says whether
  // `router` would take it (a route may clash with another part's). Install
  // replaces the routed group with it.
  Result<Table> Prepare(
      const std::vector<std::shared_ptr<const runtime::LoadedWorkflow>>& workflows) const;
  Status Check(Router& router, const Table& table);
  Status Install(Router& router, Table table);

  static constexpr std::string_view kGroup = "rest-triggers";

 private:
  Response Handle(Request& request, const std::string& method, const std::string& pattern,
                  const RouteGuard& guard);
  Response Run(Request& request, const std::string& method, const std::string& pattern,
               const RouteGuard& guard, const std::optional<AuthIdentity>& identity);
  // The answer for the run as it is now, or nullopt when it has none yet.
  std::optional<Response> AnswerFor(const store::RunRow& run, const Request& request);

  runtime::Engine& engine_;
  runtime::GroupCommitter& committer_;
  RestTriggerOptions options_;
  ErrorLog log_;
  std::vector<GroupRoute> RoutesOf(const Table& table);

  mutable std::mutex mu_;
  Table installed_;  // what Register or Install routed last
};

// Headers kept in the event: lower-case names, without credentials
// (authorization, cookie, signatures, api keys, tokens, secrets).
bool IsSecretHeader(std::string_view lower_name);

}  // namespace storeflow::http
