#include "runtime/lease_heartbeat.h"

#include <algorithm>

#include "runtime/step_committer.h"

namespace storeflow::runtime {

LeaseHeartbeat::LeaseHeartbeat(store::Store& store, Clock& clock, Duration lease)
    : store_(store), clock_(clock), lease_(lease) {}

LeaseHeartbeat::~LeaseHeartbeat() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<LeaseHeartbeat::Watch> LeaseHeartbeat::Start(const std::string& owner,
                                                             std::int64_t run_id,
                                                             TimeMs lease_until) {
  auto watch = std::make_shared<Watch>();
  watch->owner = owner;
  watch->run_id = run_id;
  watch->lease_until = lease_until;
  std::lock_guard lock(mu_);
  watches_.push_back(watch);
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  return watch;
}

void LeaseHeartbeat::Stop(const std::shared_ptr<Watch>& watch) {
  std::lock_guard lock(mu_);
  watches_.erase(std::remove(watches_.begin(), watches_.end(), watch), watches_.end());
}

int LeaseHeartbeat::Beat() {
  std::vector<std::shared_ptr<Watch>> due;
  const TimeMs now = clock_.Now();
  const TimeMs third = lease_.count() / 3;
  {
    std::lock_guard lock(mu_);
    for (const auto& watch : watches_) {
      if (!watch->lost && watch->lease_until.load() - now <= 2 * third) due.push_back(watch);
    }
  }
  int extended = 0;
  for (const auto& watch : due) {
    const TimeMs until = now + lease_.count();
    auto held = store_.ExtendLeases(watch->owner, {watch->run_id}, until);
    if (!held.ok()) {
      // The store is away: keep trying while the lease lasts. If it runs out,
      // the step's commit finds the lease gone and drops the result.
      if (services_ != nullptr)
        ReportLeaseError(*services_, "extend", {watch->run_id}, held.status());
      continue;
    }
    if (*held == 0) {
      watch->lost = true;
      continue;
    }
    watch->lease_until = until;
    ++extended;
  }
  return extended;
}

void LeaseHeartbeat::Loop() {
  // Real time between passes: a tenth of the lease, so that a lease with a third
  // left is extended well before it runs out (the store may be slow to answer).
  const auto period =
      std::max(std::chrono::milliseconds(5), std::chrono::milliseconds(lease_.count() / 10));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) break;
    if (watches_.empty()) continue;
    lock.unlock();
    Beat();
    lock.lock();
  }
}

}  // namespace storeflow::runtime
