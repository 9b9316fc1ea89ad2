#include "runtime/executor.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "common/metrics.h"
#include "common/timezone.h"
#include "runtime/respond_headers.h"
#include "script/time_text.h"
#include "workflow/duration_value.h"
#include "workflow/template.h"
#include "workflow/value_template.h"

namespace storeflow::runtime {
namespace {

using store::RunRow;
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

// One level of the run's cursor: a step list and where in it the run is.
struct Frame {
  int i = 0;    // index of the current step in the list
  int gen = 0;  // incremented by a backward jump: later visits get fresh step paths
  // Nested lists only (a foreach):
  std::string foreach;  // the foreach step's id
  std::string path;     // the foreach step's path
  std::string as;
  int item = 0;
  Json items = Json::array();
  Json outs = Json::array();  // per item: {nested step id: output}

  Json ToJson() const {
    Json j = {{"i", i}, {"gen", gen}};
    if (!foreach.empty()) {
      j.update({{"foreach", foreach},
                {"path", path},
                {"as", as},
                {"item", item},
                {"items", items},
                {"outs", outs}});
    }
    return j;
  }
  static Frame FromJson(const Json& j) {
    Frame f;
    f.i = j.value("i", 0);
    f.gen = j.value("gen", 0);
    f.foreach = j.value("foreach", "");
    f.path = j.value("path", "");
    f.as = j.value("as", "item");
    f.item = j.value("item", 0);
    f.items = j.value("items", Json::array());
    f.outs = j.value("outs", Json::array());
    return f;
  }
};

struct StepOutcome {
  enum class Kind { kDone, kSkipped, kError, kSuspend, kFailRun, kEntered };
  Kind kind = Kind::kDone;
  Json output;
  Json input;  // the step's input (row input)
  ActionError error;
  RunStatus suspend_status = RunStatus::kSleeping;
  TimeMs due_at = 0;
  int attempt = 0;  // 0: the attempt the executor counted

  static StepOutcome Done(Json output, Json input = Json()) {
    StepOutcome o;
    o.output = std::move(output);
    o.input = std::move(input);
    return o;
  }
  static StepOutcome Error(ActionError error, Json input = Json()) {
    StepOutcome o;
    o.kind = Kind::kError;
    o.error = std::move(error);
    o.input = std::move(input);
    return o;
  }
  static StepOutcome Suspend(RunStatus status, TimeMs due, Json input) {
    StepOutcome o;
    o.kind = Kind::kSuspend;
    o.suspend_status = status;
    o.due_at = due;
    o.input = std::move(input);
    return o;
  }
};

ActionError ExpressionError(const Status& status) {
  return ActionError::Permanent("expression", status.message());
}

RetrySchedule ToSchedule(const workflow::RetryPolicy& policy, script::Sandbox& sandbox,
                         const Json& context, const script::CallContext& call,
                         const RetrySchedule& fallback) {
  RetrySchedule s;
  s.attempts = policy.attempts;
  s.exponential = policy.backoff == workflow::Backoff::kExponential;
  auto delay = workflow::Resolve(policy.delay, sandbox, context, call);
  s.delay = delay.ok() ? *delay : fallback.delay;
  if (policy.max_delay) {
    auto max = workflow::Resolve(*policy.max_delay, sandbox, context, call);
    if (max.ok()) s.max_delay = *max;
  }
  s.full_jitter = policy.jitter == workflow::Jitter::kFull;
  return s;
}

}  // namespace

// The transaction the runs of one AdvanceBatch round share. Each run's step
// result is kept here and written with the others' in a few multi-row
// statements just before the commit (Flush).
struct RunExecutor::SharedCommit {
  struct Write {
    RunSession* session = nullptr;  // its run() is the row to write
    const RunRow* row = nullptr;    // or this one: a claim that took no step yet
    std::optional<StepRow> step;
    std::optional<RunStatus> finish;  // the run ended: free its key
    bool responded = false;           // a respond step's answer awaits the commit
  };
  std::unique_ptr<store::Transaction> tx;
  std::vector<Write> writes;
};

// The state of one Advance call.
class RunExecutor::RunSession {
 public:
  RunSession(RunExecutor& ex, const RunRow& run, script::Sandbox& sandbox)
      : ex_(ex), run_(run), sandbox_(sandbox) {}

  // With a shared commit, the session writes into it and returns after each step
  // (yielded()); the caller commits, runs the after-commit work and calls Run()
  // again. Before a step that must not run inside a shared transaction it returns
  // without running it (wants_solo()); the caller then calls Share(nullptr) and
  // Run() to go on alone. nullptr: one transaction per step, as Advance does.
  void Share(SharedCommit* shared) { shared_ = shared; }
  bool yielded() const { return yielded_; }
  bool wants_solo() const { return wants_solo_; }
  // Nothing more to do in this claim: ended, suspended, handed back, or lost.
  bool finished() const { return suspended_ || outcome_.ended || outcome_.lost_lease; }
  const AdvanceOutcome& outcome() const { return outcome_; }
  std::int64_t run_id() const { return run_.id; }
  const RunRow& run() const { return run_; }
  const workflow::Workflow& workflow() const { return *wf_->workflow; }
  // The lease was gone when the shared transaction went to write this run: its
  // step result was not written.
  void LoseLease() {
    outcome_.lost_lease = true;
    outcome_.ended = false;
  }

  // What follows the commit of a step result: remember the row, count a run's
  // end, answer a waiting caller.
  void AfterCommit(const StepRow* row, std::optional<RunStatus> finish, bool responded) {
    if (row != nullptr) {
      RememberRow(*row);
      ++outcome_.steps;
    }
    if (finish) {
      const char* counter = *finish == RunStatus::kCompleted ? "storeflow_runs_completed_total"
                            : *finish == RunStatus::kFailed  ? "storeflow_runs_failed_total"
                                                             : nullptr;
      if (counter != nullptr) {
        metrics::Registry::Default().CounterAdd(counter, {{"workflow", run_.workflow}});
      }
    }
    // Only after the commit: a caller answered from this is answered with
    // durable facts.
    if (ex_.options_.broker != nullptr && (finish || responded)) ex_.options_.broker->Notify(run_);
  }

