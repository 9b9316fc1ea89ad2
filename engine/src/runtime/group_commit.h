#pragma once

// Group commit of events: concurrent publishers (webhook requests) hand their
// event to a committer thread, which takes everything pending (up to
// max_batch) and publishes it with Engine::PublishBatch in one transaction,
// then answers each publisher. Throughput is then bounded by batches per fsync,
// not requests per fsync. Several committers overlap one batch's fsync with
// the next batch's statements (PostgreSQL; SQLite serializes writers anyway).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "common/result.h"
#include "runtime/engine.h"

namespace storeflow::runtime {

struct GroupCommitOptions {
  int max_batch = 256;  // events per transaction
  int committers = 2;   // committer threads
};

class GroupCommitter {
 public:
  GroupCommitter(Engine& engine, GroupCommitOptions options);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Blocks until `event` is committed (with the runs it starts) or has failed.
  // kUnavailable after Stop.
  Result<PublishOutcome> Publish(store::EventRow event);

  // Commits what is pending, then stops the committers. Idempotent.
  void Stop();

 private:
  struct Pending {
    store::EventRow event;
    std::promise<Result<PublishOutcome>> done;
  };
  void Loop();

  Engine& engine_;
  GroupCommitOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> pending_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace storeflow::runtime
