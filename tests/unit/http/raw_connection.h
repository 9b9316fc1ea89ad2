#pragma once

// A plain TCP client for the listener tests: it sends exactly the bytes a test
// gives (partial heads, pipelined requests), from a chosen loopback address,
// and reads with a bounded wait. Only loopback addresses are accepted.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <string_view>

namespace storeflow::http::testing {

class RawConnection {
 public:
  // Connects to 127.0.0.1:port from `from` (any 127.x.y.z address; port 0).
  RawConnection(std::uint16_t port, const std::string& from = "127.0.0.1") {
    if (from.rfind("127.", 0) != 0) return;  // loopback only
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof(server)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  RawConnection(RawConnection&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

  bool connected() const { return fd_ >= 0; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until the server closes, `marker` has arrived (when not empty), or
  // `timeout` passes. closed() tells whether the server closed.
  std::string Read(std::chrono::milliseconds timeout, std::string_view marker = {}) {
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!marker.empty() && received.find(marker) != std::string::npos) return received;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return received;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        closed_ = true;
        return received;
      }
      received.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // True while the server keeps the connection open (nothing to read, no EOF).
  bool StillOpen() {
    char byte;
    const ssize_t n = ::recv(fd_, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
};

// "GET PATH HTTP/1.1" with Host and the given extra header lines.
inline std::string GetRequest(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra) +
         "\r\n";
}

}  // namespace storeflow::http::testing
