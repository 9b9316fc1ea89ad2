// The listener's limits over real sockets on 127.0.0.1: deadlines, connection
// caps, keep-alive limits, per-class capacity with 503 when full, graceful
// stop, the access log's escaping and the 500 that hides the detail. A bare
// Router with small handlers stands in front of the server here (no engine):
// what is tested is the connection handling, the same for every handler.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "common/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "raw_connection.h"

namespace storeflow::http::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Answer {
  int status = 0;
  std::string retry_after;
  std::string body;
};

// One request over a fresh connection with a bounded wait; status 0 on failure.
Answer Call(std::uint16_t port, const std::string& method, const std::string& path,
            std::chrono::seconds timeout = 5s) {
  Answer answer;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout.count()), 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (method == "POST") request.setContentLength64(2);
    session.sendRequest(request) << (method == "POST" ? "{}" : "");
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    answer.status = static_cast<int>(response.getStatus());
    answer.retry_after = response.get("Retry-After", "");
    Poco::StreamCopier::copyToString(in, answer.body);
  } catch (const std::exception& e) {
    answer.body = e.what();
  }
  return answer;
}

class ListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.host = "127.0.0.1";
    options_.port = 0;
    options_.shutdown_grace = 5s;
    options_.access_log = [this](const std::string& line) {
      std::lock_guard lock(log_mutex_);
      access_log_.push_back(line);
    };
    options_.error_log = [this](const std::string& line) {
      std::lock_guard lock(log_mutex_);
      error_log_.push_back(line);
    };
    auto quick = [](Request&) { return Response::JsonBody(200, Json{{"marker", "done-marker"}}); };
    ASSERT_TRUE(router_.Add("GET", "/healthz", quick).ok());
    ASSERT_TRUE(router_.Add("GET", "/readyz", quick).ok());
    ASSERT_TRUE(router_.Add("POST", "/webhooks/{source}", quick).ok());
    ASSERT_TRUE(router_.Add("POST", "/slow", [this](Request&) { return Blocked(); }).ok());
    ASSERT_TRUE(router_
                    .Add("GET", "/boom",
                         [](Request&) -> Response {
                           throw std::runtime_error("secret detail of the failure");
                         })
                    .ok());
  }

  void TearDown() override {
    OpenGate();
    if (server_) server_->Stop();
  }

  void Start() {
    server_ = std::make_unique<Server>(router_, options_);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    port_ = server_->port();
  }

  // A handler that waits (at most 10 s) until the test opens the gate.
  Response Blocked() {
    ++waiting_;
    std::unique_lock lock(gate_mutex_);
    gate_changed_.wait_for(lock, 10s, [this] { return gate_open_; });
    return Response::JsonBody(200, Json{{"marker", "done-marker"}});
  }
  void OpenGate() {
    {
      std::lock_guard lock(gate_mutex_);
      gate_open_ = true;
    }
    gate_changed_.notify_all();
  }
  // Waits (at most 5 s) until `n` handlers are blocked.
  bool WaitForBlocked(int n) {
    const auto deadline = Clock::now() + 5s;
    while (waiting_.load() < n && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    return waiting_.load() >= n;
  }

  std::vector<std::string> AccessLog() {
    std::lock_guard lock(log_mutex_);
    return access_log_;
  }
  std::vector<std::string> ErrorLog() {
    std::lock_guard lock(log_mutex_);
    return error_log_;
  }

  Router router_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
  std::mutex gate_mutex_;
  std::condition_variable gate_changed_;
  bool gate_open_ = false;
  std::atomic<int> waiting_{0};
  std::mutex log_mutex_;
  std::vector<std::string> access_log_;
  std::vector<std::string> error_log_;
};

