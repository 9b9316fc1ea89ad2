#include "http/server.h"

#include <charconv>
#include <thread>

#include "http/event_loop.h"

namespace storeflow::http {

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

Server::Server(const Router& router, ServerOptions options)
    : router_(router), options_(std::move(options)) {}

Server::~Server() {
  Stop();
}

Status Server::Start() {
  if (loop_) return FailedPrecondition("the server is already started");
  auto loop = std::make_unique<EventLoop>(router_, options_);
  STOREFLOW_RETURN_IF_ERROR(loop->Start());
  bound_port_ = loop->port();
  loop_ = std::move(loop);
  return Status::Ok();
}

void Server::Stop() {
  if (!loop_ || stopped_) return;
  stopped_ = true;
  // Stop accepting and close idle connections; requests in flight finish and
  // are answered (at most shutdown_grace), then everything else is closed.
  loop_->BeginStop();
  const auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
  while (loop_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  loop_->Shutdown();
}

int Server::in_flight() const {
  return loop_ ? loop_->in_flight() : 0;
}

}  // namespace storeflow::http
