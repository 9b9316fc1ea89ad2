#pragma once

// The in-memory form of a workflow file (docs/workflow-dsl.md). Built by the loader,
// checked by the validator, then shared read-only (std::shared_ptr<const Workflow>)
// by the runtime. Every node keeps the position it was written at.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cron.h"
#include "workflow/duration_value.h"
#include "workflow/expression.h"
#include "workflow/source_location.h"
#include "workflow/template.h"
#include "workflow/value_template.h"

namespace storeflow::workflow {

// ---- triggers (`on:`) ----

// `webhook: shopify/carts/create`: source "shopify", topic "carts/create".
struct WebhookTrigger {
  std::string source;
  std::string topic;
};

// A name written in the file (a secret's, a file's) and where: equal when the
// names are (two workflows on one route compare their options by value).
struct NamedRef {
  std::string name;
  SourceLocation loc;
  friend bool operator==(const NamedRef& a, const NamedRef& b) { return a.name == b.name; }
};

// `auth:` of an http trigger (docs/http-api.md, "Authentication"). Secrets are
// named, never written: their values come from the engine's secrets.
struct HttpAuth {
  // none | bearer | api_key | hmac | stripe | jwt
  std::string scheme = "none";
  std::vector<NamedRef> secrets;   // accepted values (rotation: several)
  std::string header;              // api_key, hmac, stripe: the header read
  std::string algorithm;           // hmac: sha256|sha1; jwt: HS256|RS256
  bool base64 = false;             // hmac: else hex
  std::string prefix;              // hmac: before the encoded MAC ("sha256=")
  std::int64_t tolerance_s = 300;  // stripe: |now - t|
  NamedRef jwks;                   // jwt RS256: a JWKS file (relative to the project root)
  std::string issuer;              // jwt: required `iss` when not empty
  std::string audience;            // jwt: required in `aud` when not empty
  std::int64_t leeway_s = 60;      // jwt: clock skew allowed for exp/nbf
  bool none() const { return scheme == "none"; }
  friend bool operator==(const HttpAuth&, const HttpAuth&) = default;
};

// `cors:` of an http trigger, and the engine's http.cors_* keys.
struct HttpCors {
  std::vector<std::string> allowed_origins;  // exact origins, or "*"
  std::vector<std::string> allowed_methods;  // empty: the route's own method
  std::vector<std::string> allowed_headers;  // empty: Content-Type, Authorization
  std::int64_t max_age_s = 600;
  friend bool operator==(const HttpCors&, const HttpCors&) = default;
};

// `rate_limit: {per_client: "10/s", burst: 20}`: a token bucket per client.
struct HttpRateLimit {
  double per_second = 0;  // refill
  double burst = 0;       // capacity
  std::string text;       // as written ("10/s")
  friend bool operator==(const HttpRateLimit&, const HttpRateLimit&) = default;
};

// `http: POST /orders/{id}`, or the map form with `route:` and options.
struct HttpTrigger {
  std::string method;                    // upper case
  std::string path;                      // starts with '/'
  std::vector<std::string> path_params;  // names of the {param} segments, in order
  HttpAuth auth;
  std::optional<HttpCors> cors;  // nullopt: the engine's http.cors_* (if any)
  std::optional<HttpRateLimit> rate_limit;
};

// `schedule: "0 3 * * *"` or `schedule: {cron: "0 3 * * *", timezone: Europe/Berlin}`.
struct ScheduleTrigger {
  CronSchedule cron;
  std::string timezone;  // IANA name; "UTC" when not given
  // `schedule: "${{ config.NAME }}"`: the cron is the workflow's config value NAME
  // (so an installation can change it), resolved by ResolveConfiguredSchedules;
  // the value "off" turns the trigger off.
  std::string config_key;
  bool off = false;
};

// `queue: sqs/orders-queue`: messages of a queue a plugin consumes.
struct QueueTrigger {
  std::string plugin;
  std::string queue;
};

// `event: cart/abandoned`: an internal event (see the `emit` step).
struct EventTrigger {
  std::string name;
};

struct Trigger {
  std::variant<WebhookTrigger, HttpTrigger, ScheduleTrigger, QueueTrigger, EventTrigger> spec;
  SourceLocation loc;  // of the trigger's value

