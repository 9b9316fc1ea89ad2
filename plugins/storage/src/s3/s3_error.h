#pragma once

// S3's failures as the storage plugin's errors (sdk::Error): the <Error> code of
// the answer (or the HTTP status when there is no body, as for HEAD) becomes the
// step's error code `s3_<Code>`; throttling (SlowDown, ...), 429, 5xx and
// network failures are retryable, everything else permanent. Messages name the
// operation, key and bucket, S3's message and request id, and what to check
// (never a credential).

#include <string>
#include <string_view>

#include "s3_request.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage::s3 {

// What an answer said, for classification.
struct Answer {
  int http_status = 0;
  std::string body;
  std::string request_id;  // x-amz-request-id, "" when absent
};

// Whether an S3 error code is worth retrying as is.
bool IsRetryableS3Code(std::string_view code);

// The error for a non-2xx answer to `request` (its operation and key) on `location`.
sdk::Error S3Failure(const Request& request, std::string_view key, const Location& location,
                     const Answer& answer);

// A call that got no answer (refused connection, timeout, reset): retryable.
sdk::Error S3NetworkFailure(const Request& request, std::string_view key, const Location& location,
                            const std::string& detail);

// "PutObject of \"k\" in bucket \"b\"" / "ListObjectsV2 of bucket \"b\"".
std::string DescribeCall(const Request& request, std::string_view key, const Location& location);

}  // namespace storeflow::plugins::storage::s3
