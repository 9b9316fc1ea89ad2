#pragma once

// The `sqs` event source: `queue: sqs/<queue>` workflows get the messages of
// that queue. Per queue, N receivers long-poll ReceiveMessage; each message is
// published to the engine (committed) before it is deleted from SQS
// (at-least-once, deduplicated by message id, or by the deduplication id on a
// FIFO queue, so a redelivery creates nothing new); the visibility of the
// batch's remaining messages is extended while it is being committed; a message
// whose body is not JSON is poison: published as a rejected event
// (`<queue>.rejected`) and deleted, or left for the queue's redrive policy.

#include <string>

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
  void Receive(const std::string& queue, const std::string& url, const SqsQueueConfig& config,
               const sdk::SourceHost& source);
  // Publishes the batch's messages in order; returns the receipt handles to delete.
  std::vector<std::string> Commit(const std::string& queue, const std::string& url,
                                  const SqsQueueConfig& config, const sdk::Json& messages,
                                  const sdk::SourceHost& source);
  void Delete(const std::string& url, const std::vector<std::string>& receipts);

  SqsClient& sqs_;
  const sdk::Host& host_;
};

}  // namespace storeflow::plugins::aws
