#pragma once

// The engine: the workflows it serves, events in, runs advanced by workers.
// Workers (threads, each with its own Lua sandbox and executor) claim due runs in
// batches under a lease and sleep on Store::WaitForWork until the next due time;
// with a virtual clock, an idle engine jumps the clock to the next due time.
// The same work can also be driven on the calling thread (RunUntil), which is
// what `storeflow run` and the tests do.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/event_router.h"
#include "runtime/executor.h"
#include "runtime/response_broker.h"
#include "runtime/sandbox_pool.h"
#include "runtime/scheduler.h"
#include "runtime/workflow_catalog.h"
#include "script/sandbox.h"
#include "store/store.h"

namespace storeflow::runtime {

struct EngineOptions {
  int workers = 2;
  // Runs per claim. A worker starts at claim_batch; each claim that comes back
  // full doubles its next one, up to max_claim_batch, and one that comes back
  // short returns it to claim_batch: small claims while the queue is short (a
  // round's transaction stays small), large ones through a backlog (fewer
  // statements and commits per run).
  int claim_batch = 16;
  int max_claim_batch = 64;
  std::string owner;  // lease owner; default "<host>-<pid>-<random>"
  std::string script_root = ".";
  script::Limits lua;
  ExecutorOptions executor;                    // its owner is set to `owner`
  std::chrono::milliseconds max_idle{60'000};  // longest sleep without a due time
  bool schedules = false;  // fire `schedule` triggers (serve); off for `storeflow run`
};

class Engine {
 public:
  Engine(store::Store& store, Clock& clock, const ActionRegistry& actions, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  WorkflowCatalog& catalog() { return catalog_; }
  store::Store& store() { return store_; }
  Clock& clock() { return clock_; }
  const std::string& owner() const { return options_.owner; }

  // Registers a workflow (stored by content hash; becomes the current version).
  Result<std::shared_ptr<const LoadedWorkflow>> LoadWorkflowFile(const std::string& path);
  Result<std::shared_ptr<const LoadedWorkflow>> LoadWorkflowSource(const std::string& source,
                                                                   const std::string& path);

  // Stores an event and starts/wakes what it triggers (one transaction).
  Result<PublishOutcome> Publish(store::EventRow event);
  // Group commit: publishes `events` in ONE transaction (one fsync) and returns
  // one outcome per event, in order. When that fails (one bad event, a conflict,
  // a failed commit), falls back to one transaction per event, so one failure
  // does not lose the others. Thread-safe; concurrent batches use their own
  // sandboxes. `payload_texts` (empty, or one per event) as for
  // GroupCommitter::Publish: a non-empty text is stored as the payload, and an
  // event whose payload is discarded is parsed from it only if a workflow wants it.
  std::vector<Result<PublishOutcome>> PublishBatch(std::vector<store::EventRow> events,
                                                   std::vector<std::string> payload_texts = {});

  // Sandboxes PublishBatch keeps for later batches (idle, not borrowed).
  std::size_t spare_sandboxes() const { return spare_sandboxes_.idle(); }

  // Told about committed `respond` steps and run ends of this engine's workers.
  ResponseBroker& broker() { return broker_; }
  // Starts a run of the current version of `workflow` with `input` as its event
  // (key, dedupe and concurrency apply). Returns the run (its status may be
  // queued or skipped).
  Result<store::RunRow> StartRun(const std::string& workflow, const Json& input);

  // Operator actions (the admin API). CancelRun ends a run that is not terminal
  // (status cancelled, error {code: "cancelled", message: reason}); a worker
  // holding it loses its lease and stops at its next step boundary. Queued runs
  // of its key may start. NotFound / FailedPrecondition (already terminal).
  Result<store::RunRow> CancelRun(std::int64_t run_id, const std::string& reason);
  // Starts a new run of each current workflow (all when `workflows` is empty,
  // else only those named) whose triggers match the stored event's topic, with
  // the event's payload; key, dedupe and concurrency apply. Waits are not woken.
  // NotFound when the event or a named workflow does not exist; InvalidArgument
  // when a named workflow has no trigger for the event's topic.
  Result<std::vector<store::RunRow>> ReplayEvent(std::int64_t event_id,
                                                 const std::vector<std::string>& workflows);

  // Writes the schedule rows of the loaded workflows (Start does it when
  // options.schedules is set).
  Status SyncSchedules();

  // Claims due runs once and advances them on this thread; returns how many.
  Result<int> RunDueOnce();
  // Drives the engine on this thread until `done()` is true. When nothing is due:
  // a virtual clock jumps to the next due time; the real clock waits for it (or
  // for a notification). FailedPrecondition when nothing is scheduled at all and
  // `done()` is still false; DeadlineExceeded after `real_timeout` of wall time.
  Status RunUntil(const std::function<bool()>& done,
                  std::chrono::milliseconds real_timeout = std::chrono::hours(24));

  // With a manual clock (Clock::is_manual) and the workers started: moves the
  // clock to `target`, stopping at every due time on the way (runs and schedules)
  // and, at each stop and at `target`, waiting until the workers have done all
  // that is due (nothing due at or before the clock's time, no run in hand). So
  // every timer fires at its own time, as it would have in real time. Returns
  // the number of stops. FailedPrecondition on another clock or a target in the
  // past; DeadlineExceeded when the engine does not settle within
  // `real_timeout` of wall time (the clock stays where it got to).
  Result<int> AdvanceManualClock(TimeMs target, std::chrono::milliseconds real_timeout);

  // Worker threads. Stop asks them to finish the run in hand (at most `drain`)
  // and joins them.
  void Start();
  void Stop(std::chrono::milliseconds drain = std::chrono::seconds(10));

 private:
  std::unique_ptr<script::Sandbox> MakeSandbox() const;
  // Claims up to `batch` runs and advances them; then sets `batch` for the next
  // claim (see EngineOptions::claim_batch). Returns how many runs were claimed.
  Result<int> ClaimAndAdvance(RunExecutor& executor, script::Sandbox& sandbox, int& batch);
  // Fires due schedules (when enabled); returns how many fired.
  int FireSchedules(script::Sandbox& sandbox);
  // The earliest due time of runs and (when enabled) schedules.
  Result<std::optional<TimeMs>> NextWakeAt();
  void WorkerLoop(int index);
  // True once nothing is due at or before the clock's time and no run is in hand
  // (seen twice, a few milliseconds apart); false after `deadline`.
  bool WaitSettled(std::chrono::steady_clock::time_point deadline);

  store::Store& store_;
  Clock& clock_;
  const ActionRegistry& actions_;
  EngineOptions options_;
  WorkflowCatalog catalog_;
  EventRouter router_;
  Scheduler scheduler_;

  ResponseBroker broker_;
  SandboxPool spare_sandboxes_{[this] { return MakeSandbox(); }};  // PublishBatch's

  std::mutex api_mu_;  // guards the API sandbox and executor
  std::unique_ptr<script::Sandbox> api_sandbox_;
  std::unique_ptr<RunExecutor> api_executor_;
  int api_batch_ = 0;  // RunDueOnce's claim size (under api_mu_)

  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex advance_mu_;  // one AdvanceManualClock at a time
  std::atomic<int> busy_{0};
  std::atomic<bool> idle_claim_{false};  // a worker woken from idle is claiming (WorkerLoop)
};

}  // namespace storeflow::runtime
