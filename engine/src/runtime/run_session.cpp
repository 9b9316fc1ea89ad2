#include "runtime/run_session.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "common/metrics.h"
#include "runtime/dead_letters.h"
#include "runtime/retry_delay.h"
#include "workflow/duration_value.h"

namespace storeflow::runtime {
namespace {

using store::RunStatus;
using store::StepRow;
using store::StepStatus;
using workflow::Step;

bool Truthy(const Json& v) {
  return !(v.is_null() || (v.is_boolean() && !v.get<bool>()));
}

// The step id of a step path: "reserve[0].hold#2" -> "hold".
std::string IdOfPath(const std::string& path) {
  auto dot = path.rfind('.');
  std::string last = dot == std::string::npos ? path : path.substr(dot + 1);
  auto hash = last.find('#');
  if (hash != std::string::npos) last.resize(hash);
  return last;
}

RetrySchedule ToSchedule(const workflow::RetryPolicy& policy, script::Sandbox& sandbox,
                         const Json& scope, const script::CallContext& call,
                         const RetrySchedule& fallback) {
  RetrySchedule s;
  s.attempts = policy.attempts;
  s.exponential = policy.backoff == workflow::Backoff::kExponential;
  auto delay = workflow::Resolve(policy.delay, sandbox, scope, call);
  s.delay = delay.ok() ? *delay : fallback.delay;
  if (policy.max_delay) {
    auto max = workflow::Resolve(*policy.max_delay, sandbox, scope, call);
    if (max.ok()) s.max_delay = *max;
  }
  s.full_jitter = policy.jitter == workflow::Jitter::kFull;
  return s;
}

// storeflow_step_duration_seconds{action}: the action name of a `uses` step,
// else the step kind.
void ObserveStep(const Step& step, std::chrono::steady_clock::time_point started) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string action;
  if (const auto* uses = std::get_if<workflow::UsesStep>(&step.kind)) {
    action = uses->action;
  } else {
    action = std::string(step.kind_name());
  }
  metrics::Registry::Default().Observe("storeflow_step_duration_seconds", {{"action", action}},
                                       seconds);
}

// `retryable`: the error was not permanent (its attempts ran out); the dead
// letter's auto-redrive only retries those.
Json FailureJson(const std::string& path, const StepRow& row, bool retryable) {
  return {{"step", path},
          {"code", row.error.value("code", "")},
          {"message", row.error.value("message", "")},
          {"attempts", row.attempts},
          {"retryable", retryable},
          {"input", row.input}};
}

}  // namespace

RunSession::RunSession(const ExecutorServices& services, std::mt19937_64& random,
                       const store::RunRow& run, script::Sandbox& sandbox)
    : services_(services),
      random_(random),
      run_(run),
      sandbox_(sandbox),
      committer_(services, run_, outcome_, [this](const StepRow& row) { RememberRow(row); }) {}

Result<AdvanceOutcome> RunSession::Drive() {
  try {
    return DriveSteps();
  } catch (const std::exception& e) {
    return Internal("run " + std::to_string(run_.id) + ": " + e.what());
  } catch (...) {
    return Internal("run " + std::to_string(run_.id) + ": unknown exception");
  }
}

Result<AdvanceOutcome> RunSession::DriveSteps() {
  yielded_ = false;
  wants_solo_ = false;
  if (!loaded_) {
    STOREFLOW_RETURN_IF_ERROR(Load());
    loaded_ = true;
  }
  const ExecutorOptions& options = services_.options;
  while (outcome_.steps < options.max_steps_per_claim &&
         !(options.stop != nullptr && options.stop->load())) {
    auto more = TakeStep();
    if (!more.ok()) return more.status();
    if (!*more) return outcome_;
  }
  // Fairness or shutdown: give the worker back; the run stays due now.
  Suspend(RunStatus::kReady, Now());
  STOREFLOW_RETURN_IF_ERROR(Persist(nullptr, std::nullopt));
  outcome_.notify = true;
  return outcome_;
}

