// `http.request` against a local Poco HTTP server, through the engine (SQLite and
// PostgreSQL): outputs, permanent 4xx, retryable 503 with Retry-After; loopback
// is refused by the default egress policy and reached only through the allow
// list. Every request here goes to 127.0.0.1.

#include <gtest/gtest.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <string>
#include <vector>

#include "runtime/http_action.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;

std::atomic<int> busy_calls{0};
std::atomic<int> requests{0};

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    ++requests;
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body);
    const std::string path = request.getURI();
    if (path == "/busy" && busy_calls++ == 0) {
      response.setStatus(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
      response.set("Retry-After", "7");
      response.send() << "busy";
      return;
    }
    if (path == "/deep") {
      // A JSON answer nested past kMaxJsonNesting (1 MB of brackets).
      response.setContentType("application/json");
      response.send() << std::string(500'000, '[') << std::string(500'000, ']');
      return;
    }
    if (path == "/bad") {
      response.setStatus(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
      response.send() << "bad";
      return;
    }
    response.setContentType("application/json");
    Json echo = {{"method", request.getMethod()},
                 {"path", path},
                 {"body", body},
                 {"idempotency_key", request.get("Idempotency-Key", "")}};
    response.send() << echo.dump();
  }
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler;
  }
};

// A loopback HTTP server on 127.0.0.1:<any port>; the engine's built-in actions
// as the default configuration registers them (public addresses only).
class LoopbackServerTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    busy_calls = 0;
    requests = 0;
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory, socket,
                                                      new Poco::Net::HTTPServerParams);
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
    RuntimeTest::TearDown();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

// The same, with 127.0.0.1 on the allow list (http_client.allow_hosts).
class HttpActionTest : public LoopbackServerTest {
 protected:
  void SetUp() override {
    LoopbackServerTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    auto egress = EgressPolicy::FromAllowList({"127.0.0.1"});
    ASSERT_TRUE(egress.ok()) << egress.status().ToString();
    HttpClientOptions http;
    http.egress = std::move(*egress);
    engine_.reset();
    actions_ = ActionRegistry();
    ASSERT_TRUE(RegisterBuiltinActions(actions_, http).ok());
    ASSERT_TRUE(actions_.Register(action_).ok());
    NewEngine();
  }
};

class HttpEgressDefaultTest : public LoopbackServerTest {};

// Without an allow list, loopback (the engine's own admin API lives there) is
// refused in every spelling, before anything is sent, and the refusal is
// permanent (no retries).
TEST_P(HttpEgressDefaultTest, LoopbackIsDeniedByDefaultInEverySpelling) {
  Load(R"(workflow: ssrf
on: [{event: go}]
steps:
  - id: call
    uses: http.request
    with: { url: "${{ event.url }}" }
    retry: { attempts: 3, delay: 1s }
)");
  const std::string port = std::to_string(port_);
  const std::vector<std::string> hosts = {"127.0.0.1", "2130706433",   "0x7f.1",
                                          "127.1",     "017700000001", "[::ffff:127.0.0.1]"};
  for (const std::string& host : hosts) {
    const auto run = Finish(Start("ssrf", {{"url", "http://" + host + ":" + port + "/echo"}}));
    EXPECT_EQ(run.status, RunStatus::kFailed) << host;
    EXPECT_EQ(run.error["code"], "egress_denied") << host << " " << run.error.dump();
    EXPECT_EQ(run.error["attempts"], 1) << host;
    EXPECT_NE(run.error["message"].get<std::string>().find("loopback address (127.0.0.0/8"),
              std::string::npos)
        << run.error.dump();
  }
  EXPECT_EQ(requests.load(), 0);
}

TEST_P(HttpActionTest, PostsJsonAndParsesTheJsonAnswer) {
  Load(R"(workflow: caller
on: [{event: go}]
steps:
  - id: call
    uses: http.request
    with: { method: POST, url: "${{ event.url }}", body: { n: 1 } }
)");
  const auto id = Start("caller", {{"url", Url("/echo")}});
  const auto run = Finish(id);
  ASSERT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
  const Json out = Steps(id)["call"].output;
  EXPECT_EQ(out["status"], 200);
  EXPECT_EQ(out["body"]["method"], "POST");
  EXPECT_EQ(out["body"]["body"], R"({"n":1})");
  EXPECT_EQ(out["body"]["idempotency_key"],
            store_->InstallationId() + "/" + std::to_string(id) + "/call");
}

TEST_P(HttpActionTest, AJsonAnswerNestedTooDeeplyIsKeptAsText) {
  // Parsed, it would be copied and dumped (both recurse) into the step's output.
  Load(R"(workflow: deep
on: [{event: go}]
steps:
  - id: call
    uses: http.request
    with: { url: "${{ event.url }}" }
)");
  const auto id = Start("deep", {{"url", Url("/deep")}});
  const auto run = Finish(id);
  ASSERT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
  const Json out = Steps(id)["call"].output;
  EXPECT_EQ(out["status"], 200);
  ASSERT_TRUE(out["body"].is_string());
  EXPECT_EQ(out["body"].get<std::string>().size(), 1'000'000u);
}

TEST_P(HttpActionTest, A4xxIsPermanentAnd503RetriesAfterTheHint) {
  Load(R"(workflow: caller2
on: [{event: go}]
steps:
  - id: busy
    uses: http.request
    with: { url: "${{ event.busy }}" }
    retry: { attempts: 3, backoff: constant, delay: 1s }
  - id: bad
    uses: http.request
    with: { url: "${{ event.bad }}" }
    retry: { attempts: 3, delay: 1s }
)");
  const auto id = Start("caller2", {{"busy", Url("/busy")}, {"bad", Url("/bad")}});
  const auto run = Finish(id);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error["step"], "bad");
  EXPECT_EQ(run.error["code"], "http_400");
  EXPECT_EQ(run.error["attempts"], 1);
  auto steps = Steps(id);
  EXPECT_EQ(steps["busy"].attempts, 2);
  EXPECT_EQ(*steps["busy"].finished_at, kT0 + 7'000);
}

TEST_P(HttpActionTest, ARefusedConnectionIsRetryable) {
  Load(R"(workflow: caller3
on: [{event: go}]
steps:
  - id: call
    uses: http.request
    with: { url: "http://127.0.0.1:1/nothing" }
)");
  const auto run = Finish(Start("caller3"));
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error["code"], "unavailable");
}

STOREFLOW_INSTANTIATE_STORE_TESTS(HttpActionTest);
STOREFLOW_INSTANTIATE_STORE_TESTS(HttpEgressDefaultTest);

}  // namespace
}  // namespace storeflow::runtime::testing
