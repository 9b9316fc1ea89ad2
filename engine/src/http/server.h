#pragma once

// The HTTP server: Poco::Net::HTTPServer with one request-handler factory that
// converts each Poco request into an http::Request, dispatches it through the
// Router and writes the http::Response back. Per request: a request id
// (X-Request-Id kept when sane, else generated; echoed in the response), one
// access-log line (method, path, status, bytes, ms, request id; never headers
// or the query), HTTP metrics by route and status, and the body limit: a
// Content-Length over it is answered 413 before any of the body is read; a
// chunked body is cut off (413) as soon as it passes the limit.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "http/router.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}  // namespace Net
}  // namespace Poco

namespace storeflow::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: an ephemeral port (see Server::port)
  std::size_t body_limit = std::size_t{5} * 1024 * 1024;
  int threads = 128;  // connections served at once (keep-alive holds one each)
  int max_queued = 1024;
  std::chrono::milliseconds shutdown_grace{10'000};
  std::chrono::milliseconds keep_alive_timeout{10'000};
  // One line per request; nullptr: no access log.
  std::function<void(const std::string&)> access_log;
};

// Parses "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces).
Status ParseListen(std::string_view text, ServerOptions& options);

class Server {
 public:
  // `router` must outlive the server and not change once it has started.
  Server(const Router& router, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving. Unavailable when the address cannot be bound.
  Status Start();
  // The bound port (after Start).
  std::uint16_t port() const { return bound_port_; }
  // Graceful: stops accepting, lets requests in flight finish (at most
  // shutdown_grace), then closes idle keep-alive connections. Idempotent.
  void Stop();
  // Requests being handled now.
  int in_flight() const { return state_->in_flight.load(); }

  // Shared with the per-request handlers.
  struct State {
    const Router* router = nullptr;
    ServerOptions options;
    std::atomic<int> in_flight{0};
    std::atomic<bool> stopping{false};
  };

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t bound_port_ = 0;
  bool stopped_ = false;
};

}  // namespace storeflow::http