Result<bool> RunSession::TakeStep() {
  if (committer_.shared() && committer_.LeaseExtensionDue()) {
    // Extending takes its own transaction: not while this thread holds one.
    wants_solo_ = true;
    return false;
  }
  if (!committer_.ExtendLeaseIfDue()) {
    outcome_.lost_lease = true;
    return false;
  }
  const std::vector<Step>& list = CurrentList();
  if (cursor_.top().step >= static_cast<int>(list.size())) {
    if (!cursor_.nested()) {  // past the run's last step
      STOREFLOW_RETURN_IF_ERROR(Persist(nullptr, RunStatus::kCompleted));
      return false;
    }
    if (cursor_.NextItem()) return true;
    STOREFLOW_RETURN_IF_ERROR(FinishForeach());
    return !Stopped();
  }
  const Step& step = list[cursor_.top().step];
  const std::string path = cursor_.PathFor(step.id);
  auto it = rows_.find(path);
  const StepRow* existing = it == rows_.end() ? nullptr : &it->second;
  if (existing != nullptr &&
      (existing->status == StepStatus::kCompleted || existing->status == StepStatus::kSkipped)) {
    // Done in an earlier claim (its result committed): never run it again.
    if (Next(step)) STOREFLOW_RETURN_IF_ERROR(Persist(nullptr, RunStatus::kCompleted));
    return !Stopped();
  }
  if (committer_.shared() && !Quick(step)) {
    wants_solo_ = true;
    return false;
  }
  StepOutcome result;
  const auto started = std::chrono::steady_clock::now();
  committer_.BeginStep();
  try {
    result = Execute(step, path, existing);
  } catch (const std::exception& e) {
    result = StepOutcome::Error(ActionError::Permanent("internal", e.what()));
  }
  committer_.EndStep();
  ObserveStep(step, started);
  if (result.kind == StepOutcome::Kind::kError && !result.error.permanent() &&
      result.error.code == kConflictCode && ++conflicts_ <= kMaxConflicts) {
    committer_.Rollback();  // and run the step again on fresh data
    return true;
  }
  conflicts_ = 0;
  if (result.kind == StepOutcome::Kind::kError && result.error.time_limit && !retried_time_limit_) {
    retried_time_limit_ = true;
    metrics::Registry::Default().CounterAdd("storeflow_lua_time_limit_retries_total",
                                            {{"workflow", run_.workflow}});
    committer_.Rollback();  // and run the step again, once, before it fails
    return true;
  }
  retried_time_limit_ = false;
  STOREFLOW_RETURN_IF_ERROR(Apply(step, path, existing, std::move(result)));
  return !Stopped();
}

Status RunSession::Load() {
  // A run that has not taken a step yet has no cursor and no step rows.
  const bool fresh = !RunCursor::InState(run_.state);
  wf_ = services_.catalog.Cached(run_.version_hash);
  std::vector<StepRow> rows;
  if (wf_ == nullptr || !fresh) {
    std::unique_ptr<store::Transaction> own;
    store::Transaction* tx = nullptr;
    if (committer_.shared()) {
      auto shared = committer_.StepTransaction();
      if (!shared.ok()) return shared.status();
      tx = *shared;
    } else {
      auto begun = services_.store.Begin();
      if (!begun.ok()) return begun.status();
      own = std::move(begun).value();
      tx = own.get();
    }
    if (wf_ == nullptr) {
      auto loaded = services_.catalog.ByHash(run_.version_hash, *tx);
      if (!loaded.ok()) return loaded.status();
      wf_ = *loaded;
    }
    if (!fresh) {
      auto listed = tx->ListSteps(run_.id);
      if (!listed.ok()) return listed.status();
      rows = std::move(listed).value();
    }
    if (own) STOREFLOW_RETURN_IF_ERROR(own->Commit());
  }
  committer_.set_workflow(wf_->workflow.get());
  for (auto& row : rows) {
    max_seq_ = std::max(max_seq_, row.seq);
    RememberRow(row);
  }
  if (!run_.state.is_object()) run_.state = Json::object();
  if (fresh) {
    metrics::Registry::Default().CounterAdd("storeflow_runs_started_total",
                                            {{"workflow", run_.workflow}});
  }
  auto cursor = RunCursor::FromState(run_.state);
  if (!cursor.ok()) return cursor.status().WithContext("run " + std::to_string(run_.id));
  cursor_ = std::move(cursor).value();
  return Status::Ok();
}

