#pragma once

// The server's connection handling (see http/server.h for what it does and
// docs/adr/0008-own-http-listener.md for why): one thread running an epoll
// loop over non-blocking sockets, and one worker pool per route class.
// Internal to http/server.cpp.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <Poco/Net/ServerSocket.h>

#include "common/status.h"
#include "http/request_parser.h"
#include "http/response_writer.h"
#include "http/route_class.h"
#include "http/router.h"
#include "http/server.h"
#include "http/worker_pool.h"

namespace storeflow::http {

struct Connection;

class EventLoop {
 public:
  EventLoop(const Router& router, const ServerOptions& options);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Binds, listens and starts the loop thread and the worker pools.
  Status Start();
  std::uint16_t port() const { return port_; }
  // Stops accepting and closes the connections that have no request in flight.
  void BeginStop();
  // Ends the loop (closing every connection) and stops the worker pools.
  void Shutdown();
  int in_flight() const { return in_flight_.load(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Completion {
    std::uint64_t id = 0;
    std::string bytes;
    bool close = false;
  };

  void Run();
  void Wake();
  void AcceptAll(Clock::time_point now);
  void OnEvent(Connection& c, std::uint32_t events);
  void ReadSome(Connection& c);
  void Process(Connection& c);
  void Dispatch(Connection& c);
  // Runs on a worker: the router, then the response bytes back to the loop.
  void Handle(std::uint64_t id, Request& request, ResponseFraming framing,
              Clock::time_point started);
  // Answers an error from the loop and closes the connection after it.
  void Refuse(Connection& c, int status, const std::string& message,
              const std::string& retry_after = "");
  void StartWrite(Connection& c, std::string bytes, bool close);
  void TryWrite(Connection& c);
  void FinishWrite(Connection& c);
  void Linger(Connection& c);
  void Close(Connection& c);
  void SetInterest(Connection& c, std::uint32_t events);
  void TakeCompletions();
  void Sweep(Clock::time_point now);
  void StopAccepting();
  void Record(const std::string& method, const std::string& path, const std::string& route,
              int status, std::size_t bytes, Clock::time_point started,
              const std::string& request_id);

  const Router& router_;
  const ServerOptions options_;
  ParserLimits limits_;
  Poco::Net::ServerSocket listener_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::array<std::unique_ptr<WorkerPool>, kRouteClassCount> pools_;

  // Loop thread only.
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, int> per_client_;
  std::vector<std::uint64_t> closed_;  // erased at the end of the loop's turn
  std::uint64_t next_id_ = 2;          // 0: the listener, 1: the wake-up
  bool accepting_ = false;
  bool accept_paused_ = false;
  Clock::time_point accept_resume_at_{};
  Clock::time_point last_sweep_{};
  std::vector<char> read_buffer_;

  std::mutex completions_mutex_;
  std::vector<Completion> completions_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> quit_{false};
};

}  // namespace storeflow::http