  Result<AdvanceOutcome> Run() {
    yielded_ = false;
    wants_solo_ = false;
    if (!loaded_) {
      STOREFLOW_RETURN_IF_ERROR(Load());
      loaded_ = true;
    }
    while (outcome_.steps < ex_.options_.max_steps_per_claim &&
           !(ex_.options_.stop != nullptr && ex_.options_.stop->load())) {
      if (shared_ != nullptr && LeaseExtensionDue()) {
        // Extending takes its own transaction: not while this thread holds one.
        wants_solo_ = true;
        return outcome_;
      }
      if (!ExtendLeaseIfDue()) {
        outcome_.lost_lease = true;
        return outcome_;
      }
      Frame& f = frames_.back();
      const std::vector<Step>& list = ListOf(frames_.size() - 1);
      if (f.i >= static_cast<int>(list.size())) {
        if (frames_.size() == 1) {
          STOREFLOW_RETURN_IF_ERROR(Persist(nullptr, RunStatus::kCompleted));
          return outcome_;
        }
        if (++f.item < static_cast<int>(f.items.size())) {
          f.i = 0;
          f.gen = 0;
          continue;
        }
        STOREFLOW_RETURN_IF_ERROR(FinishForeach());
        if (Stopped()) return outcome_;
        continue;
      }
      const Step& step = list[f.i];
      const std::string path = PathFor(step.id);
      auto it = rows_.find(path);
      const StepRow* existing = it == rows_.end() ? nullptr : &it->second;
      if (existing != nullptr && (existing->status == StepStatus::kCompleted ||
                                  existing->status == StepStatus::kSkipped)) {
        // Done in an earlier claim (its result committed): never run it again.
        if (Next(step)) STOREFLOW_RETURN_IF_ERROR(Persist(nullptr, RunStatus::kCompleted));
        if (Stopped()) return outcome_;
        continue;
      }
      if (shared_ != nullptr && !Quick(step)) {
        wants_solo_ = true;
        return outcome_;
      }
      StepOutcome result;
      const auto step_started = std::chrono::steady_clock::now();
      in_step_ = true;
      try {
        result = Execute(step, path, existing);
      } catch (const std::exception& e) {
        result = StepOutcome::Error(ActionError::Permanent("internal", e.what()));
      }
      in_step_ = false;
      ObserveStep(step, step_started);
      if (result.kind == StepOutcome::Kind::kError && !result.error.permanent() &&
          result.error.code == kConflictCode && ++conflicts_ <= kMaxConflicts) {
        Rollback();  // and run the step again on fresh data
        continue;
      }
      conflicts_ = 0;
      STOREFLOW_RETURN_IF_ERROR(Handle(step, path, existing, std::move(result)));
      if (Stopped()) return outcome_;
    }
    // Fairness or shutdown: give the worker back; the run stays due now.
    run_.status = RunStatus::kReady;
    run_.due_at = ex_.clock_.Now();
    ClearLease();
    suspended_ = true;
    STOREFLOW_RETURN_IF_ERROR(Persist(nullptr, std::nullopt));
    outcome_.notify = true;
    return outcome_;
  }

 private:
  bool Stopped() const { return finished() || yielded_; }

  // Whether `step` may run inside a transaction shared with other runs.
  bool Quick(const Step& step) const {
    if (const auto* uses = std::get_if<workflow::UsesStep>(&step.kind)) {
      const Action* action = ex_.actions_.Find(uses->action);
      return action == nullptr || action->quick();  // an unknown one fails at once
    }
    return true;  // rules are bounded by the Lua limits; the rest is the engine's own
  }
  TimeMs Now() const { return ex_.clock_.Now(); }
  script::CallContext Call() const { return script::CallContext{Now()}; }

