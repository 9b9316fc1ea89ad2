// The server itself: health, metrics, request ids, graceful shutdown.

#include "http_fixture.h"

namespace storeflow::http::testing {
namespace {

constexpr char kNap[] = R"(workflow: nap
on:
  - http: POST /nap
steps:
  - id: pause
    sleep: 700ms
  - id: answer
    respond: { body: { rested: true } }
)";

constexpr char kCart[] = R"(workflow: cart-sync
on:
  - webhook: shopify/carts/create
steps:
  - id: save
    uses: store.put
    with: { collection: carts, key: "${{ event.token }}", value: "${{ event }}" }
)";

class ServerTest : public HttpTest {};

TEST_P(ServerTest, HealthAndReadiness) {
  StartServer();
  Reply health = Send(port_, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json()["status"], "ok");
  Reply ready = Send(port_, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json()["schema_version"], store::Store::LatestSchemaVersion());
}

TEST_P(ServerTest, RequestIdIsKeptOrGenerated) {
  StartServer();
  EXPECT_EQ(
      Send(port_, "GET", "/healthz", "", {{"X-Request-Id", "abc-123"}}).header("X-Request-Id"),
      "abc-123");
  const std::string generated =
      Send(port_, "GET", "/healthz", "", {{"X-Request-Id", "bad id\x01"}}).header("X-Request-Id");
  EXPECT_EQ(generated.size(), 16u);
}

TEST_P(ServerTest, MetricsExposeWebhooksRequestsRunsStepsAndQueue) {
  Load(kCart);
  StartServer();
  ASSERT_EQ(Webhook(R"({"token": "m-1"})", "m-1").status, 200);
  ASSERT_EQ(Webhook(R"({"token": "m-1"})", "m-1").status, 200);  // duplicate
  ASSERT_EQ(Webhook(R"({"token": "m-2"})", "m-2", "carts/create", "nope").status, 401);
  auto runs = Runs("cart-sync");
  ASSERT_EQ(runs.size(), 1u);
  WaitForEnd(runs[0].id);
  // The engine counts a run's end just after its commit, so the store can show
  // it ended a moment before the counter does.
  Reply reply;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    reply = Send(port_, "GET", "/metrics");
    if (reply.body.find("storeflow_runs_completed_total{workflow=\"cart-sync\"}") !=
        std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(reply.status, 200);
  EXPECT_NE(reply.header("Content-Type").find("text/plain"), std::string::npos);
  const std::string& text = reply.body;
  for (const char* expected : {
           "# TYPE storeflow_webhooks_received_total counter",
           "storeflow_webhooks_received_total{source=\"shopify\"}",
           "storeflow_webhooks_duplicate_total{source=\"shopify\"}",
           "storeflow_webhooks_rejected_total{source=\"shopify\",reason=\"bad_signature\"}",
           "storeflow_http_requests_total{method=\"POST\",route=\"/webhooks/{source}\","
           "status=\"200\"}",
           "storeflow_runs_started_total{workflow=\"cart-sync\"}",
           "storeflow_runs_completed_total{workflow=\"cart-sync\"}",
           "storeflow_step_duration_seconds_bucket{action=\"store.put\",le=",
           "storeflow_timer_lateness_seconds_count",
           "storeflow_queue_depth ",
           "storeflow_dead_letters ",
           "storeflow_runs{status=\"running\"} 0",
           "storeflow_runs{status=\"failed\"} 0",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  // Ended runs are counted by the *_total counters, not by a scan of every run.
  EXPECT_EQ(text.find("storeflow_runs{status=\"completed\"}"), std::string::npos) << text;
}

TEST_P(ServerTest, GracefulShutdownFinishesTheRequestInFlight) {
  Load(kNap);
  StartServer();
  Reply reply;
  std::thread caller([&] { reply = Send(port_, "POST", "/nap", "{}"); });
  // Wait until the request is being handled, then stop.
  for (int i = 0; i < 200 && surface_ != nullptr; ++i) {
    if (Events().size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto started = std::chrono::steady_clock::now();
  surface_->Stop();
  const auto took = std::chrono::steady_clock::now() - started;
  caller.join();
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json()["rested"], true);
  EXPECT_LT(took, std::chrono::seconds(5));
  // Not accepting any more.
  EXPECT_EQ(Send(port_, "GET", "/healthz", "", {}, std::chrono::seconds(2)).status, 0);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(ServerTest);

}  // namespace
}  // namespace storeflow::http::testing