void RunSession::RememberRow(const StepRow& row) {
  rows_[row.step_path] = row;
  // JSON null reaches Lua as json.null, not nil: leave absent values out so that
  // `steps.x.output ~= nil` means what it says.
  Json error = row.error.is_object() ? row.error.value("message", Json()) : row.error;
  Json entry = Json::object();
  if (!row.output.is_null()) entry["output"] = row.output;
  if (!error.is_null()) entry["error"] = error;
  steps_ctx_[IdOfPath(row.step_path)] = std::move(entry);
}

const std::vector<Step>& RunSession::ListOf(std::size_t depth) const {
  if (depth == 0) return wf_->workflow->steps;
  const Step* foreach = wf_->workflow->FindStep(cursor_.frames()[depth].foreach_id);
  static const std::vector<Step> kNone;
  return foreach == nullptr ? kNone : foreach->children();
}

Json RunSession::Scope() const {
  const workflow::Workflow& wf = *wf_->workflow;
  Json run = {{"id", run_.id},
              {"workflow", wf.name},
              {"version", wf.version},
              {"started_at", run_.created_at / 1000},
              {"attempt", run_.state.value("attempt", 1)}};
  if (run_.key) run["key"] = *run_.key;  // absent (nil), not json.null, without a key
  Json scope = {{"event", run_.input}, {"run", run}, {"steps", steps_ctx_}, {"config", wf.config}};
  // The event's envelope (webhook headers, ...); absent (nil) when there is none.
  if (auto meta = run_.state.find("meta"); meta != run_.state.end()) scope["meta"] = *meta;
  cursor_.AddLoopContext(scope);
  return scope;
}

const StepHandler* RunSession::HandlerFor(const Step& step) const {
  return StepHandlerRegistry::Builtin().Find(step.kind_name());
}

bool RunSession::Quick(const Step& step) const {
  // Rules are bounded by the Lua limits; the rest but `uses` is the engine's own.
  const StepHandler* handler = HandlerFor(step);
  return handler == nullptr || handler->Quick(step, services_.actions);
}

StepOutcome RunSession::Execute(const Step& step, const std::string& path,
                                const StepRow* existing) {
  const bool in_progress = existing != nullptr && existing->status == StepStatus::kRunning;
  if (in_progress && existing->error.is_object() && existing->error.value("in_flight", false)) {
    // An attempt that started and never finished: the engine stopped (a crash,
    // a kill, a plugin that took the process down) or lost the lease while it was
    // in flight. It counts as a failed attempt, so that a step that always
    // crashes ends in the dead letters after its retries.
    StepOutcome o = StepOutcome::Error(
        ActionError::Retryable(std::string(kInterruptedCode),
                               existing->error.value("message", "the attempt never finished")),
        existing->input);
    o.attempt = static_cast<int>(existing->attempts);
    auto key =
        EffectKey(services_, run_.id, path, step, sandbox_, Scope(), script::CallContext{Now()});
    o.effect_key = key.ok() ? *std::move(key) : IdempotencyKey(services_, run_.id, path);
    return o;
  }
  const int attempt = in_progress ? static_cast<int>(existing->attempts) + 1 : 1;
  const Json scope = Scope();
  if (step.condition && !in_progress) {
    auto cond = sandbox_.EvaluateExpression(
        step.condition->code, scope, step.condition->ChunkName(), script::CallContext{Now()});
    if (!cond.ok()) return StepOutcome::Error(ExpressionError(cond.status()));
    if (!Truthy(*cond)) return StepOutcome::Of(StepOutcome::Kind::kSkipped);
  }
  const StepHandler* handler = HandlerFor(step);
  if (handler == nullptr) {
    const std::string kind(step.kind_name());
    return StepOutcome::Error(ActionError::Permanent(
        "internal", kind.empty() ? "step without a kind"
                                 : "no handler is registered for step kind '" + kind + "'"));
  }
  StepContext context{.step = step,
                      .path = path,
                      .existing = existing,
                      .scope = scope,
                      .attempt = attempt,
                      .run = run_,
                      .workflow = *wf_->workflow,
                      .cursor = cursor_,
                      .sandbox = sandbox_,
                      .services = services_,
                      .committer = committer_};
  context.rules = wf_->rules.get();
  context.record_attempt = [&](const Json& input, const std::string& effect_key,
                               const Json& entry) -> Result<bool> {
    return RecordAttempt(path, existing, attempt, input, LedgerEntry{effect_key, entry});
  };
  StepOutcome o = handler->Execute(context);
  if (context.notify) outcome_.notify = true;
  if (context.responded) responded_ = true;
  if (o.attempt == 0) o.attempt = attempt;
  return o;
}