  // storeflow_step_duration_seconds{action}: the action name of a `uses` step,
  // else the step kind.
  static void ObserveStep(const Step& step, std::chrono::steady_clock::time_point started) {
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

  Status Load() {
    // A run that has not taken a step yet has no cursor and no step rows.
    const bool fresh = !(run_.state.is_object() && run_.state.contains("frames"));
    wf_ = ex_.catalog_.Cached(run_.version_hash);
    std::vector<StepRow> rows;
    if (wf_ == nullptr || !fresh) {
      std::unique_ptr<store::Transaction> own;
      store::Transaction* tx = nullptr;
      if (shared_ != nullptr) {
        STOREFLOW_RETURN_IF_ERROR(EnsureTx());
        tx = Tx();
      } else {
        auto begun = ex_.store_.Begin();
        if (!begun.ok()) return begun.status();
        own = std::move(begun).value();
        tx = own.get();
      }
      if (wf_ == nullptr) {
        auto loaded = ex_.catalog_.ByHash(run_.version_hash, *tx);
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
    for (auto& row : rows) {
      max_seq_ = std::max(max_seq_, row.seq);
      RememberRow(row);
    }
    if (!run_.state.is_object()) run_.state = Json::object();
    if (!run_.state.contains("frames")) {
      metrics::Registry::Default().CounterAdd("storeflow_runs_started_total",
                                              {{"workflow", run_.workflow}});
    }
    for (const auto& f : run_.state.value("frames", Json::array())) {
      frames_.push_back(Frame::FromJson(f));
    }
    if (frames_.empty()) frames_.emplace_back();
    return Status::Ok();
  }

  void RememberRow(const StepRow& row) {
    rows_[row.step_path] = row;
    // JSON null reaches Lua as json.null, not nil: leave absent values out so that
    // `steps.x.output ~= nil` means what it says.
    Json error = row.error.is_object() ? row.error.value("message", Json()) : row.error;
    Json entry = Json::object();
    if (!row.output.is_null()) entry["output"] = row.output;
    if (!error.is_null()) entry["error"] = error;
    steps_ctx_[IdOfPath(row.step_path)] = std::move(entry);
  }

  const std::vector<Step>& ListOf(std::size_t depth) const {
    if (depth == 0) return wf_->workflow->steps;
    const Step* foreach = wf_->workflow->FindStep(frames_[depth].foreach);
    static const std::vector<Step> kNone;
    return foreach == nullptr ? kNone : foreach->children();
  }

  std::string PathFor(const std::string& id) const {
    const Frame& f = frames_.back();
    std::string path;
    if (frames_.size() > 1) path = f.path + "[" + std::to_string(f.item) + "].";
    path += id;
    if (f.gen > 0) path += "#" + std::to_string(f.gen);
    return path;
  }

  Json Context() const {
    const workflow::Workflow& wf = *wf_->workflow;
    Json run = {{"id", run_.id},
                {"workflow", wf.name},
                {"version", wf.version},
                {"started_at", run_.created_at / 1000},
                {"attempt", run_.state.value("attempt", 1)}};
    if (run_.key) run["key"] = *run_.key;  // absent (nil), not json.null, without a key
    Json ctx = {{"event", run_.input}, {"run", run}, {"steps", steps_ctx_}, {"config", wf.config}};
    // The event's envelope (webhook headers, ...); absent (nil) when there is none.
    if (auto meta = run_.state.find("meta"); meta != run_.state.end()) ctx["meta"] = *meta;
    for (std::size_t d = 1; d < frames_.size(); ++d) {
      const Frame& f = frames_[d];
      if (f.item < static_cast<int>(f.items.size()) && !f.items[f.item].is_null()) {
        ctx[f.as] = f.items[f.item];
      }
      ctx["loop"] = {{"index", f.item + 1}, {"count", f.items.size()}};
    }
    return ctx;
  }

  // The transaction this run writes into: the shared one, or its own.
  store::Transaction* Tx() const { return shared_ != nullptr ? shared_->tx.get() : tx_.get(); }

  // Begins the transaction if needed. Inside a step, in a shared transaction, it
  // also marks a savepoint before the step's first write, so that a failed
  // attempt undoes only its own writes.
  Status EnsureTx() {
    if (shared_ != nullptr) {
      if (!shared_->tx) {
        auto tx = ex_.store_.Begin();
        if (!tx.ok()) return tx.status();
        shared_->tx = std::move(tx).value();
      }
      if (in_step_ && !step_savepoint_) {
        STOREFLOW_RETURN_IF_ERROR(shared_->tx->Savepoint());
        step_savepoint_ = true;
      }
      return Status::Ok();
    }
    if (tx_) return Status::Ok();
    auto tx = ex_.store_.Begin();
    if (!tx.ok()) return tx.status();
    tx_ = std::move(tx).value();
    return Status::Ok();
  }

  // Undoes what the current step wrote: its own transaction, or in a shared one
  // back to the step's savepoint (nothing to undo when the step wrote nothing).
  void Rollback() {
    if (shared_ == nullptr) {
      tx_.reset();
      return;
    }
    // A failed rollback leaves the shared transaction failed: its commit then
    // fails and every run of the round is released (AdvanceBatch).
    if (step_savepoint_ && shared_->tx) (void)shared_->tx->RollbackToSavepoint();
    step_savepoint_ = false;
  }

  void ClearLease() {
    run_.lease_owner.reset();
    run_.lease_until.reset();
  }

  bool LeaseExtensionDue() const {
    const TimeMs half = ex_.options_.lease.count() / 2;
    return run_.lease_until && Now() + half >= *run_.lease_until;
  }

  bool ExtendLeaseIfDue() {
    const TimeMs now = Now();
    if (!LeaseExtensionDue()) return true;
    const TimeMs until = now + ex_.options_.lease.count();
    auto held = ex_.store_.ExtendLeases(ex_.options_.owner, {run_.id}, until);
    if (!held.ok() || *held == 0) return false;
    run_.lease_until = until;
    return true;
  }

  // True when the cursor is past the last top-level step: the step just done was
  // the run's last, and its commit also completes the run.
  bool AtEnd() const {
    return frames_.size() == 1 && frames_.back().i >= static_cast<int>(ListOf(0).size());
  }

  // Moves the cursor past `step` (its `then`). True when the run ends here.
  bool Next(const Step& step) {
    switch (step.then.action) {
      case workflow::NextAction::kNext: ++frames_.back().i; return false;
      case workflow::NextAction::kEnd: return true;
      case workflow::NextAction::kGoto: Jump(step.then.target); return false;
    }
    return false;
  }

  void Jump(const std::string& target) {
    Frame& f = frames_.back();
    const std::vector<Step>& list = ListOf(frames_.size() - 1);
    for (int k = 0; k < static_cast<int>(list.size()); ++k) {
      if (list[k].id == target) {
        if (k <= f.i) ++f.gen;
        f.i = k;
        return;
      }
    }
    f.i = static_cast<int>(list.size());  // the validator rules this out
  }

  // Commits `row` (if any) and the run; ends the run with `finish` if given. In a
  // shared transaction the commit is the caller's: the session yields, and what
  // follows a commit runs when it happens.
  Status Persist(StepRow* row, std::optional<RunStatus> finish, Json error = Json()) {
    STOREFLOW_RETURN_IF_ERROR(EnsureTx());
    const TimeMs now = Now();
    if (row != nullptr) {
      row->run_id = run_.id;
      auto it = rows_.find(row->step_path);
      row->seq = it != rows_.end() ? it->second.seq : ++max_seq_;
    }
    Json frames = Json::array();
    for (const Frame& f : frames_) frames.push_back(f.ToJson());
    run_.state["frames"] = frames;
    if (finish) {
      run_.status = *finish;
      run_.due_at.reset();
      ClearLease();
      run_.finished_at = now;
      run_.error = std::move(error);
      if (*finish == RunStatus::kCompleted) {
        run_.output = run_.state.value("response", Json());
        run_.error = Json();
      }
    }
    run_.updated_at = now;
    const bool responded = responded_;
    responded_ = false;
    if (shared_ != nullptr) {
      SharedCommit::Write write;
      write.session = this;
      if (row != nullptr) write.step = *row;
      write.finish = finish;
      write.responded = responded;
      shared_->writes.push_back(std::move(write));
      if (finish) {
        outcome_.notify = true;
        outcome_.ended = true;
      }
      step_savepoint_ = false;
      yielded_ = true;
      return Status::Ok();
    }
    store::Transaction& tx = *Tx();
    if (row != nullptr) {
      Status s = tx.UpsertStep(*row);
      if (!s.ok()) return Abort(s);
    }
    Status s = tx.UpdateRun(run_, ex_.options_.owner);
    if (!s.ok()) return Abort(s);
    if (finish) {
      s = ex_.router_.ReleaseKey(tx, run_, *wf_->workflow, now);
      if (!s.ok()) return Abort(s);
      outcome_.notify = true;
      outcome_.ended = true;
    }
    s = tx_->Commit();
    tx_.reset();
    if (!s.ok()) return Abort(s);
    AfterCommit(row, finish, responded);
    return Status::Ok();
  }

  Status Abort(const Status& s) {
    Rollback();
    if (s.code() == StatusCode::kAborted) {
      outcome_.lost_lease = true;
      return Status::Ok();
    }
    return s;
  }

  Status FinishForeach() {
    Frame done = frames_.back();
    frames_.pop_back();
    const Step& step = ListOf(frames_.size() - 1)[frames_.back().i];
    StepRow row = rows_.count(done.path) != 0 ? rows_[done.path] : StepRow{};
    row.step_path = done.path;
    row.status = StepStatus::kCompleted;
    row.output = done.outs;
    row.attempts = std::max<std::int64_t>(row.attempts, 1);
    row.finished_at = Now();
    RecordNestedOutput(step.id, row.output);
    const bool end = Next(step);
    return Persist(&row, end ? std::optional(RunStatus::kCompleted) : std::nullopt);
  }

  void RecordNestedOutput(const std::string& id, const Json& output) {
    if (frames_.size() < 2) return;
    Frame& f = frames_.back();
    if (f.item < static_cast<int>(f.outs.size())) f.outs[f.item][id] = output;
  }

  RetrySchedule ScheduleFor(const Step& step, const Json& ctx) {
    const workflow::Workflow& wf = *wf_->workflow;
    if (step.retry)
      return ToSchedule(*step.retry, sandbox_, ctx, Call(), ex_.options_.default_retry);
    if (wf.retry) return ToSchedule(*wf.retry, sandbox_, ctx, Call(), ex_.options_.default_retry);
    return ex_.options_.default_retry;
  }

  Status Handle(const Step& step, const std::string& path, const StepRow* existing,
                StepOutcome result) {
    const TimeMs now = Now();
    StepRow row;
    row.step_path = path;
    row.started_at = existing != nullptr ? existing->started_at : now;
    row.input = result.input;
    row.attempts = result.attempt;
    using Kind = StepOutcome::Kind;
    switch (result.kind) {
      case Kind::kSkipped: {
        row.status = StepStatus::kSkipped;
        row.attempts = 0;
        row.finished_at = now;
        RecordNestedOutput(step.id, Json());
        ++frames_.back().i;
        return Persist(&row, AtEnd() ? std::optional(RunStatus::kCompleted) : std::nullopt);
      }
      case Kind::kDone: {
        row.status = StepStatus::kCompleted;
        row.output = result.output;
        row.finished_at = now;
        RecordNestedOutput(step.id, row.output);
        const bool end = Next(step) || AtEnd();
        return Persist(&row, end ? std::optional(RunStatus::kCompleted) : std::nullopt);
      }
      case Kind::kEntered: {
        row.status = StepStatus::kRunning;
        return Persist(&row, std::nullopt);
      }
      case Kind::kSuspend: {
        row.status = StepStatus::kRunning;
        run_.status = result.suspend_status;
        run_.due_at = result.due_at;
        ClearLease();
        suspended_ = true;
        return Persist(&row, std::nullopt);
      }
      case Kind::kFailRun: {
        Rollback();
        row.status = StepStatus::kFailed;
        row.error = {{"code", result.error.code}, {"message", result.error.message}};
        row.finished_at = now;
        return Persist(&row, RunStatus::kFailed, FailureJson(path, row));
      }
      case Kind::kError: break;
    }
    Rollback();  // discard whatever the failed attempt wrote
    row.error = {{"code", result.error.code}, {"message", result.error.message}};
    const RetrySchedule schedule = ScheduleFor(step, Context());
    if (!result.error.permanent() && result.attempt < schedule.attempts) {
      const Duration delay =
          RetryDelay(schedule, result.attempt, result.error.retry_after, ex_.random_);
      row.status = StepStatus::kRunning;
      run_.status = RunStatus::kSleeping;
      run_.due_at = now + delay.count();
      ClearLease();
      suspended_ = true;
      return Persist(&row, std::nullopt);
    }
    row.status = StepStatus::kFailed;
    row.finished_at = now;
    switch (step.on_error.action) {
      case workflow::ErrorAction::kFail:
        return Persist(&row, RunStatus::kFailed, FailureJson(path, row));
      case workflow::ErrorAction::kContinue:
        RecordNestedOutput(step.id, Json());
        ++frames_.back().i;
        return Persist(&row, AtEnd() ? std::optional(RunStatus::kCompleted) : std::nullopt);
      case workflow::ErrorAction::kGoto:
        Jump(step.on_error.target);
        return Persist(&row, std::nullopt);
    }
    return Status::Ok();
  }

  static Json FailureJson(const std::string& path, const StepRow& row) {
    return {{"step", path},
            {"code", row.error.value("code", "")},
            {"message", row.error.value("message", "")},
            {"attempts", row.attempts},
            {"input", row.input}};
  }

  StepOutcome Execute(const Step& step, const std::string& path, const StepRow* existing) {
    const bool in_progress = existing != nullptr && existing->status == StepStatus::kRunning;
    const int attempt = in_progress ? static_cast<int>(existing->attempts) + 1 : 1;
    const Json ctx = Context();
    if (step.condition && !in_progress) {
      auto cond = sandbox_.EvaluateExpression(step.condition->code, ctx,
                                              step.condition->ChunkName(), Call());
      if (!cond.ok()) return StepOutcome::Error(ExpressionError(cond.status()));
      if (!Truthy(*cond)) {
        StepOutcome o;
        o.kind = StepOutcome::Kind::kSkipped;
        return o;
      }
    }
    StepOutcome o = std::visit(
        [&](const auto& kind) { return Run(kind, step, path, existing, ctx, attempt); }, step.kind);
    if (o.attempt == 0) o.attempt = attempt;
    return o;
  }

  StepOutcome Run(const std::monostate&, const Step&, const std::string&, const StepRow*,
                  const Json&, int) {
    return StepOutcome::Error(ActionError::Permanent("internal", "step without a kind"));
  }

  StepOutcome Run(const workflow::UsesStep& uses, const Step& step, const std::string& path,
                  const StepRow* existing, const Json& ctx, int attempt) {
    const SecretStore* secrets = ex_.options_.secrets.get();
    StepOutcome o = RunUses(uses, step, path, existing, ctx, attempt);
    if (secrets == nullptr || secrets->empty()) return o;
    // Nothing a secret went into is stored or shown as is.
    o.input = secrets->Redact(o.input);
    o.output = secrets->Redact(o.output);
    o.error.message = secrets->Redact(o.error.message);
    return o;
  }

  // The `with:` context of a uses step: `ctx` plus the secrets its expressions
  // name (only those), or the permanent error naming a missing one.
  std::variant<Json, ActionError> UsesContext(const workflow::UsesStep& uses,
                                              const std::string& path, const Json& ctx) const {
    std::vector<std::string> names;
    uses.with.ForEachExpression([&](const workflow::Expression& e) {
      if (!e.secrets_use) return;
      for (std::string& name : SecretNamesIn(e.code)) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      }
    });
    if (names.empty()) return ctx;
    Json values = Json::object();
    for (const std::string& name : names) {
      const std::string* value = ex_.options_.secrets ? ex_.options_.secrets->Find(name) : nullptr;
      if (value == nullptr) {
        std::string env = name;
        std::transform(env.begin(), env.end(), env.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        return ActionError::Permanent("missing_secret",
                                      "step '" + path + "' of workflow '" + wf_->workflow->name +
                                          "' reads secret '" + name +
                                          "', which is not set (set the environment variable "
                                          "STOREFLOW_SECRET_" +
                                          env + " or add it to secrets.file)");
      }
      values[name] = *value;
    }
    Json with_secrets = ctx;
    with_secrets["secrets"] = std::move(values);
    return with_secrets;
  }

  StepOutcome RunUses(const workflow::UsesStep& uses, const Step& step, const std::string& path,
                      const StepRow*, const Json& ctx, int attempt) {
    auto context = UsesContext(uses, path, ctx);
    if (auto* missing = std::get_if<ActionError>(&context)) return StepOutcome::Error(*missing);
    auto input = workflow::Render(uses.with, sandbox_, std::get<Json>(context), Call());
    if (!input.ok()) return StepOutcome::Error(ExpressionError(input.status()));
    Action* action = ex_.actions_.Find(uses.action);
    if (action == nullptr) {
      return StepOutcome::Error(
          ActionError::Permanent("unknown_action", "no action named '" + uses.action + "'"),
          *input);
    }
    ActionContext ac;
    ac.run_id = run_.id;
    ac.workflow = wf_->workflow->name;
    ac.step_path = path;
    ac.idempotency_key = ex_.store_.InstallationId() + "/" + std::to_string(run_.id) + "/" + path;
    ac.attempt = attempt;
    ac.now = Now();
    ac.log = ex_.options_.log;
    if (ac.log && ex_.options_.secrets && !ex_.options_.secrets->empty()) {
      ac.log = [log = ex_.options_.log, secrets = ex_.options_.secrets](std::string_view level,
                                                                        std::string_view message) {
        log(level, secrets->Redact(std::string(message)));
      };
    }
    std::optional<Duration> timeout;
    if (step.timeout) {
      auto t = workflow::Resolve(*step.timeout, sandbox_, ctx, Call());
      if (!t.ok()) return StepOutcome::Error(ExpressionError(t.status()), *input);
      timeout = *t;
      ac.deadline = ac.now + t->count();
    }
    if (action->transactional()) {
      Status s = EnsureTx();
      if (!s.ok()) {
        return StepOutcome::Error(ActionError::Retryable("store_unavailable", s.message()), *input);
      }
      ac.tx = Tx();
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
    if (timeout && elapsed > *timeout) {
      return StepOutcome::Error(
          ActionError::Retryable("timeout", "step '" + path + "' took longer than its timeout"),
          *input);
    }
    if (!result->ok()) return StepOutcome::Error(result->error(), *input);
    return StepOutcome::Done(result->output(), *input);
  }

  StepOutcome Run(const workflow::RuleStep& rule, const Step&, const std::string&, const StepRow*,
                  const Json& ctx, int) {
    auto input = workflow::Render(rule.with, sandbox_, ctx, Call());
    if (!input.ok()) return StepOutcome::Error(ExpressionError(input.status()));
    auto output = sandbox_.CallRule(rule.script, rule.function, *input, Call());
    if (!output.ok()) {
      return StepOutcome::Error(ActionError::Permanent("rule", output.status().message()), *input);
    }
    return StepOutcome::Done(*output, *input);
  }

  StepOutcome Run(const workflow::SleepStep& sleep, const Step&, const std::string&,
                  const StepRow* existing, const Json& ctx, int) {
    StepOutcome o = Sleep(sleep, existing, ctx);
    o.attempt = 1;
    return o;
  }

  StepOutcome Sleep(const workflow::SleepStep& sleep, const StepRow* existing, const Json& ctx) {
    const TimeMs now = Now();
    if (existing != nullptr && existing->status == StepStatus::kRunning &&
        existing->input.is_object() && existing->input.contains("wake_at")) {
      const TimeMs wake = existing->input["wake_at"].get<TimeMs>();
      if (now >= wake) return StepOutcome::Done(Json(), existing->input);
      return StepOutcome::Suspend(RunStatus::kSleeping, wake, existing->input);
    }
    TimeMs wake = now;
    if (sleep.duration) {
      auto d = workflow::Resolve(*sleep.duration, sandbox_, ctx, Call());
      if (!d.ok()) return StepOutcome::Error(ExpressionError(d.status()));
      wake = now + d->count();
    } else if (sleep.until) {
      auto v = workflow::Evaluate(*sleep.until, sandbox_, ctx, Call());
      if (!v.ok()) return StepOutcome::Error(ExpressionError(v.status()));
      if (v->is_number()) {
        wake = static_cast<TimeMs>(v->get<double>() * 1000);
      } else if (v->is_string()) {
        std::int64_t ms = 0;
        if (!script::ParseIsoTimestamp(v->get<std::string>(), *TimeZone::Utc(), &ms)) {
          return StepOutcome::Error(ActionError::Permanent(
              "invalid_until", "sleep until: not an ISO-8601 time: " + v->get<std::string>()));
        }
        wake = ms;
      } else {
        return StepOutcome::Error(ActionError::Permanent(
            "invalid_until", "sleep until: expected an ISO-8601 time or unix seconds"));
      }
    }
    Json input = {{"wake_at", wake}};
    if (wake <= now) return StepOutcome::Done(Json(), input);
    return StepOutcome::Suspend(RunStatus::kSleeping, wake, input);
  }

  // The first event of the wait's topic and key since `since` that passes `where`.
  Result<std::optional<Json>> FindMatch(const workflow::WaitForStep& wait,
                                        const std::string& expr_id, const std::string& value,
                                        TimeMs since, const Json& ctx) {
    STOREFLOW_RETURN_IF_ERROR(EnsureTx());
    auto ids = Tx()->FindEventsByKey(wait.event, expr_id, value, since, 0, 100);
    if (!ids.ok()) return ids.status();
    for (std::int64_t id : *ids) {
      auto event = Tx()->GetEvent(id);
      if (!event.ok()) return event.status();
      if (!event->has_value()) continue;
      if (wait.where) {
        Json candidate = ctx;
        candidate["event"] = (*event)->payload;
        auto pass = sandbox_.EvaluateExpression(wait.where->code, candidate,
                                                wait.where->ChunkName(), Call());
        if (!pass.ok()) return pass.status();
        if (!Truthy(*pass)) continue;
      }
      return std::optional<Json>((*event)->payload);
    }
    return std::optional<Json>();
  }

  StepOutcome Run(const workflow::WaitForStep& wait, const Step&, const std::string& path,
                  const StepRow* existing, const Json& ctx, int) {
    StepOutcome o = WaitFor(wait, path, existing, ctx);
    o.attempt = 1;
    return o;
  }

  StepOutcome WaitFor(const workflow::WaitForStep& wait, const std::string& path,
                      const StepRow* existing, const Json& ctx) {
    const TimeMs now = Now();
    const std::string expr_id = ExpressionId(wait.key ? &*wait.key : nullptr);
    const std::string value = wait.key ? run_.key.value_or("") : "";
    TimeMs since = 0;
    TimeMs expires = 0;
    const bool waiting = existing != nullptr && existing->status == StepStatus::kRunning &&
                         existing->input.is_object() && existing->input.contains("expires_at");
    if (waiting) {
      since = existing->input["since"].get<TimeMs>();
      expires = existing->input["expires_at"].get<TimeMs>();
    } else {
      auto timeout = workflow::Resolve(wait.timeout, sandbox_, ctx, Call());
      if (!timeout.ok()) return StepOutcome::Error(ExpressionError(timeout.status()));
      since = now - ex_.options_.wait_lookback.count();
      expires = now + timeout->count();
    }
    Json input = {{"topic", wait.event}, {"key", value}, {"since", since}, {"expires_at", expires}};
    auto match = FindMatch(wait, expr_id, value, since, ctx);
    if (!match.ok()) {
      return StepOutcome::Error(ActionError::Retryable("wait_for", match.status().message()),
                                input);
    }
    if (match->has_value() || now >= expires) {
      Status s = Tx()->DeleteWait(run_.id);
      if (!s.ok()) return StepOutcome::Error(ActionError::Retryable("store", s.message()), input);
      return StepOutcome::Done(match->has_value() ? **match : Json(), input);
    }
    store::WaitRow row;
    row.run_id = run_.id;
    row.step_path = path;
    row.topic = wait.event;
    row.expr_id = expr_id;
    row.wait_key = value;
    row.expires_at = expires;
    row.created_at = waiting ? existing->started_at : now;
    Status s = Tx()->PutWait(row);
    if (!s.ok()) return StepOutcome::Error(ActionError::Retryable("store", s.message()), input);
    // First registration: due again after wait_recheck; afterwards at the timeout.
    const TimeMs due =
        waiting ? expires : std::min(expires, now + ex_.options_.wait_recheck.count());
    return StepOutcome::Suspend(RunStatus::kWaiting, due, input);
  }

  StepOutcome Run(const workflow::EmitStep& emit, const Step&, const std::string&, const StepRow*,
                  const Json& ctx, int) {
    auto data = workflow::Render(emit.data, sandbox_, ctx, Call());
    if (!data.ok()) return StepOutcome::Error(ExpressionError(data.status()));
    Json payload = data->is_null() ? Json::object() : *data;
    Status s = EnsureTx();
    if (!s.ok()) return StepOutcome::Error(ActionError::Retryable("store", s.message()), payload);
    store::EventRow event;
    event.topic = emit.event;
    event.source = "emit";
    event.payload = payload;
    event.meta = {{"run_id", run_.id}};
    auto published = ex_.router_.Publish(*Tx(), event, sandbox_, Now());
    if (!published.ok()) {
      return StepOutcome::Error(ActionError::Retryable("emit", published.status().message()),
                                payload);
    }
    if (!published->runs.empty() || !published->woken.empty()) outcome_.notify = true;
    return StepOutcome::Done(
        {{"event_id", published->event_id ? Json(*published->event_id) : Json()},
         {"runs", published->runs}},
        payload);
  }

  StepOutcome Run(const workflow::RespondStep& respond, const Step&, const std::string&,
                  const StepRow*, const Json& ctx, int) {
    auto status = workflow::Render(respond.status, sandbox_, ctx, Call());
    if (!status.ok()) return StepOutcome::Error(ExpressionError(status.status()));
    auto headers = workflow::Render(respond.headers, sandbox_, ctx, Call());
    if (!headers.ok()) return StepOutcome::Error(ExpressionError(headers.status()));
    if (auto bad = CheckRespondHeaders(*headers)) return StepOutcome::Error(*bad);
    auto body = workflow::Render(respond.body, sandbox_, ctx, Call());
    if (!body.ok()) return StepOutcome::Error(ExpressionError(body.status()));
    Json response = {{"status", status->is_null() ? Json(200) : *status},
                     {"headers", headers->is_null() ? Json::object() : *headers},
                     {"body", *body}};
    run_.state["response"] = response;
    responded_ = true;
    return StepOutcome::Done(response);
  }

  StepOutcome Run(const workflow::ForeachStep& foreach, const Step& step, const std::string& path,
                  const StepRow*, const Json& ctx, int) {
    auto items = workflow::Render(foreach.items, sandbox_, ctx, Call());
    if (!items.ok()) return StepOutcome::Error(ExpressionError(items.status()));
    if (!items->is_array()) {
      return StepOutcome::Error(
          ActionError::Permanent("invalid_items", "foreach needs a list, got " + items->dump()));
    }
    if (items->empty()) return StepOutcome::Done(Json::array(), {{"count", 0}});
    Frame f;
    f.foreach = step.id;
    f.path = path;
    f.as = foreach.as;
    f.items = *items;
    f.outs = Json::array();
    for (std::size_t k = 0; k < items->size(); ++k) f.outs.push_back(Json::object());
    frames_.push_back(std::move(f));
    StepOutcome o;
    o.kind = StepOutcome::Kind::kEntered;
    o.input = {{"count", items->size()}};
    return o;
  }

  StepOutcome Run(const workflow::FailStep& fail, const Step&, const std::string&, const StepRow*,
                  const Json& ctx, int) {
    auto message = workflow::RenderString(fail.message, sandbox_, ctx, Call());
    StepOutcome o;
    o.kind = StepOutcome::Kind::kFailRun;
    o.error = ActionError::Permanent("fail", message.ok() ? *message : message.status().message());
    return o;
  }

  RunExecutor& ex_;
  RunRow run_;
  script::Sandbox& sandbox_;
  std::shared_ptr<const LoadedWorkflow> wf_;
  std::map<std::string, StepRow> rows_;
  Json steps_ctx_ = Json::object();
  std::int64_t max_seq_ = 0;
  std::vector<Frame> frames_;
  std::unique_ptr<store::Transaction> tx_;  // without a shared commit
  SharedCommit* shared_ = nullptr;
  bool loaded_ = false;
  bool yielded_ = false;     // wrote into the shared transaction; awaits its commit
  bool wants_solo_ = false;  // the next step must not run in a shared transaction
  bool in_step_ = false;     // a step is executing (its writes get a savepoint)
  bool step_savepoint_ = false;
  AdvanceOutcome outcome_;
  bool suspended_ = false;
  bool responded_ = false;  // a respond step's answer awaits its commit
  static constexpr int kMaxConflicts = 20;
  int conflicts_ = 0;
};

namespace {

template <typename Session>
Result<AdvanceOutcome> RunGuarded(Session& session) {
  try {
    return session.Run();
  } catch (const std::exception& e) {
    return Internal("run " + std::to_string(session.run_id()) + ": " + e.what());
  } catch (...) {
    return Internal("run " + std::to_string(session.run_id()) + ": unknown exception");
  }
}

}  // namespace

Status RunExecutor::LockRound(SharedCommit& shared,
                              const std::vector<std::unique_ptr<RunSession>>& sessions,
                              const std::vector<std::size_t>& active,
                              std::vector<std::optional<Result<AdvanceOutcome>>>& results) {
  auto tx = store_.Begin();
  if (!tx.ok()) return tx.status();
  shared.tx = std::move(tx).value();
  std::vector<std::int64_t> ids;
  ids.reserve(active.size());
  for (std::size_t i : active) ids.push_back(sessions[i]->run_id());
  auto held = shared.tx->LockLeasedRuns(options_.owner, ids);
  if (!held.ok()) return held.status();
  for (std::size_t i : active) {
    if (std::find(held->begin(), held->end(), sessions[i]->run_id()) == held->end()) {
      sessions[i]->LoseLease();
      results[i] = sessions[i]->outcome();
    }
  }
  return Status::Ok();
}

Status RunExecutor::Flush(SharedCommit& shared, store::Transaction::LeaseCheck check) {
  if (shared.writes.empty()) return Status::Ok();
  store::Transaction& tx = *shared.tx;
  std::vector<const store::RunRow*> runs;
  runs.reserve(shared.writes.size());
  for (const auto& write : shared.writes) {
    runs.push_back(write.row != nullptr ? write.row : &write.session->run());
  }
  auto updated = tx.UpdateLeasedRuns(runs, options_.owner, check);
  if (!updated.ok()) return updated.status();
  // A run missing from `updated` lost its lease inside this very transaction
  // (a `replace` admission cancelled it): its step result is dropped.
  std::vector<const StepRow*> steps;
  for (auto& write : shared.writes) {
    const std::int64_t id = write.session->run_id();
    if (std::find(updated->begin(), updated->end(), id) == updated->end()) {
      write.session->LoseLease();
      continue;
    }
    if (write.step) steps.push_back(&*write.step);
  }
  STOREFLOW_RETURN_IF_ERROR(tx.UpsertSteps(steps));
  // Keys last: admissions earlier in this transaction saw these runs active and
  // queued behind them; releasing now promotes those.
  const TimeMs now = clock_.Now();
  for (const auto& write : shared.writes) {
    if (!write.finish || write.session->outcome().lost_lease) continue;
    STOREFLOW_RETURN_IF_ERROR(
        router_.ReleaseKey(tx, write.session->run(), write.session->workflow(), now));
  }
  return Status::Ok();
}

RunExecutor::RunExecutor(store::Store& store, WorkflowCatalog& catalog, EventRouter& router,
                         const ActionRegistry& actions, Clock& clock, ExecutorOptions options)
    : store_(store),
      catalog_(catalog),
      router_(router),
      actions_(actions),
      clock_(clock),
      options_(std::move(options)),
      random_(options_.random_seed != 0 ? options_.random_seed : std::random_device()()) {}

Result<AdvanceOutcome> RunExecutor::Advance(const store::RunRow& claimed,
                                            script::Sandbox& sandbox) {
  RunSession session(*this, claimed, sandbox);
  return RunGuarded(session);
}

std::vector<Result<AdvanceOutcome>> RunExecutor::AdvanceBatch(
    const std::vector<store::RunRow>& claimed, script::Sandbox& sandbox,
    std::unique_ptr<store::Transaction> claim_tx) {
  std::vector<Result<AdvanceOutcome>> out;
  out.reserve(claimed.size());
  if (!options_.group_commit && claim_tx == nullptr) {
    for (const auto& run : claimed) out.push_back(Advance(run, sandbox));
    return out;
  }
  std::vector<std::unique_ptr<RunSession>> sessions;
  std::vector<std::optional<Result<AdvanceOutcome>>> results(claimed.size());
  std::vector<std::size_t> active;
  std::vector<std::size_t> solo;
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    sessions.push_back(std::make_unique<RunSession>(*this, claimed[i], sandbox));
    active.push_back(i);
  }
  while (!active.empty()) {
    SharedCommit shared;
    std::vector<std::size_t> pending;  // wrote into `shared`
    // The first round of a claim made in `claim_tx` runs in it: the claim locked
    // the runs. Later rounds lock the round's runs while they are still ours: no
    // other engine can take one over until the round commits, however long it takes.
    const bool claim_round = claim_tx != nullptr;
    if (claim_round) {
      shared.tx = std::move(claim_tx);
    } else if (Status locked = LockRound(shared, sessions, active, results); !locked.ok()) {
      for (std::size_t i : active) results[i] = locked;
      break;
    }
    for (std::size_t i : active) {
      if (results[i]) continue;  // its lease is gone
      RunSession& session = *sessions[i];
      session.Share(&shared);
      auto advanced = RunGuarded(session);
      if (!advanced.ok()) {
        results[i] = advanced.status();
      } else if (session.yielded()) {
        pending.push_back(i);
      } else if (session.wants_solo()) {
        solo.push_back(i);
      } else {
        results[i] = *advanced;
      }
    }
    if (claim_round) {
      // The claim is stored with the runs: one that wrote no step result is
      // written as claimed, so that its lease keeps other engines off (a run
      // that goes on alone, or whose advance failed and waits for its lease to
      // expire, as after a committed claim).
      for (std::size_t i : active) {
        if (results[i] && results[i]->ok()) continue;  // nothing to hold it for
        const bool wrote = std::any_of(
            shared.writes.begin(), shared.writes.end(),
            [&](const SharedCommit::Write& w) { return w.session == sessions[i].get(); });
        if (!wrote) shared.writes.push_back({.session = sessions[i].get(), .row = &claimed[i]});
      }
    }
    Status committed = Flush(shared, claim_round ? store::Transaction::LeaseCheck::kLockedHere
                                                 : store::Transaction::LeaseCheck::kOwner);
    if (committed.ok() && shared.tx) committed = shared.tx->Commit();
    shared.tx.reset();
    std::vector<std::size_t> round = std::move(active);
    active.clear();
    if (committed.ok()) {
      for (auto& write : shared.writes) {
        if (write.session->outcome().lost_lease) continue;
        if (write.row != nullptr) continue;  // the claim alone
        write.session->AfterCommit(write.step ? &*write.step : nullptr, write.finish,
                                   write.responded);
      }
      for (std::size_t i : pending) {
        if (sessions[i]->finished()) {
          results[i] = sessions[i]->outcome();
        } else {
          active.push_back(i);
        }
      }
      if (claim_round) {
        // A run cancelled in the claim's own transaction is not ours to go on with.
        std::erase_if(solo, [&](std::size_t i) {
          if (!sessions[i]->outcome().lost_lease) return false;
          results[i] = sessions[i]->outcome();
          return true;
        });
      }
      continue;
    }
    if (claim_round) {
      // Nothing of the round is stored, the claim included: the runs are due and
      // unleased again, claimable at once. None of them may go on here.
      for (std::size_t i : round) {
        if (!results[i] || results[i]->ok()) results[i] = committed;
      }
      solo.clear();
      break;
    }
    // Nothing of the round is stored: let the round's runs be claimed again at
    // once (from what was committed before) instead of after their lease.
    std::vector<std::int64_t> ids;
    for (std::size_t i : pending) {
      ids.push_back(sessions[i]->run_id());
      results[i] = committed;
    }
    (void)store_.ExtendLeases(options_.owner, ids, clock_.Now() - 1);
  }
  for (std::size_t i : solo) {
    sessions[i]->Share(nullptr);
    results[i] = RunGuarded(*sessions[i]);
  }
  for (auto& result : results) out.push_back(std::move(*result));
  return out;
}

}  // namespace storeflow::runtime
