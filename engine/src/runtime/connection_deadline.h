#pragma once

// A wall-clock deadline over one outgoing connection that a slow peer cannot
// extend. Socket timeouts apply per operation, so a server that trickles one
// byte at a time would hold a worker for ever; this guard shuts the socket down
// (shutdown(2): blocked reads and writes return at once) when the deadline
// passes, wherever the caller is: TLS handshake, headers or body.
//
// One helper thread per guard, waiting on a condition variable; the destructor
// stops and joins it, so it must be destroyed BEFORE the socket is closed (the
// file descriptor cannot be reused under it).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace storeflow::runtime {

class ConnectionDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  ConnectionDeadline(int socket_fd, Clock::time_point deadline);
  ~ConnectionDeadline();
  ConnectionDeadline(const ConnectionDeadline&) = delete;
  ConnectionDeadline& operator=(const ConnectionDeadline&) = delete;

  // True once the deadline passed and the socket was shut down.
  bool expired() const;

 private:
  void Watch();

  const int fd_;
  const Clock::time_point deadline_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool expired_ = false;
  std::thread thread_;
};

}  // namespace storeflow::runtime
