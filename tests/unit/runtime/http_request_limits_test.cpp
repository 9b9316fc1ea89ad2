// `http.request` invoked directly against servers on 127.0.0.1 (never another
// address): the allow list by host name through a test resolver, the response
// size cap, the total deadline against servers that trickle, and header names
// and values with line breaks refused before anything is sent. Every server
// here stops itself within a few seconds whatever the client does.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/http_action.h"

namespace storeflow::runtime {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::atomic<int> requests{0};
std::atomic<bool> stopping{false};

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    ++requests;
    const std::string path = request.getURI();
    if (path == "/huge") {  // an endless body (bounded at 64 MiB, or until the client goes)
      response.setChunkedTransferEncoding(true);
      std::ostream& out = response.send();
      const std::string block(16 * 1024, 'x');
      for (int i = 0; i < 4096 && out && !stopping; ++i) out << block;
      return;
    }
    if (path == "/declared-huge") {  // says 1 GiB, sends a little
      response.setContentLength64(std::int64_t{1} << 30);
      response.send() << std::string(1024, 'x');
      return;
    }
    if (path == "/trickle") {  // one byte every 100 ms, 10 s at most
      response.setContentLength(100);
      std::ostream& out = response.send();
      for (int i = 0; i < 100 && out && !stopping; ++i) {
        out << 'x' << std::flush;
        std::this_thread::sleep_for(milliseconds(100));
      }
      return;
    }
    response.setContentType("application/json");
    response.send() << Json{{"host", request.getHost()}, {"path", path}}.dump();
  }
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler;
  }
};

// Names -> addresses for the action, so that no test looks a name up in the DNS.
class TestResolver final : public HostResolver {
 public:
  Result<std::vector<Poco::Net::IPAddress>> Resolve(const std::string& host) const override {
    if (auto numeric = ParseNumericHost(host)) return std::vector<Poco::Net::IPAddress>{*numeric};
    if (host == "api.test") return std::vector{Poco::Net::IPAddress::parse("127.0.0.1")};
    return NotFound("host '" + host + "' not found");
  }
};

class HttpRequestLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    requests = 0;
    stopping = false;
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory, socket, params);
    server_->start();
  }
  void TearDown() override {
    stopping = true;
    server_->stopAll(true);
  }

  // The options of a test: loopback allowed by address unless `allow` says otherwise.
  HttpClientOptions Options(const std::vector<std::string>& allow = {"127.0.0.1"}) const {
    auto egress = EgressPolicy::FromAllowList(allow);
    EXPECT_TRUE(egress.ok()) << egress.status().ToString();
    HttpClientOptions options;
    options.egress = std::move(*egress);
    options.egress.set_resolver(std::make_shared<TestResolver>());
    return options;
  }

  ActionResult Call(const HttpClientOptions& options, Json input) const {
    ActionContext context;
    context.idempotency_key = "test/1/call";
    return MakeHttpRequestAction(options)->Invoke(input, context);
  }

  std::string Url(const std::string& host, const std::string& path) const {
    return "http://" + host + ":" + std::to_string(port_) + path;
  }

  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

TEST_F(HttpRequestLimitsTest, AHostNameOnTheAllowListIsReachedWithItsOwnHostHeader) {
  const ActionResult denied = Call(Options({}), {{"url", Url("api.test", "/echo")}});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "egress_denied");
  EXPECT_TRUE(denied.error().permanent());
  EXPECT_EQ(requests.load(), 0);

  const ActionResult allowed = Call(Options({"api.test"}), {{"url", Url("api.test", "/echo")}});
  ASSERT_TRUE(allowed.ok()) << allowed.error().code << ": " << allowed.error().message;
  EXPECT_EQ(allowed.output()["status"], 200);
  // Connected to the checked address, but the Host header is still the URL's.
  EXPECT_EQ(allowed.output()["body"]["host"], "api.test:" + std::to_string(port_));
  EXPECT_EQ(requests.load(), 1);
}

TEST_F(HttpRequestLimitsTest, AnAnswerLargerThanTheCapFailsPermanently) {
  HttpClientOptions options = Options();
  options.max_response_bytes = 64 * 1024;
  const ActionResult endless = Call(options, {{"url", Url("127.0.0.1", "/huge")}});
  ASSERT_FALSE(endless.ok());
  EXPECT_EQ(endless.error().code, "response_too_large");
  EXPECT_TRUE(endless.error().permanent());
  EXPECT_EQ(endless.error().message,
            "the answer of 127.0.0.1 is larger than 64KiB (http_client.max_response_bytes)");

  const ActionResult declared = Call(options, {{"url", Url("127.0.0.1", "/declared-huge")}});
  ASSERT_FALSE(declared.ok());
  EXPECT_EQ(declared.error().code, "response_too_large");

  const ActionResult small = Call(options, {{"url", Url("127.0.0.1", "/echo")}});
  EXPECT_TRUE(small.ok());
}

