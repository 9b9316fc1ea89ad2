// The built-in `http.request` action (Poco::Net): {method, url, headers, body,
// timeout_ms} -> {status, headers, body}. 2xx/3xx answers are outputs (redirects
// are not followed); 408, 429 and 5xx, connection failures and timeouts are
// retryable (Retry-After honoured); other 4xx answers are permanent errors. A
// JSON body is sent as JSON; a JSON answer (Content-Type application/json) is
// parsed.
//
// Safety (HttpClientOptions): the URL's host is resolved once and every address
// is checked against the egress policy before anything is sent; the connection
// goes to a checked address (the Host header and TLS name stay the URL's host).
// Header names and values are checked for line breaks before sending. The
// answer's body is read up to max_response_bytes, and the whole exchange is cut
// at one wall-clock deadline that a slow peer cannot extend.

#include "runtime/http_action.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>

#include "common/byte_size.h"
#include "common/http_header_field.h"
#include "common/json_nesting.h"
#include "runtime/connection_deadline.h"

namespace storeflow::runtime {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::optional<Duration> RetryAfter(const Poco::Net::HTTPResponse& response) {
  if (!response.has("Retry-After")) return std::nullopt;
  const std::string& text = response.get("Retry-After");
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds < 0) return std::nullopt;
  return Duration(seconds * 1000);
}

// What the caller may not put in a URL: spaces and control characters (a line
// break in the request line would split the request).
std::optional<std::size_t> BadUrlCharacter(const std::string& url) {
  for (std::size_t i = 0; i < url.size(); ++i) {
    const auto c = static_cast<unsigned char>(url[i]);
    if (c <= 0x20 || c == 0x7f) return i;
  }
  return std::nullopt;
}

bool IsMethod(const std::string& method) {
  if (method.empty() || method.size() > 32) return false;
  return std::all_of(method.begin(), method.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; });
}

// Milliseconds left until `deadline`, at least 1 (a zero Timespan means "no timeout").
Poco::Timespan Remaining(SteadyClock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::microseconds>(deadline - SteadyClock::now());
  return Poco::Timespan(std::max<std::int64_t>(left.count(), 1000));
}

class HttpRequestAction final : public Action {
 public:
  explicit HttpRequestAction(HttpClientOptions options) : options_(std::move(options)) {}

