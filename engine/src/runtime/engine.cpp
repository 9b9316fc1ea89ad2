#include "runtime/engine.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <random>

#include "common/metrics.h"
#include "runtime/group_commit.h"

namespace storeflow::runtime {
namespace {

std::string DefaultOwner() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "engine") + "-" + std::to_string(getpid()) + "-" +
         std::to_string(std::random_device()() % 1000000);
}

}  // namespace

Engine::Engine(store::Store& store, Clock& clock, const ActionRegistry& actions,
               EngineOptions options)
    : store_(store),
      clock_(clock),
      actions_(actions),
      options_(std::move(options)),
      catalog_(options_.script_root),
      router_(catalog_,
              [this](std::string_view level, std::string_view message) {
                if (options_.executor.log) options_.executor.log(level, message);
              }),
      scheduler_(store_, catalog_, router_) {
  if (options_.owner.empty()) options_.owner = DefaultOwner();
  options_.executor.owner = options_.owner;
  options_.executor.stop = &stopping_;
  options_.executor.broker = &broker_;
  if (options_.workers < 1) options_.workers = 1;
  if (options_.claim_batch < 1) options_.claim_batch = 1;
  options_.max_claim_batch = std::max(options_.max_claim_batch, options_.claim_batch);
  api_batch_ = options_.claim_batch;
  metrics::Registry::Default().Describe(
      "storeflow_claim_size", metrics::Type::kHistogram,
      "Runs taken by each claim that found work (claims grow through a backlog).",
      {1, 2, 4, 8, 16, 32, 64, 128, 256, 512});
  metrics::Registry::Default().Describe(
      "storeflow_claims_empty_total", metrics::Type::kCounter,
      "Claims that found no due run (each a transaction; idle workers wake one at a time).");
  metrics::Registry::Default().Describe(
      "storeflow_wait_key_errors_total", metrics::Type::kCounter,
      "Events a wait_for key expression failed on (they cannot wake those waits).");
  metrics::Registry::Default().Describe(
      "storeflow_lua_time_limit_retries_total", metrics::Type::kCounter,
      "Steps tried once more at once after a Lua call ran over its time limit.");
  api_sandbox_ = MakeSandbox();
  api_executor_ =
      std::make_unique<RunExecutor>(store_, catalog_, router_, actions_, clock_, options_.executor);
}

Engine::~Engine() {
  Stop();
}

std::unique_ptr<script::Sandbox> Engine::MakeSandbox() const {
  auto sandbox = std::make_unique<script::Sandbox>(options_.lua);
  sandbox->set_script_root(options_.script_root);
  if (options_.executor.log) {
    auto log = options_.executor.log;
    sandbox->set_log_sink(
        [log](script::LogLevel level, std::string_view source, std::string_view message) {
          log(script::LogLevelName(level), std::string(source) + ": " + std::string(message));
        });
  }
  return sandbox;
}

Result<std::shared_ptr<const LoadedWorkflow>> Engine::LoadWorkflowFile(const std::string& path) {
  return catalog_.RegisterFile(path, store_, clock_.Now());
}

Result<std::shared_ptr<const LoadedWorkflow>> Engine::LoadWorkflowSource(const std::string& source,
                                                                         const std::string& path) {
  return catalog_.Register(source, path, store_, clock_.Now());
}

Result<PublishOutcome> Engine::Publish(store::EventRow event) {
  std::lock_guard lock(api_mu_);
  auto tx = store_.Begin();
  if (!tx.ok()) return tx.status();
  auto outcome = router_.Publish(**tx, std::move(event), *api_sandbox_, clock_.Now());
  if (!outcome.ok()) return outcome.status();
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  if (!outcome->runs.empty() || !outcome->woken.empty()) store_.Notify();
  return outcome;
}

