#include "aws_json_client.h"

namespace storeflow::plugins::aws {

nlohmann::json ParseJsonResponse(const AwsHttpResponse& response, const std::string& what) {
  if (response.body.empty()) return nlohmann::json::object();
  nlohmann::json parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) {
    AwsError e;
    e.http_status = response.status;
    e.code = "bad_response";
    e.message = what + " answered with a body that is not JSON";
    e.retryable = true;
    throw AwsCallError(e);
  }
  return parsed;
}

AwsJsonClient::AwsJsonClient(JsonServiceOptions options, AwsHttpClient http)
    : options_(std::move(options)), http_(std::move(http)) {}

Result<AwsJsonClient> AwsJsonClient::Create(JsonServiceOptions options,
                                            CredentialsProvider credentials) {
  ServiceEndpointOptions endpoint{options.endpoint, options.region, options.service,
                                  options.timeout};
  auto http = AwsHttpClient::Create(std::move(endpoint), std::move(credentials));
  if (!http.ok()) return http.status();
  return AwsJsonClient(std::move(options), std::move(*http));
}

nlohmann::json AwsJsonClient::Call(const std::string& action, const nlohmann::json& request,
                                   std::chrono::milliseconds timeout) const {
  const std::string what = options_.target_prefix + "." + action;
  AwsHttpResponse response = http_.Send(
      what, "POST", "", {{"Content-Type", options_.content_type}, {"X-Amz-Target", what}},
      request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), timeout);
  if (response.status < 200 || response.status >= 300) {
    throw AwsCallError(ParseAwsError(response.status, response.headers, response.body));
  }
  return ParseJsonResponse(response, what);
}

}  // namespace storeflow::plugins::aws
