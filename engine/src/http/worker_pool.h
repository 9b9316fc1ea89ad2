#pragma once

// A fixed set of worker threads with a bounded queue, for one route class of
// the HTTP server (http/route_class.h). TryPost never blocks: a full queue is
// refused at once, so the caller (the server's event loop) can answer 503
// instead of waiting.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace storeflow::http {

class WorkerPool {
 public:
  // `workers` threads (at least 1); at most `queue` tasks waiting for one.
  WorkerPool(std::string name, int workers, int queue);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping (the task is not run).
  bool TryPost(std::function<void()> task);
  // Drops the tasks not started, lets the running ones finish, joins the threads.
  // Idempotent.
  void Stop();

  const std::string& name() const { return name_; }
  // Tasks waiting plus tasks running.
  std::size_t load() const;

 private:
  void Work();

  const std::string name_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace storeflow::http
