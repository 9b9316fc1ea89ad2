#pragma once

// Retention: what the store keeps, and the janitor that deletes the rest.
//
// Without it every table grows for ever: runs and their steps, events, the
// idempotency ledger, expired dedupe and plugin key/value entries. The janitor
// deletes what is past its horizon in small batches (one short transaction
// each), so engines keep running while it works, and several engines sharing a
// database may run it at once. docs/operations.md ("Retention") is the user's view.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"

namespace storeflow::store {
class Store;
}  // namespace storeflow::store

namespace storeflow::runtime {

class Clock;

// How long each kind of row is kept. A zero horizon keeps that kind for ever.
struct RetentionPolicy {
  // Runs that completed, were cancelled, rejected or skipped, with their steps:
  // kept this long after they finished.
  std::chrono::milliseconds runs = std::chrono::hours(24 * 30);
  // Failed runs (the dead-letter list): kept until retried or this old.
  std::chrono::milliseconds dead_letters{0};
  // Stored events (webhook deliveries, REST and queue messages). Deliveries are
  // deduplicated against the events kept, so this must outlast the senders'
  // retries (Shopify retries a delivery 8 times over 4 hours; 2 days leave a
  // margin): at least kMinEventHorizon.
  std::chrono::milliseconds events = std::chrono::hours(24 * 30);
  // How often the janitor runs a pass.
  std::chrono::milliseconds interval = std::chrono::minutes(1);
  // Rows deleted per transaction.
  int batch = 1000;

  static constexpr std::chrono::milliseconds kMinEventHorizon = std::chrono::hours(48);
  static constexpr std::chrono::milliseconds kMinRunHorizon = std::chrono::hours(1);

  // Why a value cannot be used (without the key's name), or Ok.
  static Status CheckRunHorizon(std::chrono::milliseconds horizon);  // runs, dead_letters
  static Status CheckEventHorizon(std::chrono::milliseconds horizon);
  static Status CheckInterval(std::chrono::milliseconds interval);
  static Status CheckBatch(int batch);
  // All of the above, the message naming the key ("retention.events: ..."), or Ok.
  Status Check() const;
};

// What one pass deleted.
struct PurgeCounts {
  std::int64_t runs = 0;
  std::int64_t dead_letters = 0;
  std::int64_t events = 0;
  std::int64_t effects = 0;
  std::int64_t dedupe = 0;
  std::int64_t plugin_kv = 0;
  // False when the pass stopped at its time budget or at Stop() before it was done.
  bool complete = true;

  std::int64_t total() const { return runs + dead_letters + events + effects + dedupe + plugin_kv; }
  // "3 runs, 120 events, 2 dedupe entries" (only what is not zero), or "nothing".
  std::string Summary() const;
};

class RetentionJanitor {
 public:
  using Log = std::function<void(std::string_view level, std::string_view message)>;

  // `policy` must pass Check(). `store` and `clock` outlive the janitor.
  RetentionJanitor(store::Store& store, const Clock& clock, RetentionPolicy policy, Log log = {});
  ~RetentionJanitor();
  RetentionJanitor(const RetentionJanitor&) = delete;
  RetentionJanitor& operator=(const RetentionJanitor&) = delete;

  // One pass at the clock's now: each kind in batches until a batch comes back
  // short, `budget` has passed, or Stop() is called. Counts what it deleted in
  // storeflow_retention_deleted_total{kind}. The first store error ends the pass.
  Result<PurgeCounts> PurgeOnce(
      std::chrono::steady_clock::duration budget = std::chrono::steady_clock::duration::max());

  // Runs a pass at once and then every policy.interval on a thread of its own,
  // each with a budget of one interval; logs what a pass deleted and any error.
  void Start();
  // Ends the thread (a pass in progress stops after its current batch). Idempotent.
  void Stop();

 private:
  void Loop();
  bool stopping() const;

  store::Store& store_;
  const Clock& clock_;
  const RetentionPolicy policy_;
  const Log log_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace storeflow::runtime
