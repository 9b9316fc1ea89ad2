#include "scripted_http_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>

#include <strings.h>

namespace storeflow::plugins::shopify::testing {
namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(ScriptedHttpServer& server) : server_(server) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    ReceivedRequest received;
    received.method = request.getMethod();
    received.uri = request.getURI();
    for (const auto& [name, value] : request) received.headers.emplace_back(name, value);
    Poco::StreamCopier::copyToString(request.stream(), received.body);
    ScriptedAnswer answer = server_.Answer(received);
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    for (const auto& [name, value] : answer.headers) response.set(name, value);
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
    response.send() << answer.body;
  }

 private:
  ScriptedHttpServer& server_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(ScriptedHttpServer& server) : server_(server) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(server_);
  }

 private:
  ScriptedHttpServer& server_;
};

}  // namespace

std::string ReceivedRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  }
  return "";
}

ScriptedHttpServer::ScriptedHttpServer() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  params->setKeepAlive(false);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
  server_->start();
}

ScriptedHttpServer::~ScriptedHttpServer() {
  server_->stopAll(true);
}

std::string ScriptedHttpServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void ScriptedHttpServer::Push(ScriptedAnswer answer) {
  std::lock_guard lock(mu_);
  script_.push_back(std::move(answer));
}

void ScriptedHttpServer::SetHandler(Handler handler) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

std::vector<ReceivedRequest> ScriptedHttpServer::Received() const {
  std::lock_guard lock(mu_);
  return received_;
}

ScriptedAnswer ScriptedHttpServer::Answer(const ReceivedRequest& request) {
  Handler handler;
  {
    std::lock_guard lock(mu_);
    received_.push_back(request);
    if (!script_.empty()) {
      ScriptedAnswer next = std::move(script_.front());
      script_.pop_front();
      return next;
    }
    handler = handler_;
  }
  if (handler) return handler(request);
  return ScriptedAnswer{404, {}, R"({"errors":"Not Found"})"};
}

}  // namespace storeflow::plugins::shopify::testing
