#pragma once

// A loopback HTTP server for the plugin's tests (Poco HTTPServer on 127.0.0.1,
// an ephemeral port): answers each request with the next scripted answer, or
// with what a handler function returns, and records what it received.

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace Poco::Net {
class HTTPServer;
}

namespace storeflow::plugins::shopify::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ScriptedAnswer {
  int status = 200;
  Headers headers;
  std::string body = "{}";
};

struct ReceivedRequest {
  std::string method;
  std::string uri;  // path and query as sent
  Headers headers;
  std::string body;
  std::string Header(const std::string& name) const;  // "" when absent
};

class ScriptedHttpServer {
 public:
  using Handler = std::function<ScriptedAnswer(const ReceivedRequest&)>;

  ScriptedHttpServer();
  ~ScriptedHttpServer();
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  std::string url() const;  // http://127.0.0.1:PORT
  void Push(ScriptedAnswer answer);
  void SetHandler(Handler handler);  // used once the scripted answers are used up
  std::vector<ReceivedRequest> Received() const;

  // Called by the server's threads.
  ScriptedAnswer Answer(const ReceivedRequest& request);

 private:
  mutable std::mutex mu_;
  std::deque<ScriptedAnswer> script_;
  Handler handler_;
  std::vector<ReceivedRequest> received_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

}  // namespace storeflow::plugins::shopify::testing
