#pragma once

// A loopback HTTP receiver for webhook deliveries in tests: records each request
// (headers, raw body) and answers the statuses queued with AnswerNext (200 otherwise).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Poco {
class ThreadPool;
}
namespace Poco::Net {
class HTTPServer;
}

namespace storeflow::shopify_sim::testing {

struct ReceivedWebhook {
  std::map<std::string, std::string> headers;  // names as sent
  std::string body;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class WebhookReceiver {
 public:
  WebhookReceiver();  // listens on 127.0.0.1 and a free port
  ~WebhookReceiver();

  std::string url(const std::string& path = "/hooks") const;
  void AnswerNext(int status);
  // The next request is answered only after `delay` (to test the 5 s answer timeout).
  void DelayNext(std::chrono::milliseconds delay);
  std::vector<ReceivedWebhook> received() const;
  // Waits until `count` requests arrived or `timeout` passed; the number received.
  std::size_t WaitFor(std::size_t count, std::chrono::milliseconds timeout) const;

  struct State {
    mutable std::mutex mutex;
    std::vector<ReceivedWebhook> received;
    std::deque<int> answers;
    std::deque<std::chrono::milliseconds> delays;
    std::condition_variable wake;  // a delayed answer ends early when stopping
    bool stopping = false;
  };

 private:
  std::shared_ptr<State> state_;
  // Its own threads, joined by the destructor: no handler outlives the receiver
  // (a delayed one would otherwise run on into the process's exit).
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
};

// base64(HMAC-SHA256(secret, body)), computed here independently of the simulator.
std::string ExpectedHmac(const std::string& secret, const std::string& body);

}  // namespace storeflow::shopify_sim::testing
