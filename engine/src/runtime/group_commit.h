#pragma once

// Group commit of events: concurrent publishers (webhook requests) hand their
// event to a committer thread, which takes everything pending (up to
// max_batch) and publishes it with Engine::PublishBatch in one transaction,
// then answers each publisher. Throughput is then bounded by batches per fsync,
// not requests per fsync. Several committers overlap one batch's fsync with
// the next batch's statements (PostgreSQL; SQLite serializes writers anyway).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "runtime/engine.h"

namespace storeflow::runtime {

struct GroupCommitOptions {
  int max_batch = 256;  // events per transaction
  int committers = 2;   // committer threads
  // How long Publish waits for the commit (http.commit_timeout). A database
  // that stops answering then costs a caller this long, not a TCP timeout.
  std::chrono::milliseconds commit_timeout{4'000};
};

// Whether a current workflow of `catalog` starts runs on, or waits for, events
// of `topic`.
bool TopicNeedsPayload(const WorkflowCatalog& catalog, const std::string& topic);

class GroupCommitter {
 public:
  GroupCommitter(Engine& engine, GroupCommitOptions options);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Blocks until `event` is committed (with the runs it starts) or has failed,
  // at most options.commit_timeout: then kDeadlineExceeded. An event still
  // queued then is withdrawn (never stored); one whose transaction has begun
  // may still commit after the caller was answered, so a sender that retries
  // must be deduplicated (webhooks are, on their delivery id).
  // kUnavailable after Stop. `payload_text`, when not empty, is the payload as
  // JSON text (a request body that was parsed or validated as JSON): it is
  // stored as is instead of serialising event.payload. With it, event.payload
  // may be left discarded (Json(Json::value_t::discarded)) when NeedsPayload
  // said no: it is then parsed only if a workflow wants it after all.
  Result<PublishOutcome> Publish(store::EventRow event, std::string payload_text = {});

  // Whether a current workflow starts runs on, or waits for, events of `topic`
  // (and so reads their payload).
  bool NeedsPayload(const std::string& topic) const;

  // Commits what is pending, then stops the committers. Idempotent.
  void Stop();

 private:
  struct Pending {
    std::uint64_t id = 0;
    store::EventRow event;
    std::string payload_text;
    std::promise<Result<PublishOutcome>> done;
  };
  void Loop();

  Engine& engine_;
  GroupCommitOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> pending_;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace storeflow::runtime