std::vector<Result<PublishOutcome>> Engine::PublishBatch(std::vector<store::EventRow> events,
                                                         std::vector<std::string> payload_texts) {
  std::vector<Result<PublishOutcome>> out;
  if (events.empty()) return out;
  if (!payload_texts.empty() && payload_texts.size() != events.size()) {
    for (std::size_t i = 0; i < events.size(); ++i) {
      out.emplace_back(Internal("publish: " + std::to_string(payload_texts.size()) +
                                " payload texts for " + std::to_string(events.size()) + " events"));
    }
    return out;
  }
  // Goes back to the pool however this returns (an exception included).
  SandboxPool::Lease sandbox = spare_sandboxes_.Borrow();
  // Whether a workflow wants the payload of `topic` (asked once per topic).
  std::vector<std::pair<std::string, bool>> needs_payload;
  auto needs = [&](const std::string& topic) {
    for (const auto& [known, needed] : needs_payload) {
      if (known == topic) return needed;
    }
    const bool needed = TopicNeedsPayload(catalog_, topic);
    needs_payload.emplace_back(topic, needed);
    return needed;
  };
  // Inserts `batch` (one multi-row insert) in `tx` and starts what each event
  // triggers; appends one outcome per event to `outcomes`.
  bool notify = false;
  auto publish = [&](store::Transaction& tx, std::vector<store::EventRow>& batch,
                     const std::vector<std::string>& texts,
                     std::vector<Result<PublishOutcome>>& outcomes) -> Status {
    const TimeMs now = clock_.Now();
    for (auto& event : batch) {
      event.id = 0;
      event.created_at = now;
    }
    auto ids = tx.InsertEvents(batch, texts);
    if (!ids.ok()) return ids.status();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!(*ids)[i]) {
        outcomes.emplace_back(PublishOutcome{});  // a duplicate delivery
        continue;
      }
      store::EventRow& event = batch[i];
      event.id = *(*ids)[i];
      if (event.payload.is_discarded()) {
        // Published without its parsed payload: parse it only when a workflow
        // wants it (it may have been registered since the request looked).
        if (!needs(event.topic)) {
          PublishOutcome outcome;
          outcome.event_id = event.id;
          outcomes.emplace_back(std::move(outcome));
          continue;
        }
        if (texts.empty() || texts[i].empty()) {
          return Internal("publish: event without payload (topic " + event.topic + ")");
        }
        try {
          event.payload = Json::parse(texts[i]);
        } catch (const Json::exception& e) {
          return Internal(std::string("publish: the payload text is not JSON: ") + e.what());
        }
      }
      auto outcome = router_.PublishInPlace(tx, event, *sandbox, now);
      if (!outcome.ok()) return outcome.status();
      notify = notify || !outcome->runs.empty() || !outcome->woken.empty();
      outcomes.push_back(std::move(outcome));
    }
    return Status::Ok();
  };
  Status batch_error;
  {
    auto tx = store_.Begin();
    if (tx.ok()) {
      batch_error = publish(**tx, events, payload_texts, out);
      if (batch_error.ok()) batch_error = (*tx)->Commit();
    } else {
      batch_error = tx.status();
    }
  }
  if (!batch_error.ok()) {
    out.clear();
    notify = false;
    if (batch_error.code() == StatusCode::kUnavailable && events.size() > 1) {
      // The store is down: one try per event would only fail again, slower.
      for (std::size_t i = 0; i < events.size(); ++i) out.emplace_back(batch_error);
    } else {
      // One by one: only the events that fail on their own fail.
      std::vector<store::EventRow> one(1);
      std::vector<std::string> one_text;
      for (std::size_t i = 0; i < events.size(); ++i) {
        one[0] = std::move(events[i]);
        one_text.clear();
        if (!payload_texts.empty()) one_text.push_back(std::move(payload_texts[i]));
        auto tx = store_.Begin();
        if (!tx.ok()) {
          out.emplace_back(tx.status());
          continue;
        }
        const bool notify_before = notify;
        std::vector<Result<PublishOutcome>> outcome;
        Status status = publish(**tx, one, one_text, outcome);
        if (status.ok()) status = (*tx)->Commit();
        if (!status.ok()) {
          notify = notify_before;
          out.emplace_back(status);
          continue;
        }
        out.push_back(std::move(outcome.front()));
      }
    }
  }
  if (notify) store_.Notify();
  return out;
}

Result<store::RunRow> Engine::StartRun(const std::string& workflow, const Json& input) {
  auto loaded = catalog_.Current(workflow);
  if (loaded == nullptr) return NotFound("no workflow named '" + workflow + "' is loaded");
  std::lock_guard lock(api_mu_);
  auto tx = store_.Begin();
  if (!tx.ok()) return tx.status();
  auto run = router_.StartRun(**tx, *loaded, input, std::nullopt, *api_sandbox_, clock_.Now());
  if (!run.ok()) return run.status();
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  store_.Notify();
  return run;
}