Result<bool> RunSession::RecordAttempt(const std::string& path, const StepRow* existing,
                                       int attempt, const Json& input, LedgerEntry effect) {
  const TimeMs now = Now();
  StepRow row;
  row.run_id = run_.id;
  row.step_path = path;
  auto it = rows_.find(path);
  row.seq = it != rows_.end() ? it->second.seq : ++max_seq_;
  row.status = StepStatus::kRunning;
  row.attempts = attempt;
  row.input = input;
  row.started_at = existing != nullptr ? existing->started_at : now;
  // What stands as this attempt's outcome unless its result replaces it.
  row.error = {{"code", kInterruptedCode},
               {"message", "attempt " + std::to_string(attempt) + " of step '" + path +
                               "' started and never finished (the engine stopped or lost the "
                               "run's lease while it was in flight); whether its effect happened "
                               "is unknown"},
               {"in_flight", true}};
  cursor_.WriteTo(run_.state);
  run_.updated_at = now;
  return committer_.RecordAttempt(row, effect);
}

Status RunSession::Apply(const Step& step, const std::string& path, const StepRow* existing,
                         StepOutcome result) {
  using Kind = StepOutcome::Kind;
  if (result.kind == Kind::kAbandoned) {
    committer_.Rollback();
    outcome_.lost_lease = true;
    return Status::Ok();
  }
  pending_effect_.reset();
  if (!result.effect_key.empty()) {
    Json entry = {{"attempt", result.attempt}};
    if (result.kind == Kind::kDone) {
      entry["state"] = "succeeded";
      entry["output"] = result.output;
    } else if (result.kind == Kind::kError) {
      entry["state"] = result.error.code == kInterruptedCode ? "interrupted" : "failed";
      entry["error"] = {{"code", result.error.code}, {"message", result.error.message}};
    }
    if (entry.contains("state")) pending_effect_ = LedgerEntry{result.effect_key, std::move(entry)};
  }
  const TimeMs now = Now();
  StepRow row;
  row.step_path = path;
  row.started_at = existing != nullptr ? existing->started_at : now;
  row.input = result.input;
  row.attempts = result.attempt;
  switch (result.kind) {
    case Kind::kSkipped: {
      row.status = StepStatus::kSkipped;
      row.attempts = 0;
      row.finished_at = now;
      cursor_.RecordOutput(step.id, Json());
      cursor_.Advance();
      return Persist(&row, AtEnd() ? std::optional(RunStatus::kCompleted) : std::nullopt);
    }
    case Kind::kDone: {
      row.status = StepStatus::kCompleted;
      row.output = result.output;
      row.finished_at = now;
      cursor_.RecordOutput(step.id, row.output);
      const bool end = Next(step) || AtEnd();
      return Persist(&row, end ? std::optional(RunStatus::kCompleted) : std::nullopt);
    }
    case Kind::kEntered: {
      row.status = StepStatus::kRunning;
      return Persist(&row, std::nullopt);
    }
    case Kind::kSuspend: {
      row.status = StepStatus::kRunning;
      Suspend(result.suspend_status, result.due_at);
      return Persist(&row, std::nullopt);
    }
    case Kind::kFailRun: {
      committer_.Rollback();
      row.status = StepStatus::kFailed;
      row.error = {{"code", result.error.code}, {"message", result.error.message}};
      row.finished_at = now;
      return Persist(&row, RunStatus::kFailed, FailureJson(path, row, false));
    }
    case Kind::kError: break;
    case Kind::kAbandoned: return Status::Ok();  // handled above
  }
  return ApplyError(step, path, std::move(row), result);
}

