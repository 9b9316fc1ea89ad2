#include "aws_config.h"

namespace storeflow::plugins::aws {
namespace {

using Json = nlohmann::json;

Result<SqsQueueConfig> ParseQueue(const Json& q, const SqsQueueConfig& base,
                                  const std::string& where) {
  SqsQueueConfig c = base;
  c.url = q.value("url", c.url);
  c.receivers = q.value("receivers", c.receivers);
  c.wait_seconds = q.value("wait_seconds", c.wait_seconds);
  c.max_messages = q.value("max_messages", c.max_messages);
  c.visibility_timeout = q.value("visibility_timeout", c.visibility_timeout);
  if (q.contains("poison")) {
    c.poison = q["poison"] == "leave" ? PoisonPolicy::kLeave : PoisonPolicy::kReject;
  }
  c.group_as_run_key = q.value("group_as_run_key", c.group_as_run_key);
  if (c.receivers < 1 || c.receivers > 64) {
    return InvalidArgument(where + ".receivers must be 1..64");
  }
  if (c.wait_seconds < 0 || c.wait_seconds > 20) {
    return InvalidArgument(where + ".wait_seconds must be 0..20");
  }
  if (c.max_messages < 1 || c.max_messages > 10) {
    return InvalidArgument(where + ".max_messages must be 1..10");
  }
  if (c.visibility_timeout < 1 || c.visibility_timeout > 43'200) {
    return InvalidArgument(where + ".visibility_timeout must be 1..43200 seconds");
  }
  return c;
}

}  // namespace

const SqsQueueConfig& AwsConfig::Queue(const std::string& name) const {
  auto it = sqs.queues.find(name);
  return it == sqs.queues.end() ? sqs.defaults : it->second;
}

std::string AwsConfig::SqsEndpoint() const {
  if (!sqs.endpoint.empty()) return sqs.endpoint;
  return "https://sqs." + region + ".amazonaws.com";
}

Result<AwsConfig> ParseAwsConfig(const Json& config, const EnvironmentLookup& env) {
  AwsConfig c;
  c.region = config.value("region", "");
  if (c.region.empty() && env) {
    c.region = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(""));
  }
  if (!c.region.empty() && !IsRegionName(c.region)) {
    return InvalidArgument("region '" + c.region + "' is not a region name (e.g. eu-west-1)");
  }
  auto secrets = ParseCredentialSecretNames(
      config.is_object() && config.contains("credentials") ? config["credentials"] : Json(),
      "credentials");
  if (!secrets.ok()) return secrets.status();
  c.secrets = *secrets;
  const Json& sqs = config;  // the SQS settings are at the top level
  c.sqs.endpoint = sqs.value("endpoint", "");
  while (!c.sqs.endpoint.empty() && c.sqs.endpoint.back() == '/') c.sqs.endpoint.pop_back();
  c.sqs.allow_purge = sqs.value("allow_purge", false);
  c.sqs.timeout = std::chrono::milliseconds(sqs.value("timeout_ms", 10'000));
  auto defaults = ParseQueue(sqs.value("defaults", Json::object()), SqsQueueConfig(), "defaults");
  if (!defaults.ok()) return defaults.status();
  c.sqs.defaults = *defaults;
  const Json queues = sqs.value("queues", Json::object());
  for (const auto& [name, q] : queues.items()) {
    auto queue = ParseQueue(q, c.sqs.defaults, "queues." + name);
    if (!queue.ok()) return queue.status();
    c.sqs.queues.emplace(name, *queue);
  }
  return c;
}

}  // namespace storeflow::plugins::aws
