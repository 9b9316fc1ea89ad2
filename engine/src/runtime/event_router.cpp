#include "runtime/event_router.h"

#include "common/metrics.h"
#include "workflow/duration_value.h"
#include "workflow/template.h"

namespace storeflow::runtime {
namespace {

using store::RunRow;
using store::RunStatus;

constexpr Duration kDefaultDedupeTtl{24LL * 3600 * 1000};

Result<Json> EvaluateOnEvent(const workflow::Expression& expr, const Json& payload,
                             const Json& config, script::Sandbox& sandbox, TimeMs now) {
  Json context = {{"event", payload}, {"config", config}};
  return sandbox.EvaluateExpression(expr.code, context, expr.ChunkName(), script::CallContext{now});
}

workflow::Concurrency EffectiveConcurrency(const workflow::Workflow& wf) {
  return wf.concurrency.value_or(workflow::Concurrency{});
}

void Terminate(RunRow& run, RunStatus status, TimeMs now) {
  run.status = status;
  run.due_at.reset();
  run.lease_owner.reset();
  run.lease_until.reset();
  run.updated_at = now;
  run.finished_at = now;
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
    std::string value;
    if (wait.expression != nullptr) {
      auto computed = EvaluateOnEvent(*wait.expression, event.payload, wait.owner->workflow->config,
                                      sandbox, now);
      if (!computed.ok() || computed->is_null()) continue;  // not a candidate for this key
      value = workflow::InterpolationText(*computed);
    }
    keys.push_back({wait.expr_id, value});
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

  if (loaded.input_schema != nullptr) {
    // Never a silent drop: the run is kept, rejected, with every violation's path.
    const std::vector<SchemaViolation> violations = loaded.input_schema->Validate(payload);
    if (!violations.empty()) {
      Json details = Json::array();
      for (const auto& v : violations)
        details.push_back({{"path", v.path}, {"message", v.message}});
      Terminate(run, RunStatus::kRejected, now);
      run.error = {
          {"code", "invalid_input"},
          {"message", "the event does not match input.schema: " + DescribeViolations(violations)},
          {"violations", details}};
      auto id = tx.InsertRun(run);
      if (!id.ok()) return id.status();
      run.id = *id;
      metrics::Registry::Default().CounterAdd("storeflow_runs_rejected_total",
                                              {{"workflow", wf.name}});
      return run;
    }
  }

  if (wf.key) {
    auto key = EvaluateOnEvent(*wf.key, payload, wf.config, sandbox, now);
    if (!key.ok()) return key.status().WithContext("workflow " + wf.name + ": key");
    if (!key->is_null()) run.key = workflow::InterpolationText(*key);
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
    auto active = tx.ActiveRunsForKey(wf.name, *run.key);
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
  auto active = tx.ActiveRunsForKey(run.workflow, *run.key);
  if (!active.ok()) return active.status();
  int running = 0;
  for (const auto& other : *active) {
    if (other.id != run.id && other.status != RunStatus::kQueued) ++running;
  }
  for (RunRow other : *active) {
    if (running >= concurrency.per_key) break;
    if (other.status != RunStatus::kQueued) continue;
    other.status = RunStatus::kReady;
    other.due_at = now;
    other.updated_at = now;
    STOREFLOW_RETURN_IF_ERROR(tx.UpdateRun(other, std::nullopt));
    ++running;
  }
  return Status::Ok();
}

}  // namespace storeflow::runtime
