#pragma once

// The `sqs` event source: `queue: sqs/<queue>` workflows get the messages of
// that queue. Per queue, N receivers long-poll ReceiveMessage; each message is
// published to the engine (committed) before it is deleted from SQS
// (at-least-once, deduplicated by message id, or by the deduplication id on a
// FIFO queue, so a redelivery creates nothing new). A batch's messages are
// published concurrently (a FIFO group's one after another, in order; after a
// group's message fails, its later ones wait for redelivery), so one group
// commit can take the whole batch; the visibility of the messages not yet
// committed is extended while the batch is being committed; a message
// whose body is not JSON is poison: published as a rejected event
// (`<queue>.rejected`) and deleted, or left for the queue's redrive policy.

#include <atomic>
#include <string>
#include <vector>

#include <storeflow/plugin.hpp>

#include "sqs_client.h"

namespace storeflow::plugins::aws {

class SqsSource {
 public:
  SqsSource(SqsClient& sqs, const sdk::Host& host) : sqs_(sqs), host_(host) {}

  // Runs until `source` says stop; `config` is {"topics": [queue names]}.
  void Run(const sdk::Json& config, const sdk::SourceHost& source);

  // What one message becomes: its dedup key and meta (run_key for FIFO when
  // the queue's group_as_run_key is on).
  static std::string DedupKey(const std::string& queue, const sdk::Json& message);
  static sdk::Json Meta(const std::string& queue, const sdk::Json& message,
                        const SqsQueueConfig& config);

 private:
  // What became of one message of a batch.
  enum class Outcome {
    kPending,  // not yet published
    kDelete,   // committed (new or duplicate) or recorded as rejected: delete it
    kLeave,    // poison left for the redrive policy, or not published: leave it
    kFailed,   // not committed (PublishOne's answer only; stored as kLeave)
  };

  void Receive(const std::string& queue, const std::string& url, const SqsQueueConfig& config,
               const sdk::SourceHost& source);
  // Publishes the batch's lanes concurrently; returns the receipt handles to
  // delete (receive order).
  std::vector<std::string> Commit(const std::string& queue, const std::string& url,
                                  const SqsQueueConfig& config, const sdk::Json& messages,
                                  const sdk::SourceHost& source);
  static std::vector<std::vector<std::size_t>> Lanes(const std::string& queue,
                                                     const sdk::Json& messages);
  // Publishes one lane's messages in order, up to the first that fails.
  void RunLane(const std::string& queue, const SqsQueueConfig& config, const sdk::Json& messages,
               const std::vector<std::size_t>& lane, std::vector<std::atomic<Outcome>>& outcomes,
               const sdk::SourceHost& source);
  Outcome PublishOne(const std::string& queue, const SqsQueueConfig& config,
                     const sdk::Json& message, const sdk::SourceHost& source);
  void ExtendVisibility(const std::string& url, const SqsQueueConfig& config,
                        const sdk::Json& messages,
                        const std::vector<std::atomic<Outcome>>& outcomes);
  void Delete(const std::string& url, const std::vector<std::string>& receipts);

  SqsClient& sqs_;
  const sdk::Host& host_;
};

}  // namespace storeflow::plugins::aws
