// `uses:` — an action (a built-in or a plugin's) with the rendered `with:` as input.
// Secrets named in `with:` are visible to its expressions only, and redacted
// from everything stored or logged of the step.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <optional>
#include <variant>

#include "runtime/lease_heartbeat.h"
#include "runtime/steps/step_handler.h"
#include "workflow/duration_value.h"
#include "workflow/value_template.h"

namespace storeflow::runtime {
namespace {

class UsesHandler final : public StepHandler {
 public:
  StepOutcome Execute(StepContext& c) const override {
    const SecretStore* secrets = c.services.options.secrets.get();
    StepOutcome o = Invoke(c, std::get<workflow::UsesStep>(c.step.kind), secrets);
    if (secrets == nullptr || secrets->empty()) return o;
    // Nothing a secret went into is stored or shown as is.
    o.input = secrets->Redact(o.input);
    o.output = secrets->Redact(o.output);
    o.error.message = secrets->Redact(o.error.message);
    return o;
  }

  bool Quick(const workflow::Step& step, const ActionRegistry& actions) const override {
    const Action* action = actions.Find(std::get<workflow::UsesStep>(step.kind).action);
    return action == nullptr || action->quick();  // an unknown one fails at once
  }

 private:
  // The `with:` context of a uses step: the scope plus the secrets its
  // expressions name (only those), or the permanent error naming a missing one.
  static std::variant<Json, ActionError> WithContext(const StepContext& c,
                                                     const workflow::UsesStep& uses) {
    std::vector<std::string> names;
    uses.with.ForEachExpression([&](const workflow::Expression& e) {
      if (!e.secrets_use) return;
      for (std::string& name : SecretNamesIn(e.code)) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      }
    });
    if (names.empty()) return c.scope;
    const auto& secrets = c.services.options.secrets;
    Json values = Json::object();
    for (const std::string& name : names) {
      const std::string* value = secrets ? secrets->Find(name) : nullptr;
      if (value == nullptr) {
        std::string env = name;
        std::transform(env.begin(), env.end(), env.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
        return ActionError::Permanent("missing_secret",
                                      "step '" + c.path + "' of workflow '" + c.workflow.name +
                                          "' reads secret '" + name +
                                          "', which is not set (set the environment variable "
                                          "STOREFLOW_SECRET_" +
                                          env + " or add it to secrets.file)");
      }
      values[name] = *value;
    }
    Json with_secrets = c.scope;
    with_secrets["secrets"] = std::move(values);
    return with_secrets;
  }

  static ActionContext MakeActionContext(const StepContext& c, std::string effect_key) {
    const ExecutorOptions& options = c.services.options;
    ActionContext ac;
    ac.run_id = c.run.id;
    ac.workflow = c.workflow.name;
    ac.step_path = c.path;
    ac.idempotency_key = std::move(effect_key);
    ac.attempt = c.attempt;
    ac.now = c.Now();
    ac.log = options.log;
    if (ac.log && options.secrets && !options.secrets->empty()) {
      ac.log = [log = options.log, secrets = options.secrets](std::string_view level,
                                                              std::string_view message) {
        log(level, secrets->Redact(std::string(message)));
      };
    }
    return ac;
  }

  // What the effect ledger says of the effect's previous attempt, and its output
  // when that attempt succeeded. A step's first attempt has none, unless the step
  // names its effect (`idempotency_key:`): then an earlier visit of a loop may
  // have tried it.
  struct Earlier {
    PreviousAttempt previous = PreviousAttempt::kNone;
    std::optional<Json> succeeded_output;
  };
  static Earlier Previous(const StepContext& c, const workflow::UsesStep& uses,
                          const std::string& key) {
    const bool named = uses.idempotency_key.has_value();
    if (c.attempt <= 1 && !named) return {};
    auto tx = c.services.store.BeginRead();
    if (!tx.ok()) return {PreviousAttempt::kUnknown, std::nullopt};
    auto entry = (*tx)->GetEffect(key);
    if (!entry.ok()) return {PreviousAttempt::kUnknown, std::nullopt};
    // No entry: no earlier attempt got as far as calling out.
    if (!entry->has_value()) {
      return {c.attempt <= 1 ? PreviousAttempt::kNone : PreviousAttempt::kFailed, std::nullopt};
    }
    const std::string state = (**entry).value("state", "");
    if (state == "succeeded" && named) {
      return {PreviousAttempt::kUnknown, (**entry).value("output", Json())};
    }
    return {state == "failed" ? PreviousAttempt::kFailed : PreviousAttempt::kUnknown, std::nullopt};
  }

