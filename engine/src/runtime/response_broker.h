#pragma once

// In-process notice of run progress for callers that wait on a run: the HTTP
// REST triggers wait until a run's `respond` step is committed or the run ends.
// The executor calls Notify after COMMITTING such a step (or the run's end);
// a waiter registers with Watch before it looks at the store, so a notice that
// comes while it looks is not lost. Runs advanced by another engine on the same
// PostgreSQL never notify this process: waiters also poll the store.
// Thread-safe; Notify costs one map lookup when nobody waits.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "store/records.h"

namespace storeflow::runtime {

class ResponseBroker {
 public:
  class Ticket;

  // Starts watching `run_id`; the ticket stops watching when destroyed.
  std::unique_ptr<Ticket> Watch(std::int64_t run_id);
  // The run as committed; wakes the run's watchers.
  void Notify(const store::RunRow& run);

 private:
  struct Slot {
    std::optional<store::RunRow> latest;
    std::uint64_t version = 0;
    int watchers = 0;
  };
  void Release(std::int64_t run_id);

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::int64_t, Slot> slots_;
};

class ResponseBroker::Ticket {
 public:
  Ticket(ResponseBroker& broker, std::int64_t run_id) : broker_(broker), run_id_(run_id) {}
  ~Ticket() { broker_.Release(run_id_); }
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;

  // The run as last notified after the previous WaitFor returned it; nullopt when
  // nothing new came by `deadline`.
  std::optional<store::RunRow> WaitFor(std::chrono::steady_clock::time_point deadline);

 private:
  ResponseBroker& broker_;
  std::int64_t run_id_;
  std::uint64_t seen_ = 0;
};

}  // namespace storeflow::runtime
