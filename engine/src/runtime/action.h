#pragma once

// Actions: what a `uses:` step runs. Built-ins (store.*, log) and, later, plugin
// actions implement one interface and are found by name in an ActionRegistry.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/duration.h"
#include "common/result.h"
#include "runtime/clock.h"
#include "store/store.h"

namespace storeflow::runtime {

using Json = nlohmann::json;

// The code of a retryable error that means "a concurrent write got in the way":
// the executor re-runs the step at once on a fresh transaction, without counting
// an attempt (transactional actions only).
inline constexpr std::string_view kConflictCode = "conflict";

// A classified failure of an action.
struct ActionError {
  enum class Kind { kRetryable, kPermanent };
  Kind kind = Kind::kRetryable;
  std::string code;  // short, machine-readable: "not_found", "timeout", "http_503"
  std::string message;
  std::optional<Duration> retry_after;  // a hint from the peer (retryable only)
  // A Lua call (rule or expression) of the step ran over its time limit: the
  // executor tries the step once more at once, without counting an attempt (a
  // loaded machine can deschedule a call past the limit; a runaway loop fails
  // again). Set only before the step's action ran.
  bool time_limit = false;

  static ActionError Retryable(std::string code, std::string message,
                               std::optional<Duration> retry_after = std::nullopt);
  static ActionError Permanent(std::string code, std::string message);
  bool permanent() const { return kind == Kind::kPermanent; }
};

// The output of an action, or its classified error.
class ActionResult {
 public:
  ActionResult(Json output) : value_(std::move(output)) {}       // NOLINT
  ActionResult(ActionError error) : value_(std::move(error)) {}  // NOLINT
  bool ok() const { return std::holds_alternative<Json>(value_); }
  const Json& output() const { return std::get<Json>(value_); }
  const ActionError& error() const { return std::get<ActionError>(value_); }

 private:
  std::variant<Json, ActionError> value_;
};

using ActionLogger = std::function<void(std::string_view level, std::string_view message)>;

// What became of the step's previous attempt (the effect ledger's record; the
// values are the plugin ABI's storeflow_previous_attempt).
enum class PreviousAttempt : int {
  kNone = 0,     // the first attempt
  kFailed = 1,   // it returned an error
  kUnknown = 2,  // it started and never finished (crash, kill, lost lease)
};

// What an action knows about the step that calls it. The idempotency key starts
// with Store::InstallationId(): the same on every attempt and after restarts,
// never the same for a step of another database.
struct ActionContext {
  std::int64_t run_id = 0;
  std::string workflow;            // the workflow's name ("" outside a run)
  std::string step_path;           // "send", "emails[2].send"
  std::string idempotency_key;     // "<installation id>/<run id>/<step path>", see below
  int attempt = 1;                 // 1-based
  TimeMs now = 0;                  // the engine clock
  std::optional<TimeMs> deadline;  // the step's timeout, on the engine clock
  PreviousAttempt previous_attempt = PreviousAttempt::kNone;
  ActionLogger log;
  // Set only for actions that declare transactional(): the transaction that also
  // commits the step's result, so their writes happen exactly once.
  store::Transaction* tx = nullptr;
};

class Action {
 public:
  virtual ~Action() = default;
  virtual std::string_view name() const = 0;
  // For `storeflow plugins describe`: one line, the JSON Schema of `with:` (null:
  // not declared) and example inputs (an array).
  virtual std::string description() const { return ""; }
  virtual Json input_schema() const { return Json(); }
  virtual Json examples() const { return Json::array(); }
  // True when the action only touches the store through ActionContext::tx.
  virtual bool transactional() const { return false; }
  // True when the action returns within microseconds and waits on nothing outside
  // the engine (log, store.*): the executor may then let its commit wait for other
  // runs' steps (group commit). Anything that calls out (HTTP, SMTP, plugins) is
  // not quick, so that no transaction stays open across a network call.
  virtual bool quick() const { return transactional(); }
  // Must not throw (the executor still catches and reports as a permanent error).
  virtual ActionResult Invoke(const Json& input, const ActionContext& context) = 0;
};

// Actions by name. Register everything before the engine starts; lookups are then
// read-only and thread-safe.
class ActionRegistry {
 public:
  // kAlreadyExists when the name is taken.
  Status Register(std::shared_ptr<Action> action);
  // nullptr when unknown.
  Action* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, std::shared_ptr<Action>, std::less<>> actions_;
};

struct HttpClientOptions;  // runtime/http_action.h

// `log`, `store.put`, `store.get`, `store.patch`, `store.delete`, `store.query`,
// `http.request` (with the safe HttpClientOptions defaults unless given: public
// addresses only).
Status RegisterBuiltinActions(ActionRegistry& registry);
Status RegisterBuiltinActions(ActionRegistry& registry, const HttpClientOptions& http);

}  // namespace storeflow::runtime
