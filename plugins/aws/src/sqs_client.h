#pragma once

// SQS over the JSON protocol (AmazonSQS.<Action>): queue names resolved to
// URLs (configured, else GetQueueUrl, cached), and the calls the actions and
// the source make. Thread-safe.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "aws_config.h"
#include "aws_json_client.h"

namespace storeflow::plugins::aws {

class SqsClient {
 public:
  SqsClient(AwsJsonClient client, AwsConfig config);

  // The URL of `queue`: `queue` itself when it is an http(s) URL; the
  // configured sqs.queues.<name>.url; else GetQueueUrl (cached). Throws
  // AwsCallError.
  std::string QueueUrl(const std::string& queue);

  // Calls AmazonSQS.<action>. Throws AwsCallError.
  nlohmann::json Call(const std::string& action, const nlohmann::json& request,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) const {
    return client_.Call(action, request, timeout);
  }

  const AwsConfig& config() const { return config_; }

  // The queue's name: the last path segment of a URL, or `queue` itself.
  static std::string QueueName(const std::string& queue);
  static bool IsFifo(const std::string& queue);

 private:
  AwsJsonClient client_;
  AwsConfig config_;
  std::mutex mu_;
  std::map<std::string, std::string> urls_;  // name -> URL (GetQueueUrl answers)
};

}  // namespace storeflow::plugins::aws