  std::string_view name() const override { return "http.request"; }
  std::string description() const override {
    return "sends an HTTP request to a public address (or one in http_client.allow_hosts); "
           "output {status, headers, body}; 408/429/5xx, timeouts and connection failures are "
           "retryable, other 4xx permanent";
  }
  Json input_schema() const override {
    return Json::parse(R"({"type": "object", "required": ["url"], "properties": {
        "url": {"type": "string", "pattern": "^https?://"},
        "method": {"type": "string"},
        "headers": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
        "body": {"description": "a string is sent as is, other values as JSON"},
        "timeout_ms": {"type": "integer", "minimum": 1,
                       "description": "shortens http_client.total_timeout for this request"}}})");
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
    const std::string url = input["url"].get<std::string>();
    if (auto at = BadUrlCharacter(url)) {
      return ActionError::Permanent(
          "invalid_input",
          "'url' contains a space or control character at offset " + std::to_string(*at));
    }
    std::string method = input.value("method", "GET");
    std::transform(method.begin(), method.end(), method.begin(), ::toupper);
    if (!IsMethod(method)) {
      return ActionError::Permanent("invalid_input",
                                    "'method' must be an HTTP method such as GET or POST");
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (input.contains("headers") && input["headers"].is_object()) {
      for (const auto& [key, value] : input["headers"].items()) {
        std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        if (Status s = CheckHeaderField(key, text); !s.ok()) {
          return ActionError::Permanent("invalid_header", "'headers': " + s.message());
        }
        headers.emplace_back(key, std::move(text));
      }
    }
    std::int64_t budget_ms = options_.total_timeout.count();
    if (input.contains("timeout_ms") && input["timeout_ms"].is_number_integer()) {
      budget_ms = std::min(budget_ms, input["timeout_ms"].get<std::int64_t>());
    }
    if (context.deadline) budget_ms = std::min(budget_ms, *context.deadline - context.now);
    budget_ms = std::max<std::int64_t>(budget_ms, 1);
    const SteadyClock::time_point deadline =
        SteadyClock::now() + std::chrono::milliseconds(budget_ms);

    std::string host;
    Poco::URI uri;
    try {
      uri = Poco::URI(url);
      host = uri.getHost();
    } catch (const Poco::SyntaxException& e) {
      return ActionError::Permanent("invalid_input", "'url': " + e.displayText());
    }
    if (uri.getScheme() != "http" && uri.getScheme() != "https") {
      return ActionError::Permanent("invalid_input", "'url' must be http:// or https://");
    }
    if (host.empty()) return ActionError::Permanent("invalid_input", "'url' has no host");

    auto addresses = options_.egress.Resolve(host);
    if (!addresses.ok()) {
      if (addresses.status().code() == StatusCode::kPermissionDenied) {
        return ActionError::Permanent("egress_denied", addresses.status().message());
      }
      return ActionError::Retryable("unavailable", addresses.status().message());
    }

    // Declared in this order so that the deadline guard goes first, then the
    // session, then the socket (the guard must not outlive the descriptor).
    Poco::Net::StreamSocket socket;
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    std::optional<ConnectionDeadline> guard;
    const auto timed_out = [&] {
      return ActionError::Retryable("timeout", "no complete answer from " + host + " within " +
                                                   std::to_string(budget_ms) +
                                                   " ms (http_client.total_timeout, the "
                                                   "step's timeout or timeout_ms)");
    };
    try {
      Connect(*addresses, static_cast<Poco::UInt16>(uri.getPort()), deadline, socket);
      guard.emplace(socket.impl()->sockfd(), deadline);
      socket.setSendTimeout(Remaining(deadline));
      socket.setReceiveTimeout(Remaining(deadline));
      if (uri.getScheme() == "https") {
        Poco::Net::Context::Ptr tls = new Poco::Net::Context(
            Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_RELAXED, 9, true);
        // The TLS name (SNI and certificate check) is the URL's host, not the address.
        Poco::Net::SecureStreamSocket secure =
            Poco::Net::SecureStreamSocket::attach(socket, host, tls);
        session = std::make_unique<Poco::Net::HTTPSClientSession>(secure);
      } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>(socket);
      }
      session->setProxyConfig(Poco::Net::HTTPClientSession::ProxyConfig());
      session->setKeepAlive(false);
      session->setTimeout(Remaining(deadline));

      Poco::Net::HTTPRequest request(method,
                                     uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery(),
                                     Poco::Net::HTTPMessage::HTTP_1_1);
      request.setHost(host, static_cast<Poco::UInt16>(uri.getPort()));
      request.set("Idempotency-Key", context.idempotency_key);
      for (const auto& [key, value] : headers) request.set(key, value);
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
      if (auto error = ReadBody(stream, response, host, text)) return *error;
      if (guard->expired()) return timed_out();
      return Answer(response, host, text);
    } catch (const Poco::TimeoutException&) {
      return timed_out();
    } catch (const Poco::Exception& e) {
      if (guard && guard->expired()) return timed_out();
      return ActionError::Retryable("unavailable", host + ": " + e.displayText());
    } catch (const std::exception& e) {
      if (guard && guard->expired()) return timed_out();
      return ActionError::Retryable("unavailable", host + ": " + e.what());
    }
  }

 private:
  // Connects to the first of `addresses` that answers before `deadline`; throws
  // the last failure when none does.
  static void Connect(const std::vector<Poco::Net::IPAddress>& addresses, Poco::UInt16 port,
                      SteadyClock::time_point deadline, Poco::Net::StreamSocket& socket) {
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      if (SteadyClock::now() >= deadline) throw Poco::TimeoutException("connect");
      try {
        Poco::Net::StreamSocket attempt;
        attempt.connect(Poco::Net::SocketAddress(addresses[i], port), Remaining(deadline));
        socket = attempt;
        return;
      } catch (const Poco::Exception&) {
        if (i + 1 == addresses.size()) throw;
      }
    }
  }

  // Reads the body into `text`, at most max_response_bytes of it.
  std::optional<ActionError> ReadBody(std::istream& stream, const Poco::Net::HTTPResponse& response,
                                      const std::string& host, std::string& text) const {
    const std::uint64_t cap = options_.max_response_bytes;
    const auto too_large = [&] {
      return ActionError::Permanent(
          "response_too_large", "the answer of " + host + " is larger than " + FormatByteSize(cap) +
                                    " (http_client.max_response_bytes)");
    };
    if (response.hasContentLength() && response.getContentLength64() >= 0 &&
        static_cast<std::uint64_t>(response.getContentLength64()) > cap) {
      return too_large();
    }
    // A failure inside the stream (timeout, reset) must surface, not end the body early.
    stream.exceptions(std::ios::badbit);
    char buffer[16 * 1024];
    while (stream) {
      stream.read(buffer, sizeof buffer);
      const auto n = static_cast<std::uint64_t>(stream.gcount());
      if (text.size() + n > cap) return too_large();
      text.append(buffer, n);
    }
    return std::nullopt;
  }

  static ActionResult Answer(const Poco::Net::HTTPResponse& response, const std::string& host,
                             const std::string& text) {
    Json headers = Json::object();
    for (const auto& [key, value] : response) {
      std::string lower = key;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      headers[lower] = value;
    }
    Json parsed = text;
    // A JSON answer is parsed, unless it nests deeper than any value the engine
    // keeps (common/json_nesting.h): then, like invalid JSON, it stays text.
    if (response.getContentType().find("json") != std::string::npos &&
        FindJsonNestingOverflow(text) == std::string_view::npos) {
      Json j = Json::parse(text, nullptr, false);
      if (!j.is_discarded()) parsed = std::move(j);
    }
    const int status = static_cast<int>(response.getStatus());
    const std::string code = "http_" + std::to_string(status);
    const std::string message = "HTTP " + std::to_string(status) + " from " + host;
    if (status == 408 || status == 429 || status >= 500) {
      return ActionError::Retryable(code, message, RetryAfter(response));
    }
    if (status >= 400) return ActionError::Permanent(code, message);
    return Json{{"status", status}, {"headers", headers}, {"body", parsed}};
  }

  HttpClientOptions options_;
};

}  // namespace

std::shared_ptr<Action> MakeHttpRequestAction(HttpClientOptions options) {
  return std::make_shared<HttpRequestAction>(std::move(options));
}

}  // namespace storeflow::runtime
