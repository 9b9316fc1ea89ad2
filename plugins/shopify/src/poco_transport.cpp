#include "poco_transport.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <istream>
#include <memory>
#include <ostream>

#include "storeflow/plugin.hpp"

namespace storeflow::plugins::shopify {
namespace {

Poco::Net::Context::Ptr ClientContext() {
  static Poco::Net::Context::Ptr context = new Poco::Net::Context(
      Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_STRICT, 9,
      /*loadDefaultCAs=*/true);
  return context;
}

[[noreturn]] void NetworkError(const std::string& url, const std::string& what) {
  throw sdk::Error::Retryable("network", "request to " + url + " failed: " + what);
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return std::nullopt;
}

HttpResponse PocoTransport::Send(const HttpRequest& request, std::int64_t timeout_ms) {
  // The URL is logged without its query (page_info cursors are long, not secret;
  // tokens never travel in URLs).
  std::string shown = request.url.substr(0, request.url.find('?'));
  try {
    Poco::URI uri(request.url);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                                ClientContext());
    } else if (uri.getScheme() == "http") {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    } else {
      throw sdk::Error::Permanent("invalid_url", "cannot send to " + shown + ": not http(s)");
    }
    const Poco::Timespan timeout(std::max<std::int64_t>(1, timeout_ms) * 1000);
    session->setTimeout(timeout, timeout, timeout);
    std::string target = uri.getPathEtc();
    if (target.empty()) target = "/";
    Poco::Net::HTTPRequest req(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setHost(uri.getHost(), uri.getPort());
    for (const auto& [name, value] : request.headers) req.set(name, value);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      req.setContentLength(static_cast<std::streamsize>(request.body.size()));
    }
    std::ostream& out = session->sendRequest(req);
    out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    HttpResponse response;
    response.status = static_cast<int>(resp.getStatus());
    for (const auto& [name, value] : resp) response.headers.emplace_back(name, value);
    char buffer[16384];
    while (in) {
      in.read(buffer, sizeof(buffer));
      response.body.append(buffer, static_cast<std::size_t>(in.gcount()));
      if (response.body.size() > kMaxResponseBytes) {
        NetworkError(shown, "the answer is larger than " +
                                std::to_string(kMaxResponseBytes / (1024 * 1024)) + " MiB");
      }
    }
    return response;
  } catch (const sdk::Error&) {
    throw;
  } catch (const Poco::TimeoutException&) {
    NetworkError(shown, "timed out after " + std::to_string(timeout_ms) + " ms");
  } catch (const Poco::Exception& e) {
    NetworkError(shown, e.displayText());
  } catch (const std::exception& e) {
    NetworkError(shown, e.what());
  }
}

}  // namespace storeflow::plugins::shopify