Result<store::RunRow> Engine::CancelRun(std::int64_t run_id, const std::string& reason) {
  auto tx = store_.Begin();
  if (!tx.ok()) return tx.status();
  auto found = (*tx)->GetRun(run_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return NotFound("no run " + std::to_string(run_id));
  store::RunRow run = **found;
  if (store::IsTerminal(run.status)) {
    return FailedPrecondition("run " + std::to_string(run_id) + " has already ended (" +
                              std::string(store::RunStatusName(run.status)) + ")");
  }
  const TimeMs now = clock_.Now();
  run.status = store::RunStatus::kCancelled;
  run.due_at.reset();
  run.lease_owner.reset();
  run.lease_until.reset();
  run.updated_at = now;
  run.finished_at = now;
  run.error = {{"code", "cancelled"},
               {"message", reason.empty() ? std::string("cancelled by an operator") : reason}};
  STOREFLOW_RETURN_IF_ERROR((*tx)->UpdateRun(run, std::nullopt));
  STOREFLOW_RETURN_IF_ERROR((*tx)->DeleteWait(run.id));
  auto loaded = catalog_.ByHash(run.version_hash, **tx);
  if (!loaded.ok()) return loaded.status();
  STOREFLOW_RETURN_IF_ERROR(router_.ReleaseKey(**tx, run, *(*loaded)->workflow, now));
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  store_.Notify();
  return run;
}

Result<std::vector<store::RunRow>> Engine::ReplayEvent(std::int64_t event_id,
                                                       const std::vector<std::string>& workflows) {
  std::vector<std::shared_ptr<const LoadedWorkflow>> targets;
  if (workflows.empty()) {
    targets = catalog_.Currents();
  } else {
    for (const std::string& name : workflows) {
      auto loaded = catalog_.Current(name);
      if (loaded == nullptr) return NotFound("no workflow named '" + name + "' is loaded");
      targets.push_back(std::move(loaded));
    }
  }
  std::lock_guard lock(api_mu_);
  auto tx = store_.Begin();
  if (!tx.ok()) return tx.status();
  auto found = (*tx)->GetEvent(event_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return NotFound("no event " + std::to_string(event_id));
  const store::EventRow& event = **found;
  const TimeMs now = clock_.Now();
  std::vector<store::RunRow> runs;
  for (const auto& loaded : targets) {
    const auto& triggers = loaded->workflow->triggers;
    bool matched = false;
    for (std::size_t i = 0; i < triggers.size() && !matched; ++i) {
      matched = TriggerMatches(triggers[i], loaded->workflow->name, i, event.topic);
    }
    if (!matched) {
      if (workflows.empty()) continue;
      return InvalidArgument("workflow '" + loaded->workflow->name +
                             "' has no trigger for topic '" + event.topic + "'");
    }
    auto run = router_.StartRun(**tx, *loaded, event.payload, event.id, *api_sandbox_, now);
    if (!run.ok()) return run.status();
    runs.push_back(std::move(*run));
  }
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  if (!runs.empty()) store_.Notify();
  return runs;
}

Result<int> Engine::ClaimAndAdvance(RunExecutor& executor, script::Sandbox& sandbox, int& batch) {
  const int limit = batch;
  const TimeMs now = clock_.Now();
  const TimeMs lease_until = now + options_.executor.lease.count();
  // With group commit the claim is made in the first round's transaction and
  // stored with the first steps' results (RunExecutor::AdvanceBatch); without,
  // it is committed on its own first.
  std::unique_ptr<store::Transaction> claim_tx;
  Result<std::vector<store::RunRow>> claimed = std::vector<store::RunRow>();
  if (options_.executor.group_commit) {
    auto tx = store_.Begin();
    if (!tx.ok()) return tx.status();
    claim_tx = std::move(tx).value();
    claimed = claim_tx->LockDueRuns(executor.owner(), now, lease_until, limit);
    if (claimed.ok() && claimed->empty()) claim_tx.reset();  // nothing taken: roll back
  } else {
    claimed = store_.ClaimDueRuns(executor.owner(), now, lease_until, limit);
  }
  if (!claimed.ok()) return claimed.status();
  const int taken = static_cast<int>(claimed->size());
  batch = taken >= limit ? std::min(limit * 2, options_.max_claim_batch) : options_.claim_batch;
  if (taken > 0) {
    metrics::Registry::Default().Observe("storeflow_claim_size", {}, taken);
  } else {
    metrics::Registry::Default().CounterAdd("storeflow_claims_empty_total");
  }
  bool notify = false;
  Status first_error;
  for (const auto& run : *claimed) {
    if (run.due_at) {
      // Timer lateness: how long after its due time a run was taken up.
      metrics::Registry::Default().Observe("storeflow_timer_lateness_seconds", {},
                                           std::max<TimeMs>(0, now - *run.due_at) / 1000.0);
    }
  }
  auto outcomes = executor.AdvanceBatch(*claimed, sandbox, std::move(claim_tx));
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const auto& outcome = outcomes[i];
    if (!outcome.ok()) {
      // The run keeps its lease until it expires (or was released), then another
      // claim retries it.
      if (first_error.ok()) first_error = outcome.status();
      if (options_.executor.log) {
        options_.executor.log("error", "run " + std::to_string((*claimed)[i].id) + ": " +
                                           outcome.status().ToString());
      }
      continue;
    }
    notify = notify || outcome->notify;
  }
  if (notify) store_.Notify();
  if (claimed->empty() && !first_error.ok()) return first_error;
  return static_cast<int>(claimed->size());
}

Status Engine::SyncSchedules() {
  return scheduler_.Sync(clock_.Now());
}

int Engine::FireSchedules(script::Sandbox& sandbox) {
  if (!options_.schedules) return 0;
  auto fired = scheduler_.FireDue(sandbox, clock_.Now());
  if (!fired.ok()) {
    if (options_.executor.log) options_.executor.log("error", fired.status().ToString());
    return 0;
  }
  return *fired;
}

Result<std::optional<TimeMs>> Engine::NextWakeAt() {
  auto next = store_.NextDueAt();
  if (!next.ok() || !options_.schedules) return next;
  auto schedule = scheduler_.NextDueAt();
  if (!schedule.ok()) return schedule.status();
  if (!schedule->has_value()) return next;
  if (!next->has_value()) return schedule;
  return std::optional<TimeMs>(std::min(**next, **schedule));
}

Result<int> Engine::RunDueOnce() {
  std::lock_guard lock(api_mu_);
  const int fired = FireSchedules(*api_sandbox_);
  auto advanced = ClaimAndAdvance(*api_executor_, *api_sandbox_, api_batch_);
  if (!advanced.ok()) return advanced;
  return *advanced + fired;
}

Status Engine::RunUntil(const std::function<bool()>& done, std::chrono::milliseconds real_timeout) {
  const auto deadline = std::chrono::steady_clock::now() + real_timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return DeadlineExceeded("the engine did not finish in time");
    }
    auto advanced = RunDueOnce();
    if (!advanced.ok()) return advanced.status();
    if (*advanced > 0) continue;
    auto next = NextWakeAt();
    if (!next.ok()) return next.status();
    if (!next->has_value()) {
      if (done()) break;
      return FailedPrecondition("nothing is scheduled and the awaited runs have not ended");
    }
    const TimeMs now = clock_.Now();
    if (clock_.is_virtual()) {
      clock_.AdvanceTo(std::max(now, **next));
      continue;
    }
    const TimeMs wait = std::clamp<TimeMs>(**next - now, 0, options_.max_idle.count());
    if (wait > 0) store_.WaitForWork(std::chrono::milliseconds(wait));
  }
  return Status::Ok();
}