int CountOf(const std::string& text, std::string_view what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(ListenerTest, AnUnfinishedHeadIsAnswered408AtTheHeaderTimeout) {
  options_.header_timeout = 300ms;
  Start();
  RawConnection slow(port_);
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  const auto started = Clock::now();
  const std::string answer = slow.Read(4s);
  EXPECT_TRUE(slow.closed()) << answer;
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  EXPECT_LT(Clock::now() - started, 3s);
}

TEST_F(ListenerTest, AConnectionThatSendsNothingIsClosedAtTheHeaderTimeout) {
  options_.header_timeout = 300ms;
  Start();
  RawConnection silent(port_);
  ASSERT_TRUE(silent.connected());
  const std::string answer = silent.Read(4s);
  EXPECT_TRUE(silent.closed());
  EXPECT_TRUE(answer.empty()) << answer;
}

TEST_F(ListenerTest, AnUnfinishedBodyIsAnswered408AtTheBodyTimeout) {
  options_.body_timeout = 300ms;
  Start();
  RawConnection slow(port_);
  ASSERT_TRUE(
      slow.Send("POST /webhooks/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nabc"));
  const std::string answer = slow.Read(4s);
  EXPECT_TRUE(slow.closed());
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
}

TEST_F(ListenerTest, PerClientCapRefusesTheNextConnectionFromThatAddressOnly) {
  options_.max_connections_per_client = 3;
  Start();
  const double refused_before = metrics::Registry::Default().Value(
      "storeflow_http_connections_refused_total", {{"reason", "per_client"}});
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>(port_, "127.0.0.2"));
    ASSERT_TRUE(held.back()->connected());
  }
  RawConnection extra(port_, "127.0.0.2");
  ASSERT_TRUE(extra.connected());  // the kernel accepts; the server closes it at once
  EXPECT_TRUE(extra.Read(3s).empty());
  EXPECT_TRUE(extra.closed());
  EXPECT_EQ(metrics::Registry::Default().Value("storeflow_http_connections_refused_total",
                                               {{"reason", "per_client"}}),
            refused_before + 1);
  // Another address is served, and so are the connections within the cap.
  EXPECT_EQ(Call(port_, "GET", "/healthz").status, 200);
  ASSERT_TRUE(held[0]->Send(GetRequest("/healthz")));
  EXPECT_NE(held[0]->Read(3s, "done-marker").find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(ListenerTest, MaxConnectionsRefusesTheNextConnection) {
  options_.max_connections = 16;
  Start();
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 16; ++i) {
    held.push_back(std::make_unique<RawConnection>(port_, "127.0.1." + std::to_string(1 + i % 4)));
    ASSERT_TRUE(held.back()->connected());
  }
  // The loop accepts in order: once the 16 are counted, the 17th is closed.
  std::this_thread::sleep_for(100ms);
  RawConnection extra(port_, "127.0.1.9");
  EXPECT_TRUE(extra.Read(3s).empty());
  EXPECT_TRUE(extra.closed());
  held.clear();
}

TEST_F(ListenerTest, KeepAliveServesPipelinedRequestsUpToTheLimitThenCloses) {
  options_.max_keep_alive_requests = 3;
  Start();
  RawConnection client(port_);
  std::string three;
  for (int i = 0; i < 3; ++i) three += GetRequest("/healthz");
  ASSERT_TRUE(client.Send(three));
  const std::string answer = client.Read(4s);
  EXPECT_TRUE(client.closed());
  EXPECT_EQ(CountOf(answer, "HTTP/1.1 200"), 3) << answer;
  EXPECT_EQ(CountOf(answer, "Connection: close"), 1) << answer;
}

TEST_F(ListenerTest, AnIdleKeepAliveConnectionIsClosedAfterTheKeepAliveTimeout) {
  options_.keep_alive_timeout = 300ms;
  Start();
  RawConnection client(port_);
  ASSERT_TRUE(client.Send(GetRequest("/healthz")));
  EXPECT_NE(client.Read(3s, "done-marker").find("HTTP/1.1 200"), std::string::npos);
  EXPECT_FALSE(client.closed());
  client.Read(4s);
  EXPECT_TRUE(client.closed());
}

TEST_F(ListenerTest, AFullQueueIsAnswered503WithRetryAfterAtOnce) {
  options_.rest_pool = {1, 0};
  options_.threads = 1;
  Start();
  Answer first;
  std::thread caller([&] { first = Call(port_, "POST", "/slow", 15s); });
  ASSERT_TRUE(WaitForBlocked(1));
  const double full_before =
      metrics::Registry::Default().Value("storeflow_http_queue_full_total", {{"class", "rest"}});
  const Answer second = Call(port_, "POST", "/slow", 3s);
  EXPECT_EQ(second.status, 503) << second.body;
  EXPECT_EQ(second.retry_after, "1");
  EXPECT_NE(second.body.find("overloaded"), std::string::npos) << second.body;
  EXPECT_EQ(
      metrics::Registry::Default().Value("storeflow_http_queue_full_total", {{"class", "rest"}}),
      full_before + 1);
  OpenGate();
  caller.join();
  EXPECT_EQ(first.status, 200) << first.body;
}

