#pragma once

// What the step executor's parts share: the executor's options, what one advance
// did, and the engine services a run's steps use.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/duration.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/event_router.h"
#include "runtime/response_broker.h"
#include "runtime/retry_delay.h"
#include "runtime/secrets.h"
#include "runtime/workflow_catalog.h"
#include "store/store.h"

namespace storeflow::runtime {

class LeaseHeartbeat;

struct ExecutorOptions {
  std::string owner = "engine";  // the lease owner name
  Duration lease{30'000};
  RetrySchedule default_retry;      // attempts 1: no retry unless a workflow asks
  Duration wait_lookback{300'000};  // how far before a wait_for an event still matches
  // A new wait looks once more this long after it was registered: an event that
  // committed while the wait was being registered (so WakeWaits did not see it)
  // is found then rather than at the timeout.
  Duration wait_recheck{2'000};
  int max_steps_per_claim = 1000;  // then the run goes back to the queue (fairness)
  bool group_commit = true;        // AdvanceBatch shares commits (false: one run at a time)
  std::uint64_t random_seed = 0;   // 0: from std::random_device
  ActionLogger log;                // where the `log` action and step logs go
  // What `${{ secrets.NAME }}` in `with:` of a `uses` step reads (null: none).
  // Every secret value is redacted ("***") from what is stored or logged of a
  // uses step: its input, output, error and log lines.
  std::shared_ptr<const SecretStore> secrets;
  // When set and true, a run in hand goes back to the queue at the next step
  // boundary (engine shutdown).
  const std::atomic<bool>* stop = nullptr;
  // When set, told about every committed `respond` step and every run end (the
  // HTTP REST triggers wait on it).
  ResponseBroker* broker = nullptr;
};

// What Advance did, for the engine's bookkeeping.
struct AdvanceOutcome {
  int steps = 0;        // steps committed
  bool notify = false;  // new due work was committed (runs started or woken)
  bool ended = false;   // the run reached a terminal state
  bool lost_lease = false;
};

// The engine services a run's session, its committer and its step handlers use.
struct ExecutorServices {
  store::Store& store;
  WorkflowCatalog& catalog;
  EventRouter& router;
  const ActionRegistry& actions;
  Clock& clock;
  const ExecutorOptions& options;
  // Keeps the lease of a run alive while its step calls out (null: none).
  LeaseHeartbeat* heartbeat = nullptr;
};

}  // namespace storeflow::runtime