  // Before a call out: the attempt is recorded as started (so that a crash during
  // the call counts as a failed attempt) and the run's lease is kept alive while
  // the call lasts. Null when the step may go on; else its outcome.
  static std::optional<StepOutcome> StartEffect(StepContext& c, const workflow::UsesStep& uses,
                                                ActionContext& ac, const Json& input,
                                                const SecretStore* secrets) {
    Earlier earlier = Previous(c, uses, ac.idempotency_key);
    if (earlier.succeeded_output) {
      // The named effect already happened on an earlier visit: its output again,
      // without a second call.
      StepOutcome done = StepOutcome::Done(*std::move(earlier.succeeded_output), input);
      done.effect_key = ac.idempotency_key;
      return done;
    }
    ac.previous_attempt = earlier.previous;
    const Json stored = secrets != nullptr && !secrets->empty() ? secrets->Redact(input) : input;
    auto recorded = c.record_attempt(stored, ac.idempotency_key,
                                     {{"attempt", c.attempt}, {"state", "started"}});
    if (!recorded.ok()) {
      return StepOutcome::Error(
          ActionError::Retryable("store_unavailable", recorded.status().message()), input);
    }
    if (!*recorded) return StepOutcome::Of(StepOutcome::Kind::kAbandoned);
    return std::nullopt;
  }

  static StepOutcome Invoke(StepContext& c, const workflow::UsesStep& uses,
                            const SecretStore* secrets) {
    auto context = WithContext(c, uses);
    if (auto* missing = std::get_if<ActionError>(&context)) return StepOutcome::Error(*missing);
    auto input = workflow::Render(uses.with, c.sandbox, std::get<Json>(context), c.Call());
    if (!input.ok()) return StepOutcome::Error(ExpressionError(input.status()));
    Action* action = c.services.actions.Find(uses.action);
    if (action == nullptr) {
      return StepOutcome::Error(
          ActionError::Permanent("unknown_action", "no action named '" + uses.action + "'"),
          *input);
    }
    auto effect_key = EffectKey(c.services, c.run.id, c.path, c.step, c.sandbox, c.scope, c.Call());
    if (!effect_key.ok()) {
      return StepOutcome::Error(
          ActionError::Permanent("invalid_idempotency_key", effect_key.status().message()), *input);
    }
    ActionContext ac = MakeActionContext(c, *std::move(effect_key));
    std::optional<Duration> timeout;
    if (c.step.timeout) {
      auto t = workflow::Resolve(*c.step.timeout, c.sandbox, c.scope, c.Call());
      if (!t.ok()) return StepOutcome::Error(ExpressionError(t.status()), *input);
      timeout = *t;
      ac.deadline = ac.now + t->count();
    }
    if (action->transactional()) {
      auto tx = c.Transaction();
      if (!tx.ok()) {
        return StepOutcome::Error(
            ActionError::Retryable("store_unavailable", tx.status().message()), *input);
      }
      ac.tx = *tx;
    }
    const bool effectful = !action->transactional() && !action->quick() && c.record_attempt;
    std::shared_ptr<LeaseHeartbeat::Watch> watch;
    if (effectful) {
      if (auto stop = StartEffect(c, uses, ac, *input, secrets)) return *std::move(stop);
      if (c.services.heartbeat != nullptr && c.run.lease_until) {
        watch = c.services.heartbeat->Start(c.services.options.owner, c.run.id, *c.run.lease_until);
      }
    }
    const auto started = std::chrono::steady_clock::now();
    std::optional<ActionResult> result;
    try {
      result.emplace(action->Invoke(*input, ac));
    } catch (const std::exception& e) {
      result.emplace(ActionError::Permanent("exception", e.what()));
    } catch (...) {
      result.emplace(ActionError::Permanent("exception", "unknown exception"));
    }
    const auto elapsed =
        std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started);
    if (watch) {
      c.services.heartbeat->Stop(watch);
      c.run.lease_until = watch->lease_until.load();
      // Another worker holds the run now: this result is not ours to record.
      if (watch->lost) return StepOutcome::Of(StepOutcome::Kind::kAbandoned);
    }
    StepOutcome o;
    if (timeout && elapsed > *timeout) {
      o = StepOutcome::Error(
          ActionError::Retryable("timeout", "step '" + c.path + "' took longer than its timeout"),
          *input);
    } else if (!result->ok()) {
      o = StepOutcome::Error(result->error(), *input);
    } else {
      o = StepOutcome::Done(result->output(), *input);
      // A fenced write found a newer version already applied (store.put with
      // if_newer): a retried dead letter of this run is resolved `superseded`.
      const Json& out = result->output();
      if (action->transactional() && out.is_object() && out.value("superseded", false)) {
        c.run.state["superseded"] = true;
      }
    }
    if (effectful) o.effect_key = ac.idempotency_key;
    return o;
  }
};

}  // namespace

std::unique_ptr<const StepHandler> MakeUsesStepHandler() {
  return std::make_unique<UsesHandler>();
}

}  // namespace storeflow::runtime