TEST_F(ListenerTest, FullRestTriggerWorkersDoNotHoldWebhooksOrHealth) {
  // Two workers for REST triggers (`threads`, the old key: on the old server
  // it was every connection's thread), both held by slow handlers.
  options_.threads = 2;
  options_.rest_pool.queue = 0;
  Start();
  std::vector<std::thread> callers;
  std::vector<Answer> slow(2);
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back(
        [&, i] { slow[static_cast<std::size_t>(i)] = Call(port_, "POST", "/slow", 15s); });
  }
  ASSERT_TRUE(WaitForBlocked(2));
  // Answered while both REST handlers are still blocked.
  EXPECT_EQ(Call(port_, "POST", "/webhooks/shopify", 3s).status, 200);
  EXPECT_EQ(Call(port_, "GET", "/readyz", 3s).status, 200);
  EXPECT_EQ(Call(port_, "POST", "/slow", 3s).status, 503);
  OpenGate();
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(slow[0].status, 200);
  EXPECT_EQ(slow[1].status, 200);
}

TEST_F(ListenerTest, GracefulStopClosesIdleConnectionsAndFinishesTheRequestInFlight) {
  Start();
  RawConnection idle(port_);
  ASSERT_TRUE(idle.Send(GetRequest("/healthz")));
  ASSERT_NE(idle.Read(3s, "done-marker").find("HTTP/1.1 200"), std::string::npos);
  Answer in_flight;
  std::thread caller([&] { in_flight = Call(port_, "POST", "/slow", 15s); });
  ASSERT_TRUE(WaitForBlocked(1));
  std::thread stopper([&] { server_->Stop(); });
  // The idle connection is closed while the request in flight still runs.
  idle.Read(3s);
  EXPECT_TRUE(idle.closed());
  EXPECT_EQ(server_->in_flight(), 1);
  OpenGate();
  caller.join();
  stopper.join();
  EXPECT_EQ(in_flight.status, 200) << in_flight.body;
  EXPECT_EQ(Call(port_, "GET", "/healthz", 2s).status, 0);  // not accepting
}

TEST_F(ListenerTest, AHandlerFailureIs500WithTheRequestIdAndTheDetailOnlyInTheLog) {
  Start();
  RawConnection client(port_);
  ASSERT_TRUE(client.Send(GetRequest("/boom", "X-Request-Id: boom-1\r\n")));
  const std::string answer = client.Read(4s);
  EXPECT_EQ(answer.rfind("HTTP/1.1 500", 0), 0u) << answer;
  EXPECT_EQ(answer.find("secret detail"), std::string::npos) << answer;
  EXPECT_NE(answer.find("boom-1"), std::string::npos) << answer;
  const auto errors = ErrorLog();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("secret detail of the failure"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("boom-1"), std::string::npos) << errors[0];
}

TEST_F(ListenerTest, TheAccessLogEscapesThePath) {
  Start();
  RawConnection client(port_);
  ASSERT_TRUE(client.Send(GetRequest("/x%0A200%20GET%20/forged%0D%1B[2J")));
  EXPECT_NE(client.Read(3s, "not_found").find("HTTP/1.1 404"), std::string::npos);
  const auto deadline = Clock::now() + 3s;
  while (AccessLog().empty() && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  const auto lines = AccessLog();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("/x%0A200%20GET%20/forged%0D%1B[2J 404"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find_first_of("\r\n\x1b"), std::string::npos);
}

TEST_F(ListenerTest, AmbiguousFramingIsRefusedWith400AndTheConnectionClosed) {
  Start();
  RawConnection smuggle(port_);
  ASSERT_TRUE(smuggle.Send(
      "POST /webhooks/x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"));
  const std::string answer = smuggle.Read(4s);
  EXPECT_TRUE(smuggle.closed());
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_EQ(CountOf(answer, "HTTP/1.1"), 1) << answer;  // the smuggled GET is not served
}

TEST_F(ListenerTest, ExpectContinueGets100ThenTheAnswer) {
  Start();
  RawConnection client(port_);
  ASSERT_TRUE(client.Send(
      "POST /webhooks/x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"));
  EXPECT_EQ(client.Read(3s, "\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(client.Send("{}"));
  EXPECT_NE(client.Read(3s, "done-marker").find("HTTP/1.1 200"), std::string::npos);
}

}  // namespace
}  // namespace storeflow::http::testing
