#include "http/server.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <random>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "common/metrics.h"

namespace storeflow::http {
namespace {

using Clock = std::chrono::steady_clock;

bool SaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
  });
}

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id(16, '0');
  std::uint64_t bits = random();
  for (char& c : id) {
    c = kDigits[bits & 15];
    bits >>= 4;
  }
  return id;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads at most `limit` + 1 bytes of the body; false when it is longer than `limit`.
bool ReadBody(std::istream& in, std::size_t limit, std::string& body) {
  char buffer[16384];
  while (in) {
    in.read(buffer, sizeof(buffer));
    const std::streamsize n = in.gcount();
    if (n <= 0) break;
    if (body.size() + static_cast<std::size_t>(n) > limit) return false;
    body.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(std::shared_ptr<Server::State> state) : state_(std::move(state)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    ++state_->in_flight;
    const auto started = Clock::now();
    Request request;
    Response response;
    std::string route = "unmatched";
    bool close = false;
    try {
      request.method = in.getMethod();
      const auto given_id = in.get("X-Request-Id", "");
      request.request_id = SaneRequestId(given_id) ? given_id : NewRequestId();
      request.remote_address = in.clientAddress().toString();
      response = Handle(in, request, route, close);
    } catch (const std::exception& e) {
      response = Response::Error(500, "internal", std::string("internal error: ") + e.what());
      close = true;
    }
    std::size_t bytes = response.body.size();
    try {
      out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
      for (const auto& [name, value] : response.headers) out.add(name, value);
      out.set("X-Request-Id", request.request_id);
      if (close || state_->stopping) out.setKeepAlive(false);
      out.setContentLength64(static_cast<Poco::Int64>(response.body.size()));
      out.sendBuffer(response.body.data(), response.body.size());
    } catch (const Poco::Exception&) {
      bytes = 0;  // the peer went away
    } catch (const std::exception&) {
      bytes = 0;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    auto& registry = metrics::Registry::Default();
    const std::string status = std::to_string(response.status);
    registry.CounterAdd("storeflow_http_requests_total",
                        {{"method", request.method}, {"route", route}, {"status", status}});
    registry.Observe("storeflow_http_request_duration_seconds", {{"route", route}}, seconds);
    if (state_->options.access_log) {
      char ms[32];
      std::snprintf(ms, sizeof(ms), "%.1f", seconds * 1000);
      state_->options.access_log(
          request.method + " " + (request.path.empty() ? std::string("-") : request.path) + " " +
          status + " " + std::to_string(bytes) + " " + ms + "ms " + request.request_id);
    }
    --state_->in_flight;
  }

 private:
  Response Handle(Poco::Net::HTTPServerRequest& in, Request& request, std::string& route,
                  bool& close) {
    try {
      Poco::URI uri(in.getURI());
      request.path = uri.getPath();
      request.query = uri.getRawQuery();
      if (!request.query.empty()) {
        for (auto& [name, value] : uri.getQueryParameters()) {
          request.query_params.emplace(std::move(name), std::move(value));
        }
      }
    } catch (const Poco::Exception& e) {
      close = true;
      return Response::Error(400, "bad_request", "malformed request target: " + e.displayText());
    }
    request.headers.reserve(in.size());
    for (const auto& [name, value] : in) request.headers.emplace_back(Lower(name), value);

    const std::size_t limit = state_->options.body_limit;
    const std::string limit_text = std::to_string(limit);
    if (in.hasContentLength() && in.getContentLength64() > static_cast<Poco::Int64>(limit)) {
      // Decided from the header alone: none of the body is read, and the
      // connection is closed after the answer.
      close = true;
      return Response::Error(413, "payload_too_large",
                             "the body is " + std::to_string(in.getContentLength64()) +
                                 " bytes; the limit is " + limit_text);
    }
    if (in.hasContentLength() || in.getChunkedTransferEncoding()) {
      if (in.hasContentLength()) {
        request.body.reserve(static_cast<std::size_t>(in.getContentLength64()));
      }
      if (!ReadBody(in.stream(), limit, request.body)) {
        close = true;
        return Response::Error(413, "payload_too_large",
                               "the body is longer than the limit of " + limit_text + " bytes");
      }
    }
    return state_->router->Dispatch(request, &route);
  }

  std::shared_ptr<Server::State> state_;
};

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(std::shared_ptr<Server::State> state) : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(state_);
  }

 private:
  std::shared_ptr<Server::State> state_;
};

}  // namespace

Status ParseListen(std::string_view text, ServerOptions& options) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("listen address '" + std::string(text) + "' is not HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return InvalidArgument("listen address '" + std::string(text) +
                           "': the port is a number from 0 to 65535");
  }
  options.host = host.empty() ? "0.0.0.0" : std::string(host);
  options.port = static_cast<std::uint16_t>(port);
  return Status::Ok();
}

Server::Server(const Router& router, ServerOptions options) : state_(std::make_shared<State>()) {
  state_->router = &router;
  state_->options = std::move(options);
}

Server::~Server() {
  Stop();
}

Status Server::Start() {
  if (server_) return FailedPrecondition("the server is already started");
  const ServerOptions& o = state_->options;
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(o.host, o.port), true);
    socket.listen(std::max(64, o.max_queued));
    bound_port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(o.threads);
    params->setMaxQueued(o.max_queued);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(o.keep_alive_timeout.count() * 1000));
    params->setMaxKeepAliveRequests(0);  // unlimited
    params->setTimeout(Poco::Timespan(30, 0));
    params->setServerName("storeflow");
    pool_ = std::make_unique<Poco::ThreadPool>(std::min(4, o.threads), o.threads + 2, 60);
    server_ =
        std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(state_), *pool_, socket, params);
    server_->start();
  } catch (const Poco::Exception& e) {
    server_.reset();
    pool_.reset();
    return Unavailable("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                       e.displayText());
  }
  return Status::Ok();
}

void Server::Stop() {
  if (!server_ || stopped_) return;
  stopped_ = true;
  state_->stopping = true;
  // Stop accepting; connections end after the request they are serving.
  server_->stopAll(false);
  const auto deadline = Clock::now() + state_->options.shutdown_grace;
  while (state_->in_flight.load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Idle keep-alive connections (and whatever outlived the grace) are closed.
  server_->stopAll(true);
  pool_->joinAll();
  server_.reset();
}

}  // namespace storeflow::http
