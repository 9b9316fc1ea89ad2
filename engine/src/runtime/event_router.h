#pragma once

// From events to runs: Publish stores an event, indexes it for the wait_for
// steps that may want it, wakes the waits it satisfies and starts a run of every
// current workflow with a matching trigger (applying key, dedupe and
// concurrency). Everything happens in the caller's transaction.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "runtime/workflow_catalog.h"
#include "script/sandbox.h"
#include "store/store.h"

namespace storeflow::runtime {

using Json = nlohmann::json;

struct PublishOutcome {
  std::optional<std::int64_t> event_id;  // nullopt: a duplicate (source, dedup_key)
  std::vector<std::int64_t> runs;        // runs created (any status)
  std::vector<std::int64_t> woken;       // waiting runs made due
};

// True when `trigger` receives events of `topic`: webhook "source/topic",
// event "name", http "http/METHOD /path", queue "plugin/queue",
// schedule "schedule/<workflow>/<trigger index>".
bool TriggerMatches(const workflow::Trigger& trigger, const std::string& workflow_name,
                    std::size_t trigger_index, const std::string& topic);

class EventRouter {
 public:
  // Where the router reports what it could not do for an event (a wait's key
  // that failed to evaluate); none: nothing is logged (the metric still counts).
  using Log = std::function<void(std::string_view level, std::string_view message)>;

  explicit EventRouter(WorkflowCatalog& catalog, Log log = nullptr)
      : catalog_(catalog), log_(std::move(log)) {}

  Result<PublishOutcome> Publish(store::Transaction& tx, store::EventRow event,
                                 script::Sandbox& sandbox, TimeMs now);
  // The same without a copy of the event: sets its created_at and id in place
  // (group commit keeps its events for a one-by-one retry). An event whose id is
  // already set was inserted by the caller in `tx` (InsertEvents): it is only
  // indexed and its runs started.
  Result<PublishOutcome> PublishInPlace(store::Transaction& tx, store::EventRow& event,
                                        script::Sandbox& sandbox, TimeMs now);

  // Creates a run of `loaded` for `payload`: checks input.schema (a failing
  // payload gives a run rejected with error.violations = [{path, message}]),
  // evaluates the key, claims the dedupe value, and applies concurrency (the run
  // is ready, queued, or skipped; replace cancels the key's active runs). `meta`
  // (the event's envelope: webhook headers...) is kept in the run's state and
  // seen by its expressions as `meta`.
  Result<store::RunRow> StartRun(store::Transaction& tx, const LoadedWorkflow& loaded,
                                 const Json& payload, std::optional<std::int64_t> event_id,
                                 script::Sandbox& sandbox, TimeMs now, const Json& meta = Json());

  // In the transaction that ends `run` (terminal): lets the oldest queued runs of
  // its key start while there is room under per_key.
  Status ReleaseKey(store::Transaction& tx, const store::RunRow& run,
                    const workflow::Workflow& workflow, TimeMs now);

 private:
  // The value under which `event` is indexed for `wait` (nullopt: the event is
  // not a candidate for it). A key that fails on a resource limit is evaluated
  // once more, then the error is returned (the publish fails and its sender
  // retries: nothing accepted is lost); any other error is logged and counted.
  Result<std::optional<std::string>> WaitKeyValue(const WaitKeyExpression& wait,
                                                  const store::EventRow& event,
                                                  script::Sandbox& sandbox, TimeMs now);

  WorkflowCatalog& catalog_;
  Log log_;
};

}  // namespace storeflow::runtime
