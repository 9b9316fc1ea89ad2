#include "s3_error.h"

#include "s3_xml.h"
#include "storage_key.h"

namespace storeflow::plugins::storage::s3 {
namespace {

using sdk::Error;

// The IAM action a call needs.
std::string IamAction(std::string_view operation) {
  if (operation == "PutObject") return "s3:PutObject";
  if (operation == "GetObject" || operation == "HeadObject") return "s3:GetObject";
  if (operation == "DeleteObject") return "s3:DeleteObject";
  if (operation == "ListObjectsV2") return "s3:ListBucket";
  if (operation == "CreateBucket") return "s3:CreateBucket";
  return "s3:" + std::string(operation);
}

std::string Resource(std::string_view operation, const Location& location) {
  if (operation == "ListObjectsV2" || operation == "CreateBucket") {
    return "arn:aws:s3:::" + location.bucket;
  }
  return "arn:aws:s3:::" + location.bucket + "/*";
}

// What to check, by error code.
std::string Hint(const std::string& code, const Request& request, const Location& location) {
  if (code == "AccessDenied" || code == "AllAccessDisabled") {
    return " Check that the credentials' policy allows " + IamAction(request.operation) + " on " +
           Resource(request.operation, location) +
           " (and kms:GenerateDataKey / kms:Decrypt with SSE-KMS).";
  }
  if (code == "NoSuchBucket") {
    return " The bucket \"" + location.bucket + "\" does not exist at " +
           location.endpoint.Display() + ": create it, or fix plugins.config.storage.bucket.";
  }
  if (code == "InvalidBucketName") {
    return " S3 refuses the bucket name \"" + location.bucket +
           "\": fix plugins.config.storage.bucket.";
  }
  if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "InvalidToken" ||
      code == "ExpiredToken" || code == "TokenRefreshRequired") {
    return " Check the access key, secret key and session token the storage plugin uses "
           "(plugins.config.storage.credentials, else AWS_ACCESS_KEY_ID / "
           "AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN).";
  }
  if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" ||
      code == "IllegalLocationConstraintException") {
    return " The bucket is in another region than the one configured: set "
           "plugins.config.storage.region to the bucket's region.";
  }
  if (code == "RequestTimeTooSkewed") return " The machine's clock is off: fix its time.";
  if (code == "KMS.NotFoundException" || code == "KMS.DisabledException" ||
      code == "KMSInvalidStateException" || code == "InvalidArgument") {
    return " Check plugins.config.storage.server_side_encryption and sse_kms_key_id.";
  }
  return "";
}

// The code when the answer has no <Error> body (HEAD, a proxy's page).
std::string CodeFromStatus(int status) {
  switch (status) {
    case 400: return "BadRequest";
    case 403: return "AccessDenied";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 411: return "MissingContentLength";
    case 412: return "PreconditionFailed";
    case 429: return "SlowDown";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    default: return "HTTP" + std::to_string(status);
  }
}

}  // namespace

bool IsRetryableS3Code(std::string_view code) {
  static const char* const kRetryable[] = {
      "SlowDown",
      "RequestTimeout",
      "InternalError",
      "ServiceUnavailable",
      "Throttling",
      "ThrottlingException",
      "RequestThrottled",
      "TooManyRequestsException",
      "RequestLimitExceeded",
      "KMS.ThrottlingException",
      "OperationAborted",
  };
  for (const char* c : kRetryable) {
    if (code == c) return true;
  }
  return false;
}

std::string DescribeCall(const Request& request, std::string_view key, const Location& location) {
  if (key.empty()) return request.operation + " of bucket \"" + location.bucket + "\"";
  return request.operation + " of " + DisplayKey(key) + " in bucket \"" + location.bucket + "\"";
}

Error S3Failure(const Request& request, std::string_view key, const Location& location,
                const Answer& answer) {
  std::string code;
  std::string message;
  std::string request_id = answer.request_id;
  if (auto doc = ParseErrorDocument(answer.body)) {
    code = doc->code;
    message = doc->message;
    if (request_id.empty()) request_id = doc->request_id;
  } else {
    code = CodeFromStatus(answer.http_status);
    if (!answer.body.empty() && answer.body.size() <= 200) message = answer.body;
  }
  std::string text = "S3 " + DescribeCall(request, key, location) + " failed: " + code + " (HTTP " +
                     std::to_string(answer.http_status) + ")";
  if (!message.empty()) text += ": " + message;
  if (!request_id.empty()) text += " [request " + request_id + "]";
  if (text.back() != '.') text += '.';
  text += Hint(code, request, location);
  const bool retryable =
      answer.http_status == 429 || answer.http_status >= 500 || IsRetryableS3Code(code);
  if (retryable) return Error::Retryable("s3_" + code, text);
  return Error::Permanent("s3_" + code, text);
}

Error S3NetworkFailure(const Request& request, std::string_view key, const Location& location,
                       const std::string& detail) {
  return Error::Retryable("s3_network", "S3 " + DescribeCall(request, key, location) + " to " +
                                            location.endpoint.Display() + " failed: " + detail);
}

}  // namespace storeflow::plugins::storage::s3
