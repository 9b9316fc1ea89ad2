#include "ses_transport.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "credential_source.h"
#include "ses_error.h"

namespace storeflow::plugins::email {
namespace {

using sdk::Error;
using sdk::Json;

constexpr const char* kSendEmailPath = "/v2/email/outbound-emails";

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

}  // namespace

SesTransport::SesTransport(const SesConfig& config, const sdk::Host& host,
                           aws::EnvironmentLookup env)
    : config_(config), host_(host) {
  if (!env) env = &ProcessEnv;
  region_ = config_.region;
  if (region_.empty()) {
    region_ = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(""));
    if (!region_.empty() && !aws::IsRegionName(region_)) {
      throw Error::Permanent("invalid_config", "AWS_REGION \"" + region_.substr(0, 64) +
                                                   "\" is not a region name such as eu-west-1");
    }
  }
  if (region_.empty()) {
    throw Error::Permanent("invalid_config",
                           "`transport` is ses but no region is set: set `ses.region` or "
                           "AWS_REGION");
  }
  endpoint_ =
      config_.endpoint.empty() ? "https://email." + region_ + ".amazonaws.com" : config_.endpoint;
  for (const std::string* name :
       {&config_.credentials.access_key_id, &config_.credentials.secret_access_key,
        &config_.credentials.session_token}) {
    if (!name->empty() && !host_.Secret(*name)) {
      throw Error::Permanent("missing_secret",
                             "the secret `" + *name +
                                 "` (config ses.credentials) is not defined: add it under "
                                 "`secrets:` or set STOREFLOW_SECRET_" +
                                 *name);
    }
  }
  aws::ServiceEndpointOptions options{endpoint_, region_, "ses",
                                      std::chrono::milliseconds(config_.timeout_ms)};
  aws::CredentialSecretNames names = config_.credentials;
  const sdk::Host* host_ptr = &host_;
  auto credentials = [names, host_ptr, env]() {
    return aws::ResolveCredentials(
        names, [host_ptr](const std::string& name) { return host_ptr->Secret(name); },
        "plugins.config.email.ses.credentials", env);
  };
  auto http = aws::AwsHttpClient::Create(options, credentials);
  if (!http.ok()) {
    throw Error::Permanent("invalid_config", "`ses.endpoint`: " + http.status().message());
  }
  http_ = std::make_unique<aws::AwsHttpClient>(std::move(*http));
}

SesSendResult SesTransport::Send(const SesSendEmail& request, const PreparedEmail& prepared,
                                 const sdk::Call& call) const {
  // Never wait past the step's deadline (engine clock).
  std::chrono::milliseconds timeout(config_.timeout_ms);
  if (call.deadline_ms) {
    std::int64_t left = *call.deadline_ms - host_.NowMs();
    if (left > 0) {
      timeout = std::min(timeout, std::chrono::milliseconds(std::max<std::int64_t>(left, 1000)));
    }
  }
  aws::AwsHttpResponse response;
  try {
    response =
        http_->Send("SES SendEmail", "POST", kSendEmailPath, {{"Content-Type", "application/json"}},
                    request.body.dump(-1, ' ', false, Json::error_handler_t::strict), timeout);
  } catch (const aws::AwsCallError& e) {
    throw SesStepError(e.error(), prepared.message);
  } catch (const Json::exception& e) {
    throw Error::Permanent("invalid_input",
                           std::string("the message is not valid UTF-8: ") + e.what());
  }
  if (response.status < 200 || response.status >= 300) {
    throw SesStepError(aws::ParseAwsError(response.status, response.headers, response.body),
                       prepared.message);
  }
  Json answer = Json::parse(response.body, nullptr, false);
  if (!answer.is_object() || !answer.contains("MessageId") || !answer["MessageId"].is_string() ||
      answer["MessageId"].get<std::string>().empty()) {
    // SES took the request: a retry could send the message twice.
    throw Error::Permanent("ses_bad_response",
                           "SES answered HTTP " + std::to_string(response.status) +
                               " without a MessageId; the message may have been sent, so it is "
                               "not retried");
  }
  return SesSendResult{answer["MessageId"].get<std::string>()};
}

}  // namespace storeflow::plugins::email
