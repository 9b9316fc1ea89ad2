#include "aws_error.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace storeflow::plugins::aws {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string HeaderValue(const std::vector<HttpHeader>& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return "";
}

// "com.amazonaws.sqs#QueueDoesNotExist" -> "QueueDoesNotExist"; also drops a
// ":http://..." suffix some services append.
std::string ShortType(std::string type) {
  if (auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
  if (auto colon = type.find(':'); colon != std::string::npos) type = type.substr(0, colon);
  return type;
}

}  // namespace

std::string AwsError::Describe() const {
  std::string text = code.empty() ? std::string("error") : code;
  if (http_status > 0) text += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) text += ": " + message;
  if (!request_id.empty()) text += " [request " + request_id + "]";
  return text;
}

bool IsRetryableAwsCode(std::string_view code) {
  static const char* const kRetryable[] = {
      "ThrottlingException",
      "Throttling",
      "ThrottledException",
      "RequestThrottled",
      "RequestThrottledException",
      "TooManyRequestsException",
      "SlowDown",
      "RequestLimitExceeded",
      "KmsThrottled",
      "KMSThrottlingException",
      "ServiceUnavailable",
      "ServiceUnavailableException",
      "InternalError",
      "InternalFailure",
      "InternalServerError",
      "RequestTimeout",
      "RequestTimeoutException",
      "AWS.SimpleQueueService.RequestThrottled",
  };
  for (const char* c : kRetryable) {
    if (code == c) return true;
  }
  return false;
}

AwsError ParseAwsError(int http_status, const std::vector<HttpHeader>& headers,
                       std::string_view body) {
  AwsError e;
  e.http_status = http_status;
  e.request_id = HeaderValue(headers, "x-amzn-RequestId");
  if (e.request_id.empty()) e.request_id = HeaderValue(headers, "x-amz-request-id");
  const std::string query = HeaderValue(headers, "x-amzn-query-error");
  if (!query.empty()) {
    const auto semi = query.find(';');
    e.query_code = query.substr(0, semi);
    e.sender_fault = semi != std::string::npos && query.substr(semi + 1) == "Sender";
  }
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object()) {
    for (const char* key : {"__type", "code", "Code", "type"}) {
      if (doc.contains(key) && doc[key].is_string()) {
        e.code = ShortType(doc[key].get<std::string>());
        break;
      }
    }
    for (const char* key : {"message", "Message"}) {
      if (doc.contains(key) && doc[key].is_string()) {
        e.message = doc[key].get<std::string>();
        break;
      }
    }
  }
  if (doc.is_object() && doc.contains("detail") && doc["detail"].is_string()) {
    // Some emulators explain a refusal there (aws-ses-v2-local).
    const std::string detail = doc["detail"].get<std::string>();
    e.message = e.message.empty() ? detail : e.message + " (" + detail + ")";
  }
  if (e.code.empty()) e.code = ShortType(HeaderValue(headers, "x-amzn-ErrorType"));
  if (e.code.empty())
    e.code = !e.query_code.empty() ? e.query_code : "HTTP" + std::to_string(http_status);
  if (e.message.empty() && !doc.is_object()) {
    e.message = std::string(body.substr(0, 200));  // not JSON: the start of what came back
  }
  if (query.empty()) e.sender_fault = http_status >= 400 && http_status < 500;
  e.retryable = http_status == 429 || http_status >= 500 || IsRetryableAwsCode(e.code) ||
                IsRetryableAwsCode(e.query_code);
  return e;
}

AwsError NetworkError(const std::string& what) {
  AwsError e;
  e.code = "network";
  e.message = what;
  e.retryable = true;
  return e;
}

}  // namespace storeflow::plugins::aws
