#pragma once

// `schedule` triggers: each (workflow, trigger index) has a row in `schedules` with
// its next due time. Firing moves next_due_at forward with a compare-and-set
// (AdvanceSchedule), so with several engines on one database each due time fires
// exactly once; the firing engine publishes the event `schedule/<workflow>/<index>`
// with payload {scheduled_at} in the same transaction.

#include <optional>

#include "common/result.h"
#include "runtime/event_router.h"
#include "runtime/workflow_catalog.h"
#include "script/sandbox.h"
#include "store/store.h"

namespace storeflow::runtime {

class Scheduler {
 public:
  Scheduler(store::Store& store, WorkflowCatalog& catalog, EventRouter& router)
      : store_(store), catalog_(catalog), router_(router) {}

  // Writes a schedule row for every schedule trigger of the current workflows
  // (a new row's first due time is the next fire time after `now`; a changed cron
  // or timezone starts over from `now`) and deletes the rows of current workflows
  // whose trigger at that index is no longer a schedule. Called at start and
  // after each reload.
  Status Sync(TimeMs now);
  // Fires every schedule due at `now`; returns how many fired here.
  Result<int> FireDue(script::Sandbox& sandbox, TimeMs now);
  // The earliest next_due_at of all schedules (nullopt: none).
  Result<std::optional<TimeMs>> NextDueAt();

 private:
  store::Store& store_;
  WorkflowCatalog& catalog_;
  EventRouter& router_;
};

}  // namespace storeflow::runtime
