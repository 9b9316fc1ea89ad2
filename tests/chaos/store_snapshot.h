#pragma once

// What a chaos test finds in the PostgreSQL database after the fact, read with
// libpq behind the engine's back: the `shopify/orders/create` events (by the
// order id in their payload), the runs of one workflow, and the per-order
// counters its `store.patch` step increments. CheckExactlyOnce compares that with
// the load's log: every order acknowledged with 200 is stored once, has one
// run, that run completed, and its counting step took effect once.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "webhook_load.h"

namespace storeflow::chaos {

struct StoredEvent {
  std::int64_t id = 0;
  std::int64_t order = 0;
};

struct StoredRun {
  std::int64_t id = 0;
  std::string status;
  std::int64_t event_id = 0;
};

struct StoreSnapshot {
  std::vector<StoredEvent> events;
  std::vector<StoredRun> runs;
  std::map<std::string, std::int64_t> counters;  // record key -> value["n"]
};

// Rows of `sql` with its text parameters; nullopt with `*error` set on failure.
std::optional<std::vector<std::vector<std::string>>> PgQuery(const std::string& url,
                                                             const std::string& sql,
                                                             const std::vector<std::string>& params,
                                                             std::string* error);

// Reads the snapshot; `*error` says why it could not.
std::optional<StoreSnapshot> ReadSnapshot(const std::string& url, const std::string& workflow,
                                          const std::string& counter_collection,
                                          std::string* error);

// Runs of `workflow` that have not ended; -1 when the database cannot be read.
std::int64_t OpenRuns(const std::string& url, const std::string& workflow);

// Polls OpenRuns until it is 0 or `timeout` passes; true when every run ended.
bool WaitUntilRunsEnded(const std::string& url, const std::string& workflow,
                        std::chrono::seconds timeout);

struct ExactlyOnceReport {
  std::size_t acked_orders = 0;       // orders answered 200 at least once
  std::size_t stored_unacked = 0;     // stored orders whose every request went unanswered
  std::vector<std::string> problems;  // each a broken promise, with the order or run
  std::string Summary() const;
};

ExactlyOnceReport CheckExactlyOnce(const std::vector<Delivery>& log, const StoreSnapshot& snapshot);

}  // namespace storeflow::chaos