bool Engine::WaitSettled(std::chrono::steady_clock::time_point deadline) {
  int quiet = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const TimeMs now = clock_.Now();
    auto next = NextWakeAt();
    const bool due = !next.ok() || (next->has_value() && **next <= now);
    if (!due && busy_ == 0) {
      if (++quiet >= 2) return true;
    } else {
      quiet = 0;
      if (due) store_.Notify();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

Result<int> Engine::AdvanceManualClock(TimeMs target, std::chrono::milliseconds real_timeout) {
  if (!clock_.is_manual()) {
    return FailedPrecondition("the engine's clock is not manual (start it with --clock manual)");
  }
  if (threads_.empty()) return FailedPrecondition("the engine's workers are not running");
  std::lock_guard lock(advance_mu_);
  if (target < clock_.Now()) {
    return FailedPrecondition("the clock is at " + std::to_string(clock_.Now()) +
                              " ms, later than " + std::to_string(target) +
                              " ms: it never goes back");
  }
  const auto deadline = std::chrono::steady_clock::now() + real_timeout;
  int stops = 0;
  while (true) {
    if (!WaitSettled(deadline)) {
      return DeadlineExceeded("the engine did not finish what was due at " +
                              std::to_string(clock_.Now()) + " ms within " +
                              std::to_string(real_timeout.count()) + " ms");
    }
    auto next = NextWakeAt();
    if (!next.ok()) return next.status();
    const TimeMs now = clock_.Now();
    if (now >= target) return stops;
    const TimeMs stop = next->has_value() ? std::min(std::max(**next, now), target) : target;
    clock_.AdvanceTo(stop);
    ++stops;
    store_.Notify();
  }
}

void Engine::Start() {
  if (!threads_.empty()) return;
  stopping_ = false;
  if (options_.schedules) {
    Status s = SyncSchedules();
    if (!s.ok() && options_.executor.log) options_.executor.log("error", s.ToString());
  }
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this, i] { WorkerLoop(i); });
}