TEST_F(HttpRequestLimitsTest, ATricklingBodyIsCutAtTheTotalDeadline) {
  HttpClientOptions options = Options();
  options.total_timeout = milliseconds(500);
  const auto started = steady_clock::now();
  const ActionResult result = Call(options, {{"url", Url("127.0.0.1", "/trickle")}});
  const auto elapsed = steady_clock::now() - started;
  ASSERT_FALSE(result.ok()) << result.output().dump();
  EXPECT_EQ(result.error().code, "timeout");
  EXPECT_FALSE(result.error().permanent());
  EXPECT_NE(result.error().message.find("within 500 ms"), std::string::npos)
      << result.error().message;
  // Cut near 500 ms, not after the 10 s the server would trickle for.
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(HttpRequestLimitsTest, TimeoutMsShortensTheDeadline) {
  const ActionResult result =
      Call(Options(), {{"url", Url("127.0.0.1", "/trickle")}, {"timeout_ms", 300}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "timeout");
  EXPECT_NE(result.error().message.find("within 300 ms"), std::string::npos);
}

// A raw server that sends a status line, then one header byte every 100 ms
// (10 s at most): the deadline also holds while the headers are read.
TEST_F(HttpRequestLimitsTest, TricklingHeadersAreCutAtTheTotalDeadline) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = listener.address().port();
  std::thread slow([&listener] {
    Poco::Net::Socket::SocketList readable{listener}, none, none2;
    if (Poco::Net::Socket::select(readable, none, none2, Poco::Timespan(5, 0)) == 0) return;
    Poco::Net::StreamSocket peer = listener.acceptConnection();
    const std::string start = "HTTP/1.1 200 OK\r\nX-Slow: ";
    if (::send(peer.impl()->sockfd(), start.data(), start.size(), MSG_NOSIGNAL) < 0) return;
    for (int i = 0; i < 100 && !stopping; ++i) {
      if (::send(peer.impl()->sockfd(), "a", 1, MSG_NOSIGNAL) < 0) return;
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  HttpClientOptions options = Options();
  options.total_timeout = milliseconds(500);
  const ActionResult result =
      Call(options, {{"url", "http://127.0.0.1:" + std::to_string(port) + "/"}});
  stopping = true;
  slow.join();
  ASSERT_FALSE(result.ok()) << result.output().dump();
  EXPECT_EQ(result.error().code, "timeout") << result.error().message;
}

TEST_F(HttpRequestLimitsTest, LineBreaksInHeadersAreRefusedBeforeAnythingIsSent) {
  const HttpClientOptions options = Options();
  const ActionResult value = Call(options, {{"url", Url("127.0.0.1", "/echo")},
                                            {"headers", {{"X-Note", "a\r\nX-Injected: 1"}}}});
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().code, "invalid_header");
  EXPECT_TRUE(value.error().permanent());
  EXPECT_EQ(value.error().message,
            "'headers': the value of header 'X-Note' contains a carriage return (CR)");

  const ActionResult lf = Call(
      options, {{"url", Url("127.0.0.1", "/echo")}, {"headers", {{"X-Note", "a\nX-Injected: 1"}}}});
  ASSERT_FALSE(lf.ok());
  EXPECT_EQ(lf.error().code, "invalid_header");

  const ActionResult name =
      Call(options, {{"url", Url("127.0.0.1", "/echo")}, {"headers", {{"X-A\r\nX-B", "1"}}}});
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.error().code, "invalid_header");
  EXPECT_NE(name.error().message.find("'X-A\\r\\nX-B'"), std::string::npos);

  const ActionResult method =
      Call(options, {{"url", Url("127.0.0.1", "/echo")}, {"method", "GET / HTTP/1.1\r\nX: y"}});
  ASSERT_FALSE(method.ok());
  EXPECT_EQ(method.error().code, "invalid_input");

  const ActionResult url = Call(options, {{"url", Url("127.0.0.1", "/echo\r\nX-Injected: 1")}});
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().code, "invalid_input");

  EXPECT_EQ(requests.load(), 0);
}

}  // namespace
}  // namespace storeflow::runtime
