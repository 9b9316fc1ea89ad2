#pragma once

// One AWS service spoken over the JSON protocol (SQS: application/x-amz-json-1.0,
// X-Amz-Target: AmazonSQS.<Action>): a POST to the service endpoint, signed with
// SigV4, answered with JSON or an error (aws_error.h). Thread-safe.

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "aws_error.h"
#include "aws_http_client.h"
#include "common/result.h"

namespace storeflow::plugins::aws {

struct JsonServiceOptions {
  std::string endpoint;       // "https://sqs.eu-west-1.amazonaws.com", "http://127.0.0.1:9324"
  std::string region;         // "eu-west-1"
  std::string service;        // "sqs": the signing name
  std::string target_prefix;  // "AmazonSQS"
  std::string content_type = "application/x-amz-json-1.0";
  std::chrono::milliseconds timeout{10'000};  // connect, send and receive, each
};

// The JSON body of a 2xx answer: an empty object for an empty body. Throws
// AwsCallError ("bad_response", retryable) when it is not JSON; `what` names the call.
nlohmann::json ParseJsonResponse(const AwsHttpResponse& response, const std::string& what);

class AwsJsonClient {
 public:
  // InvalidArgument for an endpoint that is not http(s)://host[:port][/].
  static Result<AwsJsonClient> Create(JsonServiceOptions options, CredentialsProvider credentials);

  // Calls `<target_prefix>.<action>` with `request`; returns the response body
  // (an empty object for an empty body). Throws AwsCallError: the service's
  // error, a transport failure ("network", retryable), or credentials that
  // cannot be had ("credentials", permanent). `timeout` overrides the default
  // (a long poll needs its wait time plus a margin).
  nlohmann::json Call(const std::string& action, const nlohmann::json& request,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) const;

  const JsonServiceOptions& options() const { return options_; }

 private:
  AwsJsonClient(JsonServiceOptions options, AwsHttpClient http);

  JsonServiceOptions options_;
  AwsHttpClient http_;
};

}  // namespace storeflow::plugins::aws