void Engine::Stop(std::chrono::milliseconds drain) {
  if (threads_.empty()) return;
  stopping_ = true;
  // A run in hand stops at its next step boundary (returned to the queue, due
  // now); a step in flight finishes first. `drain` bounds how long we keep waking
  // idle workers; a worker stuck in a long action is joined when it returns.
  const auto deadline = std::chrono::steady_clock::now() + drain;
  for (auto& t : threads_) {
    while (std::chrono::steady_clock::now() < deadline) {
      store_.Notify();
      if (busy_ == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    store_.Notify();
    t.join();
  }
  threads_.clear();
}

void Engine::WorkerLoop(int index) {
  try {
    auto sandbox = MakeSandbox();
    ExecutorOptions executor_options = options_.executor;
    if (executor_options.random_seed != 0) executor_options.random_seed += index;
    // Each worker holds leases under a name of its own. A run whose lease ran out
    // between two of one worker's rounds can be claimed by another worker of this
    // engine; with one name for both, the first would still take it for its own
    // and run the step the second already ran.
    executor_options.owner = options_.owner + "/" + std::to_string(index);
    RunExecutor executor(store_, catalog_, router_, actions_, clock_, executor_options);
    int batch = options_.claim_batch;
    bool woke = false;  // this worker found nothing and slept until now
    auto sleep_until = std::chrono::steady_clock::now();
    while (!stopping_) {
      // A wake-up finds every idle worker at once. One of them claims; the others
      // sleep on until their own due time or the next wake-up, which the claimer
      // sends when its claim comes back full (more may be due). Without this, each
      // new run cost one empty claim transaction per idle worker.
      bool gate = false;
      if (woke && !clock_.is_virtual()) {
        if (idle_claim_.exchange(true)) {
          const auto now = std::chrono::steady_clock::now();
          const auto rest =
              sleep_until > now
                  ? std::chrono::duration_cast<std::chrono::milliseconds>(sleep_until - now)
                  : std::chrono::milliseconds(200);
          store_.WaitForWork(std::max(rest, std::chrono::milliseconds(1)));
          continue;
        }
        gate = true;
      }
      woke = false;
      ++busy_;
      // Schedules: worker 0, and whoever claims for a wake-up (it may be a
      // schedule's due time). Firing is a compare-and-set: never twice.
      if (index == 0 || gate) FireSchedules(*sandbox);
      const int limit = batch;
      auto advanced = ClaimAndAdvance(executor, *sandbox, batch);
      --busy_;
      if (gate) {
        idle_claim_ = false;
        if (advanced.ok() && *advanced >= limit) store_.Notify();
      }
      if (!advanced.ok()) {
        if (options_.executor.log) options_.executor.log("error", advanced.status().ToString());
        store_.WaitForWork(std::chrono::milliseconds(1000));
        continue;
      }
      if (*advanced > 0 || stopping_) continue;
      auto next = NextWakeAt();
      const TimeMs now = clock_.Now();
      if (clock_.is_virtual()) {
        if (next.ok() && next->has_value() && busy_ == 0) {
          clock_.AdvanceTo(std::max(now, **next));
          store_.Notify();
          continue;
        }
        store_.WaitForWork(std::chrono::milliseconds(50));
        continue;
      }
      TimeMs wait = options_.max_idle.count();
      if (next.ok() && next->has_value()) wait = std::clamp<TimeMs>(**next - now, 0, wait);
      sleep_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
      if (wait > 0) store_.WaitForWork(std::chrono::milliseconds(wait));
      woke = true;
    }
  } catch (const std::exception& e) {
    std::cerr << "storeflow: worker " << index << " stopped: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "storeflow: worker " << index << " stopped: unknown exception\n";
  }
}

}  // namespace storeflow::runtime
