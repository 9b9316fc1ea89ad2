#include "http/worker_pool.h"

#include <algorithm>

namespace storeflow::http {

WorkerPool::WorkerPool(std::string name, int workers, int queue)
    : name_(std::move(name)), capacity_(static_cast<std::size_t>(std::max(0, queue))) {
  const int count = std::max(1, workers);
  threads_.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) threads_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() {
  Stop();
}

bool WorkerPool::TryPost(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    // A task is taken at once by an idle worker; only the rest wait in the queue.
    const std::size_t idle = threads_.size() - std::min(threads_.size(), running_);
    if (queue_.size() >= capacity_ + idle) return false;
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

void WorkerPool::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queue_.clear();
  }
  ready_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  std::lock_guard lock(mutex_);
  threads_.clear();
}

std::size_t WorkerPool::load() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + running_;
}

void WorkerPool::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    task();
    std::lock_guard lock(mutex_);
    --running_;
  }
}

}  // namespace storeflow::http
