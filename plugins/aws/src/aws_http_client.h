#pragma once

// One AWS service endpoint spoken over HTTP(S): a request signed with SigV4 (header
// form), sent with Poco, answered with its status, headers and body. The protocol
// clients build on it: AwsJsonClient (X-Amz-Target JSON, SQS) and the REST-JSON
// calls of SES v2 (plugins/email). Errors are AwsCallError (aws_error.h).
// Thread-safe.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "aws_error.h"
#include "common/result.h"
#include "credentials.h"
#include "http_request.h"

namespace storeflow::plugins::aws {

// Gives the credentials to sign with (read when needed: secrets may rotate).
using CredentialsProvider = std::function<Result<Credentials>()>;

struct ServiceEndpointOptions {
  std::string endpoint;  // "https://email.eu-west-1.amazonaws.com", "http://127.0.0.1:9324"
  std::string region;    // "eu-west-1"
  std::string service;   // the signing name: "sqs", "ses"
  std::chrono::milliseconds timeout{10'000};  // connect, send and receive, each
};

struct AwsHttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;
};

class AwsHttpClient {
 public:
  // InvalidArgument for an endpoint that is not http(s)://host[:port][/path] or a
  // region that is not a region name.
  static Result<AwsHttpClient> Create(ServiceEndpointOptions options,
                                      CredentialsProvider credentials);

  // Signs and sends `method` to <endpoint path><path> (`path` starts with '/'; ""
  // is the endpoint's own path) with `headers` (Host is added) and `body`. Any
  // HTTP answer is returned, errors included. Throws AwsCallError for a transport
  // failure ("network", retryable; `what` names the call in its message) and for
  // credentials that cannot be had or signed with ("credentials", permanent).
  // `timeout` 0: the endpoint's default.
  AwsHttpResponse Send(const std::string& what, const std::string& method, const std::string& path,
                       std::vector<HttpHeader> headers, std::string body,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) const;

  const ServiceEndpointOptions& options() const { return options_; }

 private:
  AwsHttpClient(ServiceEndpointOptions options, CredentialsProvider credentials);

  ServiceEndpointOptions options_;
  CredentialsProvider credentials_;
  std::string scheme_;
  std::string host_;
  unsigned short port_ = 0;
  std::string host_header_;
  std::string path_ = "/";
};

}  // namespace storeflow::plugins::aws
