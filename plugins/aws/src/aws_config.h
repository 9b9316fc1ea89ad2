#pragma once

// The sqs plugin's configuration (plugins.config.sqs), already checked against
// the manifest's config_schema: region, where the credentials come from, and the
// SQS settings (endpoint, purge permission, per-queue source settings).

#include <chrono>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "credential_source.h"

namespace storeflow::plugins::aws {

// What the `sqs` source does with a message whose body is not JSON.
enum class PoisonPolicy {
  kReject,  // publish it as a rejected event (<queue>.rejected), then delete it
  kLeave,   // leave it on the queue: its redrive policy moves it to the DLQ
};

struct SqsQueueConfig {
  std::string url;              // "": asked with GetQueueUrl by name
  int receivers = 1;            // long-polling receiver threads
  int wait_seconds = 20;        // WaitTimeSeconds of ReceiveMessage (0..20)
  int max_messages = 10;        // MaxNumberOfMessages (1..10)
  int visibility_timeout = 30;  // seconds; extended while a batch is committed
  PoisonPolicy poison = PoisonPolicy::kReject;
  bool group_as_run_key = true;  // FIFO: MessageGroupId is the run key (meta.run_key)
};

struct SqsConfig {
  std::string endpoint;  // "": https://sqs.<region>.amazonaws.com
  bool allow_purge = false;
  std::chrono::milliseconds timeout{10'000};
  std::map<std::string, SqsQueueConfig> queues;  // by queue name
  SqsQueueConfig defaults;                       // for a queue not listed
};

struct AwsConfig {
  std::string region;  // config `region`, else AWS_REGION / AWS_DEFAULT_REGION; may be ""
  CredentialSecretNames secrets;
  SqsConfig sqs;

  const SqsQueueConfig& Queue(const std::string& name) const;
  std::string SqsEndpoint() const;
};

// Reads the config (validated by its schema); `env` looks up AWS_REGION.
Result<AwsConfig> ParseAwsConfig(const nlohmann::json& config, const EnvironmentLookup& env);

}  // namespace storeflow::plugins::aws
