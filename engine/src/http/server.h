#pragma once

// The HTTP server (docs/adr/0008-own-http-listener.md). One event-loop thread
// (epoll, non-blocking sockets) accepts connections, reads each request with
// the incremental parser (http/request_parser.h) and writes the responses; a
// connection costs a worker thread only while its request is being handled,
// never while its bytes trickle in, while its response is read slowly, or
// while it is idle. Complete requests go to the worker pool of their route
// class (http/route_class.h: webhooks, admin and health, REST triggers), each
// with a bounded queue: a full queue is answered 503 with Retry-After at once,
// by the loop, so one class cannot starve another.
//
// The loop enforces deadlines (the head within header_timeout of the
// connection's accept or of the first byte after a keep-alive pause, the body
// within body_timeout, the response taken within body_timeout, an idle
// keep-alive connection closed after keep_alive_timeout, at most
// max_keep_alive_requests per connection) and caps (max_connections in all,
// max_connections_per_client per remote address; the excess is accepted and
// closed at once).
//
// Per request, as before: a request id (X-Request-Id kept when sane, else
// generated; echoed), one access-log line (http/access_log.h: the path
// escaped), the HTTP metrics by route and status, the body limit (a
// Content-Length over it is answered 413 before any of the body is read; a
// chunked body as soon as it passes the limit). A handler that throws is
// answered 500 with the request id only; the detail goes to error_log.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "http/route_class.h"
#include "http/router.h"

namespace storeflow::http {

class EventLoop;

// One route class's capacity: worker threads and requests that may wait for one.
struct PoolOptions {
  int workers = 1;
  int queue = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: an ephemeral port (see Server::port)
  std::size_t body_limit = std::size_t{5} * 1024 * 1024;
  std::size_t head_limit = 64 * 1024;  // request line + headers: 431 above it

  // Capacity per route class (http/route_class.h).
  PoolOptions webhook_pool{64, 1024};
  PoolOptions admin_pool{8, 64};
  PoolOptions rest_pool{64, 256};
  // The former `http.threads`: when > 0, the REST-trigger pool's workers.
  int threads = 0;

  int max_connections = 1024;            // open connections in all
  int max_connections_per_client = 256;  // open connections per remote address
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds keep_alive_timeout{10'000};
  int max_keep_alive_requests = 1000;  // per connection; 0: no limit
  std::chrono::milliseconds shutdown_grace{10'000};
  int listen_backlog = 1024;

  // One line per request; nullptr: no access log.
  std::function<void(const std::string&)> access_log;
  // Errors a caller does not see (what a handler threw); nullptr: stderr.
  std::function<void(const std::string&)> error_log;
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
  // Graceful: stops accepting and closes idle connections, lets requests in
  // flight finish and their responses be written (at most shutdown_grace),
  // then closes the rest. Idempotent.
  void Stop();
  // Requests being handled or answered now.
  int in_flight() const;

 private:
  const Router& router_;
  ServerOptions options_;
  std::unique_ptr<EventLoop> loop_;
  std::uint16_t bound_port_ = 0;
  bool stopped_ = false;
};

}  // namespace storeflow::http
