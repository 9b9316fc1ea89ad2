#include "sqs_client.h"

namespace storeflow::plugins::aws {

SqsClient::SqsClient(AwsJsonClient client, AwsConfig config)
    : client_(std::move(client)), config_(std::move(config)) {}

std::string SqsClient::QueueName(const std::string& queue) {
  const auto slash = queue.rfind('/');
  return slash == std::string::npos ? queue : queue.substr(slash + 1);
}

bool SqsClient::IsFifo(const std::string& queue) {
  const std::string name = QueueName(queue);
  return name.size() > 5 && name.compare(name.size() - 5, 5, ".fifo") == 0;
}

std::string SqsClient::QueueUrl(const std::string& queue) {
  if (queue.rfind("http://", 0) == 0 || queue.rfind("https://", 0) == 0) return queue;
  if (auto it = config_.sqs.queues.find(queue); it != config_.sqs.queues.end()) {
    if (!it->second.url.empty()) return it->second.url;
  }
  {
    std::lock_guard lock(mu_);
    if (auto it = urls_.find(queue); it != urls_.end()) return it->second;
  }
  const nlohmann::json answer = client_.Call("GetQueueUrl", {{"QueueName", queue}});
  if (!answer.contains("QueueUrl") || !answer["QueueUrl"].is_string()) {
    AwsError e;
    e.code = "bad_response";
    e.message = "GetQueueUrl of '" + queue + "' answered without a QueueUrl";
    e.retryable = true;
    throw AwsCallError(e);
  }
  const std::string url = answer["QueueUrl"].get<std::string>();
  std::lock_guard lock(mu_);
  urls_[queue] = url;
  return url;
}

}  // namespace storeflow::plugins::aws
