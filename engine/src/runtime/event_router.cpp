#include "runtime/event_router.h"

#include <algorithm>

#include "common/metrics.h"
#include "workflow/duration_value.h"
#include "workflow/template.h"

namespace storeflow::runtime {
namespace {

using store::RunRow;
using store::RunStatus;

constexpr Duration kDefaultDedupeTtl{24LL * 3600 * 1000};

bool IsResourceLimit(const Status& status) {
  return status.code() == StatusCode::kDeadlineExceeded ||
         status.code() == StatusCode::kResourceExhausted;
}

Result<Json> EvaluateOnEvent(const workflow::Expression& expr, const Json& payload,
                             const Json& config, script::Sandbox& sandbox, TimeMs now) {
  Json context = {{"event", payload}, {"config", config}};
  return sandbox.EvaluateExpression(expr.code, context, expr.ChunkName(), script::CallContext{now});
}

workflow::Concurrency EffectiveConcurrency(const workflow::Workflow& wf) {
  return wf.concurrency.value_or(workflow::Concurrency{});
}

bool Holds(const workflow::Concurrency& concurrency) {
  return concurrency.on_failure == workflow::OnFailure::kHold;
}

// Makes the oldest queued runs of `active` (one key, oldest first) ready while
// fewer than per_key runs occupy the key; a run with id `ending` no longer does.
// Returns how many runs now occupy it.
Result<int> PromoteQueued(store::Transaction& tx, std::vector<RunRow>& active, int per_key,
                          std::int64_t ending, TimeMs now) {
  int occupying = 0;
  for (const auto& other : active) {
    if (other.id != ending && other.status != RunStatus::kQueued) ++occupying;
  }
  for (RunRow& other : active) {
    if (occupying >= per_key) break;
    if (other.status != RunStatus::kQueued) continue;
    other.status = RunStatus::kReady;
    other.due_at = now;
    other.updated_at = now;
    STOREFLOW_RETURN_IF_ERROR(tx.UpdateRun(other, std::nullopt));
    ++occupying;
  }
  return occupying;
}

void Terminate(RunRow& run, RunStatus status, TimeMs now) {
  run.status = status;
  run.due_at.reset();
  run.lease_owner.reset();
  run.lease_until.reset();
  run.updated_at = now;
  run.finished_at = now;
}

// Ends `run` (rejected, or failed: a dead letter) for a payload that fails
// input.schema, with every violation's path.
void RejectInvalid(RunRow& run, const std::vector<SchemaViolation>& violations, RunStatus status,
                   TimeMs now) {
  Json details = Json::array();
  for (const auto& v : violations) details.push_back({{"path", v.path}, {"message", v.message}});
  Terminate(run, status, now);
  run.error = {
      {"code", "invalid_input"},
      {"message", "the event does not match input.schema: " + DescribeViolations(violations)},
      {"violations", details}};
  if (status == RunStatus::kFailed) run.error["retryable"] = false;  // not for the auto-redrive
}

}  // namespace

bool TriggerMatches(const workflow::Trigger& trigger, const std::string& workflow_name,
                    std::size_t trigger_index, const std::string& topic) {
  if (const auto* w = std::get_if<workflow::WebhookTrigger>(&trigger.spec)) {
    return topic == w->source + "/" + w->topic;
  }
  if (const auto* e = std::get_if<workflow::EventTrigger>(&trigger.spec)) return topic == e->name;
  if (const auto* h = std::get_if<workflow::HttpTrigger>(&trigger.spec)) {
    return topic == "http/" + h->method + " " + h->path;
  }
  if (const auto* q = std::get_if<workflow::QueueTrigger>(&trigger.spec)) {
    return topic == q->plugin + "/" + q->queue;
  }
  if (std::holds_alternative<workflow::ScheduleTrigger>(trigger.spec)) {
    return topic == "schedule/" + workflow_name + "/" + std::to_string(trigger_index);
  }
  return false;
}

Result<PublishOutcome> EventRouter::Publish(store::Transaction& tx, store::EventRow event,
                                            script::Sandbox& sandbox, TimeMs now) {
  return PublishInPlace(tx, event, sandbox, now);
}

Result<PublishOutcome> EventRouter::PublishInPlace(store::Transaction& tx, store::EventRow& event,
                                                   script::Sandbox& sandbox, TimeMs now) {
  PublishOutcome outcome;
  if (event.id == 0) {
    event.created_at = now;
    auto id = tx.InsertEvent(event);
    if (!id.ok()) return id.status();
    if (!id->has_value()) return outcome;  // a duplicate delivery
    event.id = **id;
  }
  // Otherwise the caller has inserted it in `tx` (group commit: InsertEvents).
  outcome.event_id = event.id;

  // Index the event for every wait_for that waits on its topic, and wake waits.
  std::vector<store::EventKeyRow> keys;
  for (const WaitKeyExpression& wait : catalog_.WaitKeys(event.topic)) {
    auto value = WaitKeyValue(wait, event, sandbox, now);
    if (!value.ok()) return value.status();
    if (!value->has_value()) continue;  // not a candidate for this wait
    keys.push_back({wait.expr_id, std::move(**value)});
  }
  if (!keys.empty()) {
    STOREFLOW_RETURN_IF_ERROR(tx.InsertEventKeys(event.id, event.topic, keys, now));
    for (const auto& key : keys) {
      auto woken = tx.WakeWaits(event.topic, key.expr_id, key.value, now);
      if (!woken.ok()) return woken.status();
      outcome.woken.insert(outcome.woken.end(), woken->begin(), woken->end());
    }
  }

  for (const auto& loaded : catalog_.Currents()) {
    const auto& triggers = loaded->workflow->triggers;
    for (std::size_t i = 0; i < triggers.size(); ++i) {
      if (!TriggerMatches(triggers[i], loaded->workflow->name, i, event.topic)) continue;
      auto run = StartRun(tx, *loaded, event.payload, event.id, sandbox, now, event.meta);
      if (!run.ok()) return run.status();
      outcome.runs.push_back(run->id);
      break;  // one run per workflow per event
    }
  }
  return outcome;
}

Result<std::optional<std::string>> EventRouter::WaitKeyValue(const WaitKeyExpression& wait,
                                                             const store::EventRow& event,
                                                             script::Sandbox& sandbox, TimeMs now) {
  if (wait.expression == nullptr) return std::optional<std::string>(std::string());
  const Json& config = wait.owner->workflow->config;
  auto computed = EvaluateOnEvent(*wait.expression, event.payload, config, sandbox, now);
  if (!computed.ok() && IsResourceLimit(computed.status())) {
    // A time limit can trip on a loaded machine from the thread being descheduled:
    // one more try before the publish fails.
    computed = EvaluateOnEvent(*wait.expression, event.payload, config, sandbox, now);
    if (!computed.ok() && IsResourceLimit(computed.status())) {
      return computed.status().WithContext("workflow " + wait.owner->workflow->name +
                                           ": wait_for key on " + event.topic);
    }
  }
  if (!computed.ok()) {
    // The expression fails on this payload (and would on every try): the event
    // cannot be matched to this wait. Never silent: a metric and a log line.
    const std::string& workflow = wait.owner->workflow->name;
    metrics::Registry::Default().CounterAdd("storeflow_wait_key_errors_total",
                                            {{"workflow", workflow}});
    if (log_) {
      // The code, not the message: a script's error text can quote the payload.
      log_("warn", "event " + std::to_string(event.id) + " (" + event.topic +
                       ") cannot wake the wait_for steps of workflow '" + workflow +
                       "': their key (" + wait.expression->ChunkName().substr(1) +
                       ") failed with " + std::string(StatusCodeName(computed.status().code())));
    }
    return std::optional<std::string>();
  }
  if (computed->is_null()) return std::optional<std::string>();
  return std::optional<std::string>(workflow::InterpolationText(*computed));
}

Result<RunRow> EventRouter::StartRun(store::Transaction& tx, const LoadedWorkflow& loaded,
                                     const Json& payload, std::optional<std::int64_t> event_id,
                                     script::Sandbox& sandbox, TimeMs now, const Json& meta) {
  const workflow::Workflow& wf = *loaded.workflow;
  RunRow run;
  run.workflow = wf.name;
  run.version_hash = loaded.hash;
  run.status = RunStatus::kReady;
  run.input = payload;
  run.state = Json::object();
  run.event_id = event_id;
  run.due_at = now;
  run.created_at = now;
  run.updated_at = now;

  if (meta.is_object() && !meta.empty()) run.state["meta"] = meta;

  std::vector<SchemaViolation> violations;
  if (loaded.input_schema != nullptr) violations = loaded.input_schema->Validate(payload);
  const bool dead_letter_invalid =
      wf.input && wf.input->on_invalid == workflow::OnInvalid::kDeadLetter;
  if (!violations.empty() && !dead_letter_invalid) {
    // Never a silent drop: the run is kept, rejected, with every violation's path.
    RejectInvalid(run, violations, RunStatus::kRejected, now);
    auto id = tx.InsertRun(run);
    if (!id.ok()) return id.status();
    run.id = *id;
    metrics::Registry::Default().CounterAdd("storeflow_runs_rejected_total",
                                            {{"workflow", wf.name}});
    return run;
  }

  if (wf.key) {
    auto key = EvaluateOnEvent(*wf.key, payload, wf.config, sandbox, now);
    if (!key.ok() && violations.empty()) {
      return key.status().WithContext("workflow " + wf.name + ": key");
    }
    if (key.ok() && !key->is_null()) run.key = workflow::InterpolationText(*key);
  } else if (meta.is_object() && meta.contains("run_key") && meta["run_key"].is_string() &&
             !meta["run_key"].get<std::string>().empty()) {
    // A workflow without `key:` takes the key its event source proposes (the
    // sqs source: a FIFO message's group id), so per-key order follows it.
    run.key = meta["run_key"].get<std::string>();
  }

  if (!violations.empty()) {
    // input.on_invalid: dead_letter — a dead letter of its key (a held key
    // stays held until it is discarded), with the violations.
    RejectInvalid(run, violations, RunStatus::kFailed, now);
    auto id = tx.InsertRun(run);
    if (!id.ok()) return id.status();
    run.id = *id;
    metrics::Registry::Default().CounterAdd("storeflow_runs_rejected_total",
                                            {{"workflow", wf.name}});
    if (run.key) {
      // With on_failure release the key's queued runs are not held by it.
      STOREFLOW_RETURN_IF_ERROR(ReleaseKey(tx, run, wf, now));
    }
    return run;
  }

  if (wf.dedupe) {
    auto value = EvaluateOnEvent(*wf.dedupe, payload, wf.config, sandbox, now);
    if (!value.ok()) return value.status().WithContext("workflow " + wf.name + ": dedupe");
    if (!value->is_null()) {
      Duration ttl = kDefaultDedupeTtl;
      if (wf.dedupe_ttl) {
        auto resolved = workflow::Resolve(*wf.dedupe_ttl, sandbox, {{"config", wf.config}},
                                          script::CallContext{now});
        if (!resolved.ok()) return resolved.status();
        ttl = *resolved;
      }
      auto claimed =
          tx.ClaimDedupe(wf.name, workflow::InterpolationText(*value), now, now + ttl.count());
      if (!claimed.ok()) return claimed.status();
      if (!*claimed) {
        Terminate(run, RunStatus::kSkipped, now);
        run.error = {{"code", "duplicate"}, {"message", "dropped by dedupe"}};
      }
    }
  }

  if (run.status == RunStatus::kReady && run.key) {
    const workflow::Concurrency concurrency = EffectiveConcurrency(wf);
    // With on_failure hold a dead letter of the key occupies it like a run.
    auto active = tx.ActiveRunsForKey(wf.name, *run.key, Holds(concurrency));
    if (!active.ok()) return active.status();
    int running = 0;
    bool any_queued = false;
    for (const auto& other : *active) {
      if (other.status == RunStatus::kQueued) {
        any_queued = true;
      } else {
        ++running;
      }
    }
    switch (concurrency.on_new) {
      case workflow::OnNew::kQueue:
        if (any_queued && running < concurrency.per_key) {
          // Queued runs with room for them: their key was freed without a
          // release (a held dead letter removed by retention). Let them go
          // first, in order.
          auto occupying = PromoteQueued(tx, *active, concurrency.per_key, 0, now);
          if (!occupying.ok()) return occupying.status();
          running = *occupying;
          any_queued = std::any_of(active->begin(), active->end(),
                                   [](const RunRow& r) { return r.status == RunStatus::kQueued; });
        }
        if (running >= concurrency.per_key || any_queued) {
          run.status = RunStatus::kQueued;
          run.due_at.reset();
        }
        break;
      case workflow::OnNew::kSkip:
        if (running >= concurrency.per_key) {
          Terminate(run, RunStatus::kSkipped, now);
          run.error = {{"code", "skipped"}, {"message", "a run of this key is active"}};
        }
        break;
      case workflow::OnNew::kReplace:
        for (RunRow other : *active) {
          Terminate(other, RunStatus::kCancelled, now);
          other.error = {{"code", "replaced"}, {"message", "replaced by a newer run of its key"}};
          STOREFLOW_RETURN_IF_ERROR(tx.UpdateRun(other, std::nullopt));
          STOREFLOW_RETURN_IF_ERROR(tx.DeleteWait(other.id));
        }
        break;
    }
  }

  auto id = tx.InsertRun(run);
  if (!id.ok()) return id.status();
  run.id = *id;
  return run;
}

Status EventRouter::ReleaseKey(store::Transaction& tx, const RunRow& run,
                               const workflow::Workflow& workflow, TimeMs now) {
  if (!run.key) return Status::Ok();
  const workflow::Concurrency concurrency = EffectiveConcurrency(workflow);
  // A dead letter of a holding workflow keeps its key until it is resolved.
  if (run.status == RunStatus::kFailed && Holds(concurrency)) return Status::Ok();
  auto active = tx.ActiveRunsForKey(run.workflow, *run.key, Holds(concurrency));
  if (!active.ok()) return active.status();
  auto occupying = PromoteQueued(tx, *active, concurrency.per_key, run.id, now);
  if (!occupying.ok()) return occupying.status();
  return Status::Ok();
}

}  // namespace storeflow::runtime
