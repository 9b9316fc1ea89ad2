#include "tls_smtp_server.h"

#include <cstdlib>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/DialogSocket.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>

namespace storeflow::plugins::email::testing {

struct TlsSmtpServer::Impl {
  explicit Impl(Poco::Net::Context::Ptr ctx)
      : context(ctx), server(Poco::Net::SocketAddress("127.0.0.1", 0), 16, ctx) {}
  Poco::Net::Context::Ptr context;
  Poco::Net::SecureServerSocket server;
};

TlsSmtpServer::TlsSmtpServer(const std::filesystem::path& dir) : dir_(dir) {
  std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
      (dir_ / "key.pem").string() + "' -out '" + (dir_ / "cert.pem").string() + "' >'" +
      (dir_ / "openssl.out").string() + "' 2>&1";
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("openssl could not make a test certificate (see " +
                             (dir_ / "openssl.out").string() + ")");
  }
  impl_ = std::make_unique<Impl>(
      new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, (dir_ / "key.pem").string(),
                             (dir_ / "cert.pem").string(), "", Poco::Net::Context::VERIFY_NONE));
  port_ = impl_->server.address().port();
  thread_ = std::thread([this] { Serve(); });
}

TlsSmtpServer::~TlsSmtpServer() {
  stop_ = true;
  thread_.join();
}

std::vector<std::string> TlsSmtpServer::Messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::vector<std::string> TlsSmtpServer::Commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

void TlsSmtpServer::Serve() {
  while (!stop_) {
    try {
      if (!impl_->server.poll(Poco::Timespan(0, 100000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::DialogSocket session(impl_->server.acceptConnection());
      session.setReceiveTimeout(Poco::Timespan(5, 0));
      session.sendMessage("220 tls-test ready");
      std::string line;
      while (session.receiveMessage(line)) {
        {
          std::lock_guard lock(mutex_);
          commands_.push_back(line);
        }
        std::string verb = line.substr(0, 4);
        if (verb == "EHLO") {
          session.sendString("250-tls-test\r\n250 AUTH PLAIN LOGIN\r\n");
        } else if (verb == "AUTH") {
          session.sendMessage("235 2.7.0 ok");
        } else if (verb == "DATA") {
          session.sendMessage("354 go ahead");
          std::string data;
          while (session.receiveMessage(line) && line != ".") data += line + "\r\n";
          {
            std::lock_guard lock(mutex_);
            messages_.push_back(data);
          }
          session.sendMessage("250 2.0.0 queued");
        } else if (verb == "QUIT") {
          session.sendMessage("221 bye");
          break;
        } else {
          session.sendMessage("250 ok");
        }
      }
    } catch (const Poco::Exception&) {
      // A client that failed the handshake or went away: wait for the next one.
    }
  }
}

}  // namespace storeflow::plugins::email::testing
