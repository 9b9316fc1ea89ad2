// The sqs plugin (plugins/aws): sqs.* actions and the `sqs` event source (ABI
// 1.3). Config: plugins.config.sqs (aws_config.h; plugins/aws/README.md).

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <storeflow/plugin.hpp>

#include "aws_config.h"
#include "aws_json_client.h"
#include "credential_source.h"
#include "sqs_actions.h"
#include "sqs_client.h"
#include "sqs_manifest.h"
#include "sqs_source.h"

namespace storeflow::plugins::aws {
namespace {

using sdk::Call;
using sdk::Error;
using sdk::Host;
using sdk::Json;

std::optional<std::string> Getenv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

class SqsPlugin final : public sdk::Plugin {
 public:
  SqsPlugin(Host& host, const Json& config) : host_(host) {
    auto parsed = ParseAwsConfig(config, &Getenv);
    if (!parsed.ok()) throw Error::Permanent("sqs_config", parsed.status().message());
    config_ = *parsed;
    // No connection here (validate loads plugins too): only the endpoint is checked.
    if (!config_.region.empty()) {
      auto client = MakeSqsClient();
      if (!client.ok()) throw Error::Permanent("sqs_config", client.status().message());
      sqs_ = std::make_unique<SqsClient>(std::move(*client), config_);
    }
  }

  Json Invoke(std::string_view action, const Json& input, const Call& call) override {
    SqsClient& sqs = Sqs();
    if (action == "sqs.send") return SqsSend(sqs, input, call);
    if (action == "sqs.send_batch") return SqsSendBatch(sqs, input, call);
    if (action == "sqs.delete") return SqsDelete(sqs, input);
    if (action == "sqs.change_visibility") return SqsChangeVisibility(sqs, input);
    if (action == "sqs.purge") return SqsPurge(sqs, input);
    throw Error::Permanent("unknown_action", "sqs has no action " + std::string(action));
  }

  void RunSource(std::string_view name, const Json& config,
                 const sdk::SourceHost& source) override {
    if (name != "sqs")
      throw Error::Permanent("unknown_source", "sqs has no source " + std::string(name));
    SqsSource(Sqs(), host_).Run(config, source);
  }

 private:
  SqsClient& Sqs() {
    if (!sqs_) {
      throw Error::Permanent("sqs_config",
                             "no AWS region: set plugins.config.sqs.region or AWS_REGION");
    }
    return *sqs_;
  }

  Result<AwsJsonClient> MakeSqsClient() {
    JsonServiceOptions options;
    options.endpoint = config_.SqsEndpoint();
    options.region = config_.region;
    options.service = "sqs";
    options.target_prefix = "AmazonSQS";
    options.timeout = config_.sqs.timeout;
    return AwsJsonClient::Create(options, [this] { return LoadCredentials(); });
  }

  // From the configured secrets, else the AWS_* environment. Never logged.
  Result<Credentials> LoadCredentials() const {
    return ResolveCredentials(
        config_.secrets, [this](const std::string& name) { return host_.Secret(name); },
        "plugins.config.sqs.credentials");
  }

  Host& host_;
  AwsConfig config_;
  std::unique_ptr<SqsClient> sqs_;
};

}  // namespace
}  // namespace storeflow::plugins::aws

STOREFLOW_PLUGIN(storeflow::plugins::aws::SqsPlugin, STOREFLOW_PLUGIN_NAME,
                 STOREFLOW_PLUGIN_VERSION, storeflow::plugins::aws::SqsManifest())
