#include "plugin/isolated_plugin.h"

#include <algorithm>

namespace storeflow::plugin {

IsolatedPlugin::IsolatedPlugin(WorkerProcessOptions process, int max_processes,
                               const HostServices& services)
    : process_(std::move(process)),
      max_processes_(std::max(1, max_processes)),
      services_(services) {}

IsolatedPlugin::~IsolatedPlugin() {
  Shutdown();
}

Status IsolatedPlugin::Init(const std::string& config_json) {
  {
    std::lock_guard lock(mu_);
    config_json_ = config_json;
    ++running_;
  }
  auto first = WorkerProcess::Start(process_, services_, config_json_);
  if (!first.ok()) {
    std::lock_guard lock(mu_);
    --running_;
    return first.status();
  }
  Give(std::move(*first));
  return Status::Ok();
}

Result<std::unique_ptr<WorkerProcess>> IsolatedPlugin::Take() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return shut_down_ || !idle_.empty() || running_ < max_processes_; });
  if (shut_down_) return FailedPrecondition("plugin '" + process_.plugin + "' is shut down");
  while (!idle_.empty()) {
    auto worker = std::move(idle_.back());
    idle_.pop_back();
    if (worker->alive()) return worker;
    --running_;  // it ended while idle (a plugin thread crashed it): start another
  }
  ++running_;
  lock.unlock();
  auto worker = WorkerProcess::Start(process_, services_, config_json_);
  if (!worker.ok()) {
    lock.lock();
    --running_;
    cv_.notify_one();
  }
  return worker;
}

void IsolatedPlugin::Give(std::unique_ptr<WorkerProcess> worker) {
  std::lock_guard lock(mu_);
  if (worker->alive() && !shut_down_) {
    idle_.push_back(std::move(worker));
  } else {
    --running_;  // destroyed below (killed and reaped if still there)
  }
  cv_.notify_one();
}

Status IsolatedPlugin::Invoke(const std::string& action, const std::string& input_json,
                              const storeflow_call_v1& call, std::int64_t timeout_ms,
                              storeflow_reply& reply) {
  auto worker = Take();
  if (!worker.ok()) return worker.status();
  Status status = (*worker)->Invoke(action, input_json, call, timeout_ms, reply);
  Give(std::move(*worker));
  return status;
}

void IsolatedPlugin::Shutdown() {
  std::vector<std::unique_ptr<WorkerProcess>> idle;
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    idle.swap(idle_);
    running_ -= static_cast<int>(idle.size());
    cv_.notify_all();
  }
  for (auto& worker : idle) worker->Stop();
}

}  // namespace storeflow::plugin
