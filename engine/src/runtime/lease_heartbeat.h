#pragma once

// Keeps the leases of runs whose step is in flight alive. Between steps a run's
// session extends its lease when half of it is gone; a plugin call can take longer
// than the whole lease (SMTP waits up to a minute), and without this another
// worker would claim the run meanwhile and perform the same step again.
//
// A step that calls out registers its run (Start) for as long as the call lasts.
// One thread per heartbeat extends the watched leases whenever a third of the
// lease is gone; a lease found taken by another owner marks the watch lost, and
// the step then abandons its result (the other owner decides what happens).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/duration.h"
#include "runtime/clock.h"
#include "store/store.h"

namespace storeflow::runtime {

struct ExecutorServices;

class LeaseHeartbeat {
 public:
  // One run's in-flight step, as the heartbeat sees it.
  struct Watch {
    std::string owner;
    std::int64_t run_id = 0;
    std::atomic<TimeMs> lease_until{0};
    std::atomic<bool> lost{false};
  };

  // Extends on `store` by `lease` at a time, on `clock`'s time.
  LeaseHeartbeat(store::Store& store, Clock& clock, Duration lease);
  ~LeaseHeartbeat();
  LeaseHeartbeat(const LeaseHeartbeat&) = delete;
  LeaseHeartbeat& operator=(const LeaseHeartbeat&) = delete;

  // Where store failures are reported (ReportLeaseError); none until set.
  void set_services(const ExecutorServices* services) { services_ = services; }

  // Watches `run_id`, leased by `owner` until `lease_until`, until the returned
  // watch is passed to Stop. Starts the thread on first use.
  std::shared_ptr<Watch> Start(const std::string& owner, std::int64_t run_id, TimeMs lease_until);
  void Stop(const std::shared_ptr<Watch>& watch);

  // One pass: extends every watched lease with a third or less left. Returns how
  // many leases it extended (tests call it directly).
  int Beat();

 private:
  void Loop();

  store::Store& store_;
  Clock& clock_;
  const Duration lease_;
  const ExecutorServices* services_ = nullptr;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::shared_ptr<Watch>> watches_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace storeflow::runtime