  std::string_view kind() const;  // "webhook", "http", ...
  std::string ToString() const;   // "webhook shopify/carts/create", "http POST /orders"
};

// ---- retries, jumps ----

enum class Backoff { kConstant, kExponential };
enum class Jitter { kNone, kFull };

struct RetryPolicy {
  int attempts = 1;  // total tries, first one included
  Backoff backoff = Backoff::kExponential;
  DurationValue delay{Duration{1000}, {}};
  std::optional<DurationValue> max_delay;
  Jitter jitter = Jitter::kNone;
  SourceLocation loc;           // of the `retry:` value
  SourceLocation attempts_loc;  // of `attempts:` (loc when not given)
};

enum class ErrorAction { kFail, kContinue, kGoto };
struct OnError {
  ErrorAction action = ErrorAction::kFail;
  std::string target;  // for kGoto
  SourceLocation loc;
};

enum class NextAction { kNext, kEnd, kGoto };
struct Then {
  NextAction action = NextAction::kNext;
  std::string target;  // for kGoto
  SourceLocation loc;
};

// ---- step kinds ----

struct Step;

// `uses: store.put` + `with:`: an action of a plugin ("plugin.action").
struct UsesStep {
  std::string action;
  ValueTemplate with;
  // `idempotency_key:` the effect's own name within the run, rendered when the
  // step runs. Unset: the step path. Set, every visit of a loop that renders the
  // same text is one effect (one key for the action, one effect ledger entry).
  std::optional<Template> idempotency_key;
};

// `rule: scripts/email_timing.lua#next_email` + `with:`: a pure Lua function.
struct RuleStep {
  std::string script;  // relative to the project root
  std::string function;
  ValueTemplate with;
  SourceLocation loc;  // of the `rule:` value
};

// `sleep: 30s` | `sleep: "${{ ... }}"` | `sleep: {until: "${{ ... }}"}`.
struct SleepStep {
  std::optional<DurationValue> duration;
  std::optional<Template> until;  // an ISO-8601 timestamp or unix seconds at run time
};

// `wait_for: {event, key, where, timeout}`; the output is the matched event or nil.
struct WaitForStep {
  std::string event;                // "shopify/orders/create", an emitted event name
  std::optional<Expression> key;    // evaluated on each candidate; must equal run.key
  std::optional<Expression> where;  // extra filter on each candidate
  DurationValue timeout;
};

// `emit: name` | `emit: {event: name, data: {...}}`.
struct EmitStep {
  std::string event;
  ValueTemplate data;
};

// `respond: {status, headers, body}`: answers the caller of an `http` trigger.
struct RespondStep {
  ValueTemplate status;  // 200 when not given
  ValueTemplate headers;
  ValueTemplate body;
};

// `foreach: "${{ list }}"` + `as:` + nested `steps:`.
struct ForeachStep {
  ValueTemplate items;
  std::string as = "item";
  SourceLocation as_loc;
  std::vector<Step> steps;
};

// `fail: "message"`: ends the run as failed.
struct FailStep {
  Template message;
};

using StepKind = std::variant<std::monostate,  // only in a model that failed to load
                              UsesStep, RuleStep, SleepStep, WaitForStep, EmitStep, RespondStep,
                              ForeachStep, FailStep>;

// The YAML key of a kind ("uses", "rule", ...; "" for monostate).
std::string_view KindName(const StepKind& kind);

struct Step {
  std::string id;
  SourceLocation loc;       // of the step (its `id`, else the step's first key)
  SourceLocation kind_loc;  // of the kind key (`uses:`, `sleep:`, ...)
  StepKind kind;
  std::optional<Expression> condition;  // `if:`
  std::optional<RetryPolicy> retry;
  std::optional<DurationValue> timeout;
  OnError on_error;
  Then then;

  std::string_view kind_name() const { return KindName(kind); }
  // The nested steps of a foreach (empty for other kinds).
  const std::vector<Step>& children() const;
};

// ---- the workflow ----

enum class OnNew { kQueue, kSkip, kReplace };
// What a failed run (a dead letter) does to its key: `release` lets the next
// queued run start at once; `hold` keeps the key occupied until the dead letter
// is resolved (retried and completed, discarded or superseded), so later events
// of the key never overtake it.
enum class OnFailure { kRelease, kHold };

struct Concurrency {
  int per_key = 1;  // runs of one key at a time
  OnNew on_new = OnNew::kQueue;
  OnFailure on_failure = OnFailure::kRelease;
  SourceLocation loc;
};

// `input: {schema: path}` (relative to the workflow file) or an inline schema map.
// What becomes of an event that fails input.schema: a run recorded as
// `rejected`, or a dead letter (`failed`, retryable: false) that holds its key
// like any failed run (concurrency.on_failure).
enum class OnInvalid { kReject, kDeadLetter };

struct InputSpec {
  std::string schema_path;
  nlohmann::json inline_schema;  // null when schema_path is used
  OnInvalid on_invalid = OnInvalid::kReject;
  SourceLocation loc;
};

struct Workflow {
  std::string name;  // `workflow:`
  int version = 1;
  std::string description;
  std::vector<Trigger> triggers;
  std::optional<InputSpec> input;
  std::optional<Expression> key;
  std::optional<Concurrency> concurrency;
  std::optional<Expression> dedupe;
  std::optional<DurationValue> dedupe_ttl;
  nlohmann::json config = nlohmann::json::object();
  std::optional<RetryPolicy> retry;  // default for every step
  std::vector<Step> steps;

  std::string source_path;  // as the user named it
  SourceLocation loc;       // of the `workflow:` value

  // The step with this id at any depth, or nullptr.
  const Step* FindStep(std::string_view id) const;
  // All steps, nested ones included.
  std::size_t StepCount() const;
  bool HasTrigger(std::string_view kind) const;
};

// Step and workflow ids: letters, digits, '_' and '-'.
bool IsValidId(std::string_view id);

// Gives each schedule trigger written as "${{ config.NAME }}" its cron from
// `workflow.config` (the defaults, or an installation's overrides): a cron string,
// or "off" (the trigger never fires). One message per problem, naming the key.
std::vector<std::string> ResolveConfiguredSchedules(Workflow& workflow);

}  // namespace storeflow::workflow