Status RunSession::ApplyError(const Step& step, const std::string& path, StepRow row,
                              const StepOutcome& result) {
  committer_.Rollback();  // discard whatever the failed attempt wrote
  const TimeMs now = Now();
  row.error = {{"code", result.error.code}, {"message", result.error.message}};
  const workflow::Workflow& wf = *wf_->workflow;
  const ExecutorOptions& options = services_.options;
  const workflow::RetryPolicy* policy = step.retry ? &*step.retry : wf.retry ? &*wf.retry : nullptr;
  const RetrySchedule schedule =
      policy == nullptr ? options.default_retry
                        : ToSchedule(*policy, sandbox_, Scope(), script::CallContext{Now()},
                                     options.default_retry);
  if (!result.error.permanent() && result.attempt < schedule.attempts) {
    const Duration delay = RetryDelay(schedule, result.attempt, result.error.retry_after, random_);
    row.status = StepStatus::kRunning;
    Suspend(RunStatus::kSleeping, now + delay.count());
    return Persist(&row, std::nullopt);
  }
  row.status = StepStatus::kFailed;
  row.finished_at = now;
  switch (step.on_error.action) {
    case workflow::ErrorAction::kFail:
      return Persist(&row, RunStatus::kFailed, FailureJson(path, row, !result.error.permanent()));
    case workflow::ErrorAction::kContinue:
      cursor_.RecordOutput(step.id, Json());
      cursor_.Advance();
      return Persist(&row, AtEnd() ? std::optional(RunStatus::kCompleted) : std::nullopt);
    case workflow::ErrorAction::kGoto:
      Jump(step.on_error.target);
      return Persist(&row, std::nullopt);
  }
  return Status::Ok();
}

Status RunSession::FinishForeach() {
  CursorFrame done = cursor_.Leave();
  const Step& step = CurrentList()[cursor_.top().step];
  StepRow row = rows_.count(done.foreach_path) != 0 ? rows_[done.foreach_path] : StepRow{};
  row.step_path = done.foreach_path;
  row.status = StepStatus::kCompleted;
  row.output = std::move(done.outputs);
  row.attempts = std::max<std::int64_t>(row.attempts, 1);
  row.finished_at = Now();
  cursor_.RecordOutput(step.id, row.output);
  const bool end = Next(step);
  return Persist(&row, end ? std::optional(RunStatus::kCompleted) : std::nullopt);
}

bool RunSession::Next(const Step& step) {
  switch (step.then.action) {
    case workflow::NextAction::kNext: cursor_.Advance(); return false;
    case workflow::NextAction::kEnd: return true;
    case workflow::NextAction::kGoto: Jump(step.then.target); return false;
  }
  return false;
}

void RunSession::Jump(const std::string& target) {
  const std::vector<Step>& list = CurrentList();
  for (int k = 0; k < static_cast<int>(list.size()); ++k) {
    if (list[k].id == target) {
      cursor_.JumpTo(k);
      return;
    }
  }
  cursor_.top().step = static_cast<int>(list.size());  // the validator rules this out
}

bool RunSession::AtEnd() const {
  return !cursor_.nested() && cursor_.top().step >= static_cast<int>(ListOf(0).size());
}

void RunSession::Suspend(RunStatus status, TimeMs due_at) {
  run_.status = status;
  run_.due_at = due_at;
  run_.lease_owner.reset();
  run_.lease_until.reset();
  suspended_ = true;
}

Status RunSession::Persist(StepRow* row, std::optional<RunStatus> finish, Json error) {
  const TimeMs now = Now();
  if (row != nullptr) {
    row->run_id = run_.id;
    auto it = rows_.find(row->step_path);
    row->seq = it != rows_.end() ? it->second.seq : ++max_seq_;
  }
  cursor_.WriteTo(run_.state);
  if (finish) {
    run_.status = *finish;
    run_.due_at.reset();
    run_.lease_owner.reset();
    run_.lease_until.reset();
    run_.finished_at = now;
    run_.error = std::move(error);
    if (*finish == RunStatus::kCompleted) {
      run_.output = run_.state.value("response", Json());
      run_.error = Json();
    }
    RecordDeadLetterOutcome(run_, *finish, now);
  }
  run_.updated_at = now;
  const bool responded = responded_;
  responded_ = false;
  const std::optional<LedgerEntry> effect = std::move(pending_effect_);
  pending_effect_.reset();
  STOREFLOW_RETURN_IF_ERROR(committer_.Commit(row, finish, responded, effect ? &*effect : nullptr));
  if (committer_.shared()) yielded_ = true;
  return Status::Ok();
}

}  // namespace storeflow::runtime
