// REST triggers over real HTTP on loopback: respond steps, final outputs,
// input.schema violations, the response timeout.

#include "http_fixture.h"

namespace storeflow::http::testing {
namespace {

constexpr char kOrders[] = R"(workflow: orders
on:
  - http: POST /orders
input:
  schema:
    type: object
    properties:
      body:
        type: object
        required: [total]
        properties: { total: { type: number, minimum: 0 } }
steps:
  - id: accepted
    respond:
      status: 201
      headers: { X-Order: "${{ run.id }}" }
      body: { order_id: "${{ run.id }}", user: "${{ event.body.user }}" }
  - id: later
    sleep: 1500ms
)";

constexpr char kCartView[] = R"(workflow: cart-view
on:
  - http: GET /carts/{userId}
steps:
  - id: echo
    uses: log
    with:
      message: "${{ event.params.userId }}/${{ event.query.page }}/${{ event.headers.authorization or 'none' }}"
)";

constexpr char kSlow[] = R"(workflow: slow
on:
  - http: POST /slow
steps:
  - id: nap
    sleep: 5s
  - id: answer
    respond: { body: { late: true } }
)";

// Fails with a message that quotes an internal URL and the caller's email, as
// a failing http.request step's error would.
constexpr char kLeaky[] = R"(workflow: leaky
on:
  - http: POST /leaky
steps:
  - id: lookup
    fail: "GET http://crm.internal.example:9200/customers/${{ event.body.email }} answered 500"
)";

class RestTriggerTest : public HttpTest {};

TEST_P(RestTriggerTest, RespondStepAnswersWhileTheRunGoesOn) {
  Load(kOrders);
  StartServer();
  const auto started = std::chrono::steady_clock::now();
  Reply reply = Send(port_, "POST", "/orders", R"({"total": 12.5, "user": "ann"})",
                     {{"Content-Type", "application/json"}});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(reply.status, 201) << reply.body;
  const std::int64_t id = reply.json()["order_id"].get<std::int64_t>();
  EXPECT_EQ(reply.json()["user"], "ann");
  EXPECT_EQ(reply.header("X-Order"), std::to_string(id));
  EXPECT_EQ(reply.header("Content-Type"), "application/json");
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
  // Answered before the run ended: it is still sleeping, then completes.
  EXPECT_FALSE(store::IsTerminal(GetRun(id).status));
  EXPECT_EQ(WaitForEnd(id).status, store::RunStatus::kCompleted);
}

TEST_P(RestTriggerTest, SchemaViolationIs422WithPaths) {
  Load(kOrders);
  StartServer();
  Reply reply = Send(port_, "POST", "/orders", R"({"total": -3})");
  ASSERT_EQ(reply.status, 422) << reply.body;
  const Json error = reply.json()["error"];
  EXPECT_EQ(error["code"], "invalid_input");
  ASSERT_FALSE(error["details"].empty());
  EXPECT_EQ(error["details"][0]["path"], "$.body.total");
  auto runs = Runs("orders");
  ASSERT_EQ(runs.size(), 1u);  // kept, as rejected
  EXPECT_EQ(runs[0].status, store::RunStatus::kRejected);
  EXPECT_EQ(Send(port_, "POST", "/orders", "{oops").status, 400);
}

TEST_P(RestTriggerTest, DeeplyNestedBodyIs400AndTheServerGoesOn) {
  // 500,000 nested arrays: 1 MB, under the body limit. Parsing it does not
  // recurse, but copying or dumping the value would, deep enough to overflow
  // a handler thread's stack and take the whole engine down.
  Load(kOrders);
  StartServer();
  const std::string deep = std::string(500'000, '[') + std::string(500'000, ']');
  Reply reply = Send(port_, "POST", "/orders", deep, {{"Content-Type", "application/json"}});
  ASSERT_EQ(reply.status, 400) << reply.body.substr(0, 300);
  const Json error = reply.json()["error"];
  EXPECT_EQ(error["code"], "invalid_json");
  EXPECT_EQ(error["details"][0]["byte"], 129);  // the bracket that opens level 129
  EXPECT_EQ(error["details"][0]["column"], 129);
  EXPECT_NE(error["details"][0]["parser"].get<std::string>().find("nesting deeper than 128"),
            std::string::npos);
  EXPECT_TRUE(Runs("orders").empty());
  // The same depth inside a string is only text.
  const std::string quoted = R"({"total": 1, "note": ")" + std::string(100'000, '[') + "\"}";
  EXPECT_EQ(Send(port_, "POST", "/orders", quoted).status, 201);
  EXPECT_EQ(Send(port_, "POST", "/orders", R"({"total": 2})").status, 201);
}

