#pragma once

// The error shapes of AWS's JSON protocols: the HTTP status, `__type`
// ("com.amazonaws.sqs#QueueDoesNotExist"), `message`, the older query-protocol
// code in the `x-amzn-query-error` header ("AWS.SimpleQueueService.NonExistentQueue;
// Sender"), and REST-JSON's `x-amzn-ErrorType` header ("MessageRejected:http://...",
// SES v2); and which of them a retry can fix.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "http_request.h"

namespace storeflow::plugins::aws {

struct AwsError {
  int http_status = 0;     // 0: no HTTP answer (connection refused, timeout)
  std::string code;        // "QueueDoesNotExist", "ThrottlingException", "network"
  std::string query_code;  // from x-amzn-query-error, "" when absent
  std::string message;
  std::string request_id;  // x-amzn-RequestId / x-amz-request-id, "" when absent
  bool sender_fault = false;
  bool retryable = false;

  // "QueueDoesNotExist (HTTP 400): The specified queue does not exist. [request X]"
  std::string Describe() const;
};

// An AWS call that failed; thrown by AwsHttpClient and AwsJsonClient.
class AwsCallError : public std::runtime_error {
 public:
  explicit AwsCallError(AwsError error)
      : std::runtime_error(error.Describe()), error_(std::move(error)) {}
  const AwsError& error() const { return error_; }

 private:
  AwsError error_;
};

// Reads an error response. Throttling (ThrottlingException, RequestThrottled,
// SlowDown, ...), 429 and 5xx are retryable; everything else (access denied,
// validation, a missing queue) is permanent.
AwsError ParseAwsError(int http_status, const std::vector<HttpHeader>& headers,
                       std::string_view body);

// Whether an error code (either form) is a throttling or service-side one.
bool IsRetryableAwsCode(std::string_view code);

// A transport failure (no HTTP answer): retryable.
AwsError NetworkError(const std::string& what);

}  // namespace storeflow::plugins::aws
