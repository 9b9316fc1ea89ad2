#pragma once

// One AWS service spoken over the JSON protocol (SQS: application/x-amz-json-1.0,
// X-Amz-Target: AmazonSQS.<Action>): a POST to the service endpoint, signed with
// SigV4, answered with JSON or an error (aws_error.h). Thread-safe.

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "aws_error.h"
#include "common/result.h"
#include "credentials.h"
#include "sigv4_signer.h"

namespace storeflow::plugins::aws {

struct JsonServiceOptions {
  std::string endpoint;       // "https://sqs.eu-west-1.amazonaws.com", "http://127.0.0.1:9324"
  std::string region;         // "eu-west-1"
  std::string service;        // "sqs": the signing name
  std::string target_prefix;  // "AmazonSQS"
  std::string content_type = "application/x-amz-json-1.0";
  std::chrono::milliseconds timeout{10'000};  // connect, send and receive, each
};

// Gives the credentials to sign with (read when needed: secrets may rotate).
using CredentialsProvider = std::function<Result<Credentials>()>;

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
  AwsJsonClient(JsonServiceOptions options, CredentialsProvider credentials);

  JsonServiceOptions options_;
  CredentialsProvider credentials_;
  std::string scheme_;
  std::string host_;
  unsigned short port_ = 0;
  std::string host_header_;
  std::string path_ = "/";
};

}  // namespace storeflow::plugins::aws
