#include "runtime/connection_deadline.h"

#include <sys/socket.h>

namespace storeflow::runtime {

ConnectionDeadline::ConnectionDeadline(int socket_fd, Clock::time_point deadline)
    : fd_(socket_fd), deadline_(deadline) {
  thread_ = std::thread([this] { Watch(); });
}

ConnectionDeadline::~ConnectionDeadline() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool ConnectionDeadline::expired() const {
  std::lock_guard lock(mu_);
  return expired_;
}

void ConnectionDeadline::Watch() {
  std::unique_lock lock(mu_);
  if (cv_.wait_until(lock, deadline_, [this] { return stop_; })) return;
  expired_ = true;
  // Only the descriptor is shut down (never closed): the owner closes it after
  // this guard is gone. shutdown(2) is safe while another thread reads it, and
  // for TLS it bypasses OpenSSL (whose state only the reading thread touches).
  ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace storeflow::runtime
