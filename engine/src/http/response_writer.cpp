#include "http/response_writer.h"

#include <strings.h>

#include <chrono>
#include <ctime>
#include <mutex>

#include <Poco/Net/HTTPResponse.h>

namespace storeflow::http {
namespace {

bool Named(std::string_view name, std::string_view expected) {
  return name.size() == expected.size() &&
         strncasecmp(name.data(), expected.data(), name.size()) == 0;
}

// The Date header's value (IMF-fixdate), recomputed at most once a second.
std::string HttpDate() {
  static std::mutex mutex;
  static std::time_t cached_second = 0;
  static std::string cached;
  const std::time_t now = std::time(nullptr);
  std::lock_guard lock(mutex);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[64];
    std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = text;
    cached_second = now;
  }
  return cached;
}

}  // namespace

std::string SerializeResponse(const Response& response, std::string_view request_id,
                              const ResponseFraming& framing) {
  const int status = response.status;
  const std::string& reason = Poco::Net::HTTPResponse::getReasonForStatus(
      static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  std::string out;
  out.reserve(256 + response.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += reason;
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (Named(name, "Content-Length") || Named(name, "Transfer-Encoding") ||
        Named(name, "Connection") || Named(name, "X-Request-Id") || Named(name, "Date") ||
        value.find_first_of("\r\n") != std::string::npos) {
      continue;  // the server's own, or a value that would split the head
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "X-Request-Id: ";
  out += request_id;
  out += "\r\nDate: ";
  out += HttpDate();
  out += "\r\n";
  const bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
  if (!no_body) {
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n";
  }
  if (!framing.keep_alive) {
    out += "Connection: close\r\n";
  } else if (framing.http10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!no_body && !framing.head_only) out += response.body;
  return out;
}

std::string_view ContinueLine() {
  return "HTTP/1.1 100 Continue\r\n\r\n";
}

}  // namespace storeflow::http
