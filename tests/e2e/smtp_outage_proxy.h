#pragma once

// A loopback TCP forwarder in front of the SMTP test peer that an end-to-end test
// can turn "down": while down, every new connection gets `421 4.3.2` and is
// closed (a transient SMTP failure: the email plugin's smtp_421, retryable), so a
// test makes the email transport fail for a stretch of its own choosing without
// touching the shared peer. While up it forwards bytes both ways unchanged
// (STARTTLS and AUTH pass through).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace storeflow::e2e {

class SmtpOutageProxy {
 public:
  SmtpOutageProxy() = default;
  SmtpOutageProxy(const SmtpOutageProxy&) = delete;
  SmtpOutageProxy& operator=(const SmtpOutageProxy&) = delete;
  ~SmtpOutageProxy() { Stop(); }

  // Listens on 127.0.0.1 and an ephemeral port; false when it cannot.
  bool Start(std::uint16_t upstream_port) {
    upstream_port_ = upstream_port;
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listener_ < 0) return false;
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listener_, 64) != 0) {
      return false;
    }
    socklen_t length = sizeof(address);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    accepter_ = std::thread([this] { AcceptLoop(); });
    return true;
  }

  void Stop() {
    if (stopping_.exchange(true)) return;
    if (accepter_.joinable()) accepter_.join();
    if (listener_ >= 0) ::close(listener_);
    std::vector<std::thread> pumps;
    {
      std::lock_guard lock(mu_);
      pumps.swap(pumps_);
    }
    for (auto& t : pumps) t.join();
  }

  void set_down(bool down) { down_ = down; }
  std::uint16_t port() const { return port_; }
  int refused() const { return refused_; }  // connections answered 421

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      if (down_) {
        static const std::string kBusy = "421 4.3.2 Service not available (test outage)\r\n";
        (void)!::write(client, kBusy.data(), kBusy.size());
        ::close(client);
        ++refused_;
        continue;
      }
      std::lock_guard lock(mu_);
      pumps_.emplace_back([this, client] { Pump(client); });
    }
  }

  void Pump(int client) {
    const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(upstream_port_);
    if (upstream < 0 ||
        ::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(client);
      if (upstream >= 0) ::close(upstream);
      return;
    }
    char buffer[16384];
    pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    while (!stopping_) {
      if (::poll(fds, 2, 100) <= 0) continue;
      bool closed = false;
      for (int i = 0; i < 2 && !closed; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
        if (n <= 0) {
          closed = true;
          break;
        }
        const int to = fds[1 - i].fd;
        for (ssize_t sent = 0; sent < n;) {
          const ssize_t w = ::write(to, buffer + sent, static_cast<std::size_t>(n - sent));
          if (w <= 0) {
            closed = true;
            break;
          }
          sent += w;
        }
      }
      if (closed) break;
    }
    ::close(client);
    ::close(upstream);
  }

  std::uint16_t upstream_port_ = 0;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<bool> down_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int> refused_{0};
  std::thread accepter_;
  std::mutex mu_;
  std::vector<std::thread> pumps_;
};

}  // namespace storeflow::e2e
