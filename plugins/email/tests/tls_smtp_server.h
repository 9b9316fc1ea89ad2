#pragma once

// A minimal SMTP server speaking implicit TLS (port-465 style) with a certificate
// made for the test by the openssl command line tool: the recording peer has no
// TLS port and an expired built-in certificate, so `smtp.tls` and `smtp.ca_file`
// are tested against this one. One session at a time; records what it received.
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace storeflow::plugins::email::testing {

class TlsSmtpServer {
 public:
  // Writes key.pem and cert.pem (CN and SAN localhost/127.0.0.1) into `dir` and
  // listens on 127.0.0.1. Throws std::runtime_error when openssl fails.
  explicit TlsSmtpServer(const std::filesystem::path& dir);
  ~TlsSmtpServer();
  TlsSmtpServer(const TlsSmtpServer&) = delete;
  TlsSmtpServer& operator=(const TlsSmtpServer&) = delete;

  int port() const { return port_; }
  std::string cert_file() const { return (dir_ / "cert.pem").string(); }
  // The DATA of every accepted message, and the commands seen.
  std::vector<std::string> Messages() const;
  std::vector<std::string> Commands() const;

 private:
  struct Impl;
  void Serve();

  std::filesystem::path dir_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
  std::vector<std::string> commands_;
  std::thread thread_;
};

}  // namespace storeflow::plugins::email::testing
