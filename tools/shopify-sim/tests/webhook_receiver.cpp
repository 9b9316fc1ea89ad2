#include "webhook_receiver.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <sstream>
#include <thread>

namespace storeflow::shopify_sim::testing {
namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<WebhookReceiver::State> state) : state_(std::move(state)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    ReceivedWebhook hook;
    for (const auto& [name, value] : request) hook.headers[name] = value;
    std::ostringstream body;
    Poco::StreamCopier::copyStream(request.stream(), body);
    hook.body = body.str();
    int status = 200;
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard lock(state_->mutex);
      state_->received.push_back(std::move(hook));
      if (!state_->answers.empty()) {
        status = state_->answers.front();
        state_->answers.pop_front();
      }
      if (!state_->delays.empty()) {
        delay = state_->delays.front();
        state_->delays.pop_front();
      }
    }
    if (delay.count() > 0) {
      std::unique_lock lock(state_->mutex);
      state_->wake.wait_for(lock, delay, [&] { return state_->stopping; });
    }
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentLength(0);
    response.send();
  }

 private:
  std::shared_ptr<WebhookReceiver::State> state_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<WebhookReceiver::State> state) : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(state_);
  }

 private:
  std::shared_ptr<WebhookReceiver::State> state_;
};

}  // namespace

WebhookReceiver::WebhookReceiver()
    : state_(std::make_shared<State>()), threads_(std::make_unique<Poco::ThreadPool>(2, 16)) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  port_ = socket.address().port();
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), *threads_, socket,
                                                    new Poco::Net::HTTPServerParams);
  server_->start();
}

WebhookReceiver::~WebhookReceiver() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  server_->stopAll(true);
  threads_->joinAll();
}

std::string WebhookReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void WebhookReceiver::AnswerNext(int status) {
  std::lock_guard lock(state_->mutex);
  state_->answers.push_back(status);
}

void WebhookReceiver::DelayNext(std::chrono::milliseconds delay) {
  std::lock_guard lock(state_->mutex);
  state_->delays.push_back(delay);
}

std::vector<ReceivedWebhook> WebhookReceiver::received() const {
  std::lock_guard lock(state_->mutex);
  return state_->received;
}

std::size_t WebhookReceiver::WaitFor(std::size_t count, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::size_t n = 0;
    {
      std::lock_guard lock(state_->mutex);
      n = state_->received.size();
    }
    if (n >= count || std::chrono::steady_clock::now() >= deadline) return n;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ExpectedHmac(const std::string& secret, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(reinterpret_cast<const char*>(digest), length);
  encoder.close();
  return out.str();
}

}  // namespace storeflow::shopify_sim::testing
