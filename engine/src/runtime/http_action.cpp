// The built-in `http.request` action (Poco::Net): {method, url, headers, body,
// timeout} -> {status, headers, body}. 2xx/3xx answers are outputs; 408, 429 and
// 5xx and connection failures are retryable (Retry-After honoured); other 4xx
// answers are permanent errors. A JSON body is sent as JSON; a JSON answer
// (Content-Type application/json) is parsed.

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <sstream>

#include "runtime/action.h"
#include "runtime/http_action.h"

namespace storeflow::runtime {
namespace {

constexpr std::int64_t kDefaultTimeoutMs = 30'000;

std::optional<Duration> RetryAfter(const Poco::Net::HTTPResponse& response) {
  if (!response.has("Retry-After")) return std::nullopt;
  const std::string& text = response.get("Retry-After");
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds < 0) return std::nullopt;
  return Duration(seconds * 1000);
}

class HttpRequestAction final : public Action {
 public:
  std::string_view name() const override { return "http.request"; }
  std::string description() const override {
    return "sends an HTTP request; output {status, headers, body}; 408/429/5xx and connection "
           "failures are retryable, other 4xx permanent";
  }
  Json input_schema() const override {
    return Json::parse(R"({"type": "object", "required": ["url"], "properties": {
        "url": {"type": "string", "pattern": "^https?://"},
        "method": {"type": "string"},
        "headers": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
        "body": {"description": "a string is sent as is, other values as JSON"},
        "timeout_ms": {"type": "integer", "minimum": 1}}})");
  }
  Json examples() const override {
    return Json::parse(R"([{"method": "POST", "url": "https://example.com/hooks",
                            "headers": {"X-Token": "${{ secrets.HOOK_TOKEN }}"},
                            "body": {"order": "${{ event.id }}"}}])");
  }

  ActionResult Invoke(const Json& input, const ActionContext& context) override {
    if (!input.is_object() || !input.contains("url") || !input["url"].is_string()) {
      return ActionError::Permanent("invalid_input", "'url' must be a string");
    }
    std::string method = input.value("method", "GET");
    std::transform(method.begin(), method.end(), method.begin(), ::toupper);
    std::int64_t timeout_ms = kDefaultTimeoutMs;
    if (input.contains("timeout_ms") && input["timeout_ms"].is_number_integer()) {
      timeout_ms = input["timeout_ms"].get<std::int64_t>();
    }
    if (context.deadline) timeout_ms = std::min(timeout_ms, *context.deadline - context.now);
    timeout_ms = std::max<std::int64_t>(timeout_ms, 1);
    try {
      Poco::URI uri(input["url"].get<std::string>());
      std::unique_ptr<Poco::Net::HTTPClientSession> session;
      if (uri.getScheme() == "https") {
        Poco::Net::Context::Ptr tls = new Poco::Net::Context(
            Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_RELAXED, 9, true);
        session =
            std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), tls);
      } else if (uri.getScheme() == "http") {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
      } else {
        return ActionError::Permanent("invalid_input", "'url' must be http:// or https://");
      }
      session->setTimeout(Poco::Timespan(timeout_ms * 1000));
      Poco::Net::HTTPRequest request(method,
                                     uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery(),
                                     Poco::Net::HTTPMessage::HTTP_1_1);
      request.set("Idempotency-Key", context.idempotency_key);
      if (input.contains("headers") && input["headers"].is_object()) {
        for (const auto& [key, value] : input["headers"].items()) {
          request.set(key, value.is_string() ? value.get<std::string>() : value.dump());
        }
      }
      std::string body;
      if (input.contains("body") && !input["body"].is_null()) {
        if (input["body"].is_string()) {
          body = input["body"].get<std::string>();
        } else {
          body = input["body"].dump();
          if (!request.has("Content-Type")) request.setContentType("application/json");
        }
      }
      if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        request.setContentLength(static_cast<std::streamsize>(body.size()));
      }
      session->sendRequest(request) << body;
      Poco::Net::HTTPResponse response;
      std::istream& stream = session->receiveResponse(response);
      std::string text;
      Poco::StreamCopier::copyToString(stream, text);
      Json headers = Json::object();
      for (const auto& [key, value] : response) {
        std::string lower = key;
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        headers[lower] = value;
      }
      Json parsed = text;
      if (response.getContentType().find("json") != std::string::npos) {
        Json j = Json::parse(text, nullptr, false);
        if (!j.is_discarded()) parsed = std::move(j);
      }
      const int status = static_cast<int>(response.getStatus());
      const std::string code = "http_" + std::to_string(status);
      const std::string message = "HTTP " + std::to_string(status) + " from " + uri.getHost();
      if (status == 408 || status == 429 || status >= 500) {
        return ActionError::Retryable(code, message, RetryAfter(response));
      }
      if (status >= 400) return ActionError::Permanent(code, message);
      return Json{{"status", status}, {"headers", headers}, {"body", parsed}};
    } catch (const Poco::TimeoutException& e) {
      return ActionError::Retryable("timeout", e.displayText());
    } catch (const Poco::Net::NetException& e) {
      return ActionError::Retryable("unavailable", e.displayText());
    } catch (const Poco::SyntaxException& e) {
      return ActionError::Permanent("invalid_input", e.displayText());
    } catch (const Poco::Exception& e) {
      return ActionError::Retryable("unavailable", e.displayText());
    } catch (const std::exception& e) {
      return ActionError::Retryable("unavailable", e.what());
    }
  }
};

}  // namespace

std::shared_ptr<Action> MakeHttpRequestAction() {
  return std::make_shared<HttpRequestAction>();
}

}  // namespace storeflow::runtime
