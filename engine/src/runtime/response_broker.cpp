#include "runtime/response_broker.h"

namespace storeflow::runtime {

std::unique_ptr<ResponseBroker::Ticket> ResponseBroker::Watch(std::int64_t run_id) {
  std::lock_guard lock(mu_);
  ++slots_[run_id].watchers;
  return std::make_unique<Ticket>(*this, run_id);
}

void ResponseBroker::Notify(const store::RunRow& run) {
  {
    std::lock_guard lock(mu_);
    auto it = slots_.find(run.id);
    if (it == slots_.end()) return;
    it->second.latest = run;
    ++it->second.version;
  }
  cv_.notify_all();
}

void ResponseBroker::Release(std::int64_t run_id) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(run_id);
  if (it != slots_.end() && --it->second.watchers <= 0) slots_.erase(it);
}

std::optional<store::RunRow> ResponseBroker::Ticket::WaitFor(
    std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(broker_.mu_);
  auto fresh = [&] {
    auto it = broker_.slots_.find(run_id_);
    return it != broker_.slots_.end() && it->second.version > seen_;
  };
  if (!broker_.cv_.wait_until(lock, deadline, fresh)) return std::nullopt;
  const Slot& slot = broker_.slots_.at(run_id_);
  seen_ = slot.version;
  return slot.latest;
}

}  // namespace storeflow::runtime