TEST_P(RestTriggerTest, RunWithoutRespondAnswersWithItsFinalOutput) {
  Load(kCartView);
  StartServer();
  Reply reply =
      Send(port_, "GET", "/carts/u-7?page=2", "", {{"Authorization", "Bearer do-not-keep"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  // Path params and query reach the event; credentials do not.
  EXPECT_EQ(reply.json()["message"], "u-7/2/none");
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].topic, "http/GET /carts/{userId}");
  EXPECT_FALSE(events[0].payload["headers"].contains("authorization"));
  EXPECT_EQ(Send(port_, "POST", "/carts/u-7").status, 405);
}

TEST_P(RestTriggerTest, NoAnswerWithinTheTimeoutIs202WithTheRunId) {
  surface_options_.rest.response_timeout = std::chrono::milliseconds(400);
  Load(kSlow);
  StartServer();
  const auto started = std::chrono::steady_clock::now();
  Reply reply = Send(port_, "POST", "/slow", "{}");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  ASSERT_EQ(reply.status, 202) << reply.body;
  const std::int64_t id = reply.json()["run_id"].get<std::int64_t>();
  EXPECT_GT(id, 0);
  EXPECT_EQ(reply.json()["status"], "sleeping");
}

TEST_P(RestTriggerTest, ARunAdvancedElsewhereIsFoundByPolling) {
  // No workers here: the run is advanced by "another engine" (RunDueOnce on a
  // second engine object) and the waiting request finds the answer in the store.
  Load(kOrders);
  MakeEngine();
  WebhookSources none;
  surface_ = std::make_unique<Surface>(*engine_, std::move(none), surface_options_);
  ASSERT_TRUE(surface_->Start().ok());
  port_ = surface_->port();
  runtime::EngineOptions other_options = engine_options_;
  other_options.owner = "other-engine";
  runtime::Engine other(*store_, clock_, actions_, other_options);
  ASSERT_TRUE(other.LoadWorkflowSource(kOrders, "orders.yaml").ok());
  std::atomic<bool> done{false};
  std::thread driver([&] {
    while (!done) {
      (void)other.RunDueOnce();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  Reply reply = Send(port_, "POST", "/orders", R"({"total": 1})");
  done = true;
  driver.join();
  EXPECT_EQ(reply.status, 201) << reply.body;
}

TEST_P(RestTriggerTest, FailedRunAnswersACodeAndTheRequestIdNotTheRunError) {
  Load(kLeaky);
  StartServer();
  Reply reply = Send(port_, "POST", "/leaky", R"({"email": "ann@example.com"})",
                     {{"Content-Type", "application/json"}});
  ASSERT_EQ(reply.status, 500) << reply.body;
  const Json error = reply.json()["error"];
  EXPECT_EQ(error["code"], "run_failed");
  EXPECT_FALSE(error.contains("details")) << reply.body;
  const std::string id = reply.header("X-Request-Id");
  EXPECT_EQ(error.value("request_id", ""), id);  // absent: a failure, not an abort
  for (const char* secret : {"crm.internal", "9200", "ann@example.com", "lookup"}) {
    EXPECT_EQ(reply.body.find(secret), std::string::npos) << secret << " leaked: " << reply.body;
  }
  // The run keeps its error for the admin API; the log names the run and step.
  const std::string run_id = reply.header("X-Run-Id");
  ASSERT_FALSE(run_id.empty());
  EXPECT_NE(GetRun(std::stoll(run_id)).error.dump().find("crm.internal"), std::string::npos);
  const auto lines = Logged(id);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("run " + run_id), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("lookup"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find("ann@example.com"), std::string::npos) << lines[0];
}

TEST_P(RestTriggerTest, CommitNotDoneInTimeIs503WithRetryAfter) {
  Load(kOrders);
  surface_options_.group_commit.commit_timeout = std::chrono::milliseconds(300);
  StartServer();
  switchable_->set_blocked(true);
  Reply reply =
      Send(port_, "POST", "/orders", R"({"total": 1})", {{"Content-Type", "application/json"}});
  switchable_->set_blocked(false);
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_EQ(reply.header("Retry-After"), "5");
  EXPECT_EQ(reply.json()["error"]["code"], "commit_timeout");
  Reply after =
      Send(port_, "POST", "/orders", R"({"total": 2})", {{"Content-Type", "application/json"}});
  EXPECT_EQ(after.status, 201) << after.body;
}

STOREFLOW_INSTANTIATE_STORE_TESTS(RestTriggerTest);

}  // namespace
}  // namespace storeflow::http::testing
