// Webhook ingress over real HTTP on loopback, against the real server and store.

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "http_fixture.h"

namespace storeflow::http::testing {
namespace {

constexpr char kCartWorkflow[] = R"(workflow: cart-sync
on:
  - webhook: shopify/carts/create
input:
  schema:
    type: object
    required: [token]
    properties:
      token: { type: string }
      line_items:
        type: array
        items: { type: object, properties: { quantity: { type: integer, minimum: 1 } } }
steps:
  - id: save
    uses: store.put
    with:
      collection: carts
      key: "${{ event.token }}"
      value: { shop: "${{ meta.shop_domain }}", topic: "${{ meta.topic }}" }
)";

std::string CartBody() {
  std::ifstream in(std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/shopify/carts_create.json");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class WebhookIngressTest : public HttpTest {};

TEST_P(WebhookIngressTest, SignedDeliveryIsStoredWithMetaAndStartsItsRun) {
  Load(kCartWorkflow);
  StartServer();
  const std::string body = CartBody();
  Reply reply = Webhook(body, "wh-1");
  ASSERT_EQ(reply.status, 200) << reply.body;
  ASSERT_TRUE(reply.json()["event_id"].is_number());
  ASSERT_EQ(reply.json()["runs"].size(), 1u);
  EXPECT_EQ(reply.header("X-Request-Id").size(), 16u);

  // 200 means committed: the event and its run are there now.
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].topic, "shopify/carts/create");
  EXPECT_EQ(events[0].source, "shopify");
  EXPECT_EQ(events[0].dedup_key, "webhook:wh-1");
  EXPECT_EQ(events[0].payload["token"], "exampleCartId");
  EXPECT_EQ(events[0].meta["shop_domain"], "toys.myshopify.com");
  EXPECT_EQ(events[0].meta["api_version"], "2026-07");
  EXPECT_EQ(events[0].meta["triggered_at"], "2026-11-21T08:00:00Z");
  const auto run = WaitForEnd(reply.json()["runs"][0].get<std::int64_t>());
  ASSERT_EQ(run.status, store::RunStatus::kCompleted) << run.error.dump();
  // The envelope is visible to the workflow as `meta`.
  auto tx = Begin();
  auto record = tx->GetRecord("carts", "exampleCartId");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((**record).value["shop"], "toys.myshopify.com");
  EXPECT_EQ((**record).value["topic"], "carts/create");
}

TEST_P(WebhookIngressTest, BadSignatureIs401StoresNothingAndIsCounted) {
  Load(kCartWorkflow);
  StartServer();
  auto& metrics = metrics::Registry::Default();
  const metrics::Labels labels = {{"source", "shopify"}, {"reason", "bad_signature"}};
  const double before = metrics.Value("storeflow_webhooks_rejected_total", labels);
  Reply reply = Webhook(CartBody(), "wh-1", "carts/create", "wrong-secret");
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.json()["error"]["code"], "bad_signature");
  EXPECT_EQ(Send(port_, "POST", "/webhooks/shopify", "{}", {{"X-Shopify-Topic", "a/b"}}).status,
            401);
  EXPECT_TRUE(Events().empty());
  EXPECT_TRUE(Runs("cart-sync").empty());
  EXPECT_EQ(metrics.Value("storeflow_webhooks_rejected_total", labels), before + 1);
}

TEST_P(WebhookIngressTest, PreviousSecretIsAcceptedDuringRotation) {
  Load(kCartWorkflow);
  StartServer();
  EXPECT_EQ(Webhook(CartBody(), "wh-old", "carts/create", kOldSecret).status, 200);
  EXPECT_EQ(Events().size(), 1u);
}

TEST_P(WebhookIngressTest, DuplicateDeliveryIs200AndCreatesNothing) {
  Load(kCartWorkflow);
  StartServer();
  const std::string body = CartBody();
  ASSERT_EQ(Webhook(body, "wh-dup").status, 200);
  Reply again = Webhook(body, "wh-dup");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.json()["duplicate"], true);
  EXPECT_EQ(Events().size(), 1u);
  EXPECT_EQ(Runs("cart-sync").size(), 1u);
}

TEST_P(WebhookIngressTest, AReplayUnderANewIdIsADuplicate) {
  // The HMAC covers only the body: an attacker holding one captured delivery
  // can resend it with a fresh X-Shopify-Webhook-Id (and another topic).
  Load(kCartWorkflow);
  StartServer();
  const std::string body = R"({"token": "cart-replayed"})";
  ASSERT_EQ(Webhook(body, "wh-original").json()["duplicate"], false);
  Reply replay = Webhook(body, "wh-forged-id");
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.json()["duplicate"], true);
  EXPECT_EQ(Events().size(), 1u);
  EXPECT_EQ(Runs("cart-sync").size(), 1u);
  // The default (`topic`) keys the body with its topic: the same body under
  // another topic is a delivery of its own (Shopify sends e.g. orders/create
  // and orders/paid with the same order JSON).
  EXPECT_EQ(Webhook(body, "wh-other-topic", "carts/update").json()["duplicate"], false);
  EXPECT_EQ(Events().size(), 2u);
  // A new body is a new delivery.
  EXPECT_EQ(Webhook(R"({"token": "cart-2"})", "wh-new").json()["duplicate"], false);
  EXPECT_EQ(Events().size(), 3u);
}

TEST_P(WebhookIngressTest, AnyTopicReplayDedupeAlsoStopsRelabelling) {
  surface_options_.ingress.replay = ReplayDedupe::kAnyTopic;
  StartServer();
  const std::string body = R"({"id": 820982911946154508})";
  ASSERT_EQ(Webhook(body, "wh-1", "orders/create").json()["duplicate"], false);
  EXPECT_EQ(Webhook(body, "wh-2", "orders/cancelled").json()["duplicate"], true);
  EXPECT_EQ(Events().size(), 1u);
}

TEST_P(WebhookIngressTest, ReplayDedupeOffKeysOnlyOnTheId) {
  surface_options_.ingress.replay = ReplayDedupe::kOff;
  StartServer();
  const std::string body = R"({"token": "same"})";
  ASSERT_EQ(Webhook(body, "wh-1").json()["duplicate"], false);
  EXPECT_EQ(Webhook(body, "wh-2").json()["duplicate"], false);
  EXPECT_EQ(Webhook(body, "wh-2").json()["duplicate"], true);
  EXPECT_EQ(Events().size(), 2u);
}

TEST_P(WebhookIngressTest, MalformedJsonIs400WithItsPosition) {
  Load(kCartWorkflow);
  StartServer();
  Reply reply = Webhook("{\n  \"token\": \"t\",\n  oops\n}", "wh-bad");
  ASSERT_EQ(reply.status, 400) << reply.body;
  const Json error = reply.json()["error"];
  EXPECT_EQ(error["code"], "invalid_json");
  EXPECT_EQ(error["details"][0]["line"], 3);
  EXPECT_EQ(error["details"][0]["column"], 3);
  EXPECT_NE(error["message"].get<std::string>().find("line 3, column 3"), std::string::npos);
  EXPECT_TRUE(Events().empty());
}

TEST_P(WebhookIngressTest, DeeplyNestedJsonIs400AndStoresNothing) {
  // Whether the body is parsed (a workflow listens) or only checked (none
  // does), nesting beyond the limit is refused with its position: a stored
  // 1 MB of '[' would crash whatever later copies or dumps it.
  const std::string deep = std::string(500'000, '[') + std::string(500'000, ']');
  StartServer();
  for (int with_workflow = 0; with_workflow < 2; ++with_workflow) {
    if (with_workflow == 1) Load(kCartWorkflow);
    Reply reply = Webhook(deep, "wh-deep-" + std::to_string(with_workflow));
    ASSERT_EQ(reply.status, 400) << reply.body.substr(0, 300);
    EXPECT_EQ(reply.json()["error"]["code"], "invalid_json");
    EXPECT_EQ(reply.json()["error"]["details"][0]["byte"], 129);
  }
  const std::string shallow =
      "{\"token\": \"t\", \"n\": " + std::string(128 - 1, '[') + std::string(128 - 1, ']') + "}";
  EXPECT_EQ(Webhook(shallow, "wh-128").status, 200);
  ASSERT_EQ(Events().size(), 1u);
}

TEST_P(WebhookIngressTest, WithoutWorkflowTheBodyIsValidatedAndStoredAsSent) {
  // Nothing starts on or waits for the topic: the body is only checked to be
  // JSON (same 400 and position as when it is parsed) and stored as received.
  StartServer();
  const std::string body =
      "{\"token\": \"t-1\",\n \"id\": 9007199254740993, \"n\": [1.50, \"\\u00e9\"]}";
  Reply reply = Webhook(body, "wh-raw");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json()["duplicate"], false);
  EXPECT_TRUE(reply.json()["event_id"].is_number());
  EXPECT_EQ(reply.json()["runs"], Json::array());
  EXPECT_EQ(reply.header("Content-Type"), "application/json");
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, reply.json()["event_id"].get<std::int64_t>());
  EXPECT_EQ(events[0].payload, Json::parse(body));
  EXPECT_EQ(events[0].payload["id"].get<std::int64_t>(), 9007199254740993);
  EXPECT_EQ(events[0].meta["webhook_id"], "wh-raw");

  Reply bad = Webhook("{\n  \"token\": \"t\",\n  oops\n}", "wh-bad");
  ASSERT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.json()["error"]["code"], "invalid_json");
  EXPECT_EQ(bad.json()["error"]["details"][0]["line"], 3);
  EXPECT_EQ(bad.json()["error"]["details"][0]["column"], 3);
  for (const std::string text : {"", "{\"a\": 1} x", "[1, 2", "{\"n\": 1e999}", "\"\\ud800\""}) {
    Reply invalid = Webhook(text, "wh-invalid");
    EXPECT_EQ(invalid.status, 400) << text << ": " << invalid.body;
    EXPECT_EQ(invalid.json()["error"]["code"], "invalid_json") << text;
  }
  EXPECT_EQ(Events().size(), 1u);
  // No topic header: still a 400, after the JSON check.
  EXPECT_EQ(Webhook("{}", "wh-no-topic", "").status, 400);
}

TEST_P(WebhookIngressTest, WorkflowLoadedWhileServingGetsTheParsedPayload) {
  StartServer();
  ASSERT_EQ(Webhook(R"({"token": "before"})", "wh-before").status, 200);
  EXPECT_TRUE(Runs("cart-sync").empty());
  Load(kCartWorkflow);
  Reply reply = Webhook(R"({"token": "after"})", "wh-after");
  ASSERT_EQ(reply.status, 200) << reply.body;
  ASSERT_EQ(reply.json()["runs"].size(), 1u);
  const auto run = WaitForEnd(reply.json()["runs"][0].get<std::int64_t>());
  ASSERT_EQ(run.status, store::RunStatus::kCompleted) << run.error.dump();
  EXPECT_EQ(run.input, Json({{"token", "after"}}));
}

TEST_P(WebhookIngressTest, SchemaViolationStoresTheEventAndRejectsTheRunWithPaths) {
  Load(kCartWorkflow);
  StartServer();
  Reply reply = Webhook(R"({"token": 5, "line_items": [{"quantity": 0}]})", "wh-invalid");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(Events().size(), 1u);
  auto runs = Runs("cart-sync");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, store::RunStatus::kRejected);
  std::vector<std::string> paths;
  for (const auto& v : runs[0].error["violations"]) paths.push_back(v["path"]);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "$.token"), paths.end()) << runs[0].error;
  EXPECT_NE(std::find(paths.begin(), paths.end(), "$.line_items[0].quantity"), paths.end())
      << runs[0].error;
}

TEST_P(WebhookIngressTest, BodyOverTheLimitIs413BeforeItIsRead) {
  Load(kCartWorkflow);
  StartServer();
  // A 100 MB Content-Length with none of the body sent: the answer cannot wait
  // for the body.
  const auto started = std::chrono::steady_clock::now();
  Reply reply;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port_);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request("POST", "/webhooks/shopify", "HTTP/1.1");
    request.setContentLength64(100'000'000);
    session.sendRequest(request) << std::string(1024, 'x');
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    reply.status = response.getStatus();
    Poco::StreamCopier::copyToString(in, reply.body);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  EXPECT_EQ(reply.status, 413) << reply.body;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_TRUE(Events().empty());
}

TEST_P(WebhookIngressTest, ChunkedBodyOverTheLimitIs413) {
  surface_options_.server.body_limit = 16 * 1024;
  Load(kCartWorkflow);
  StartServer();
  Reply reply;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port_);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request("POST", "/webhooks/shopify", "HTTP/1.1");
    request.setChunkedTransferEncoding(true);
    session.sendRequest(request) << std::string(20 * 1024, ' ');
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    reply.status = response.getStatus();
    Poco::StreamCopier::copyToString(in, reply.body);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  EXPECT_EQ(reply.status, 413) << reply.body;
}

TEST_P(WebhookIngressTest, StoreDownIs503AndNothingIsStored) {
  Load(kCartWorkflow);
  StartServer();
  switchable_->set_down(true);
  Reply reply = Webhook(CartBody(), "wh-down");
  Reply ready = Send(port_, "GET", "/readyz");
  switchable_->set_down(false);
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_EQ(reply.json()["error"]["code"], "store_unavailable");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json()["error"]["code"], "not_ready");
  EXPECT_TRUE(Events().empty());
  // The sender's retry then succeeds.
  EXPECT_EQ(Webhook(CartBody(), "wh-down").status, 200);
  EXPECT_EQ(Events().size(), 1u);
}

// A database that stops answering: the sender gets 503 + Retry-After within
// http.commit_timeout instead of waiting for TCP to give up. The outcome is
// honest: a delivery whose transaction had begun is committed once the
// database answers again (its redelivery is a duplicate); one still queued was
// withdrawn and is stored by its redelivery. Nothing answered 200 is lost.
TEST_P(WebhookIngressTest, CommitNotDoneInTimeIs503WithRetryAfterAndRedeliveryIsExact) {
  Load(kCartWorkflow);
  surface_options_.group_commit.committers = 2;
  surface_options_.group_commit.commit_timeout = std::chrono::milliseconds(500);
  // The same body under new ids stands for distinct deliveries here: only the
  // ids deduplicate (replay keys would make every one a replay of wh-before).
  surface_options_.ingress.replay = ReplayDedupe::kOff;
  StartServer();
  Reply before = Webhook(CartBody(), "wh-before");
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_EQ(before.json()["runs"].size(), 1u);
  WaitForEnd(before.json()["runs"][0].get<std::int64_t>());  // no worker in Begin below

  switchable_->set_blocked(true);
  std::vector<Reply> replies;
  for (const char* id : {"wh-a", "wh-b", "wh-c"}) {
    const auto started = std::chrono::steady_clock::now();
    replies.push_back(Webhook(CartBody(), id));
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_LT(took, std::chrono::seconds(3)) << id << " was answered only after the blockage";
  }
  // Both committers are held in Begin; the third delivery never left the queue.
  EXPECT_GE(switchable_->blocked_begins(), 2);
  for (const Reply& reply : replies) {
    EXPECT_EQ(reply.status, 503) << reply.body;
    EXPECT_EQ(reply.header("Retry-After"), "5");
    EXPECT_EQ(reply.json()["error"]["code"], "commit_timeout") << reply.body;
    EXPECT_EQ(reply.json()["error"]["request_id"], reply.header("X-Request-Id"));
  }

  switchable_->set_blocked(false);
  // The two deliveries held in Begin are committed once the database answers.
  // Wait for that before redelivering: a redelivery that overtook its held
  // original would be stored by the redelivery instead (still exactly once,
  // but not the outcome this test pins down).
  const auto committed = [&] {
    std::set<std::string> keys;
    for (const auto& event : Events()) keys.insert(event.dedup_key.value_or("-"));
    return keys.count("webhook:wh-a") == 1 && keys.count("webhook:wh-b") == 1;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!committed() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(committed()) << "the deliveries held in Begin were not committed within 10 s";
  // The blockage clears: ingress answers 200 again, redeliveries are exact.
  Reply after = Webhook(CartBody(), "wh-after");
  EXPECT_EQ(after.status, 200) << after.body;
  for (const char* id : {"wh-a", "wh-b"}) {
    Reply again = Webhook(CartBody(), id);
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.json()["duplicate"], true) << id << " was committed after its 503";
  }
  Reply withdrawn = Webhook(CartBody(), "wh-c");
  EXPECT_EQ(withdrawn.status, 200) << withdrawn.body;
  EXPECT_EQ(withdrawn.json()["duplicate"], false) << "wh-c was withdrawn, not stored";
  std::multiset<std::string> keys;
  for (const auto& event : Events()) keys.insert(event.dedup_key.value_or("-"));
  EXPECT_EQ(keys, (std::multiset<std::string>{"webhook:wh-before", "webhook:wh-a", "webhook:wh-b",
                                              "webhook:wh-after", "webhook:wh-c"}));
}

// A store error's text (SQL, file path, host) never reaches the sender: it gets
// a code and the request id, and the log has the detail under that id.
TEST_P(WebhookIngressTest, StoreErrorReachesTheSenderAsACodeAndTheLogHasTheDetail) {
  Load(kCartWorkflow);
  StartServer();
  switchable_->set_failure(Internal(
      "SQL error (SQLSTATE 42P01): relation \"events\" does not exist (in: INSERT INTO events "
      "(source, topic) VALUES) on /var/lib/storeflow/private.db at db.internal.example:5432"));
  Reply reply = Webhook(CartBody(), "wh-leak");
  Reply ready = Send(port_, "GET", "/readyz");
  switchable_->set_failure(Status::Ok());

  EXPECT_EQ(reply.status, 500) << reply.body;
  EXPECT_EQ(reply.json()["error"]["code"], "store_error");
  const std::string id = reply.header("X-Request-Id");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(reply.json()["error"]["request_id"], id);
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json()["error"]["code"], "not_ready");
  for (const Reply* r : {&reply, &ready}) {
    for (const char* secret : {"SQL", "INSERT", "42P01", "/var/lib", "private.db", "db.internal"}) {
      EXPECT_EQ(r->body.find(secret), std::string::npos) << secret << " leaked: " << r->body;
    }
  }
  const auto lines = Logged(id);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("SQLSTATE 42P01"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("store_error"), std::string::npos) << lines[0];
  EXPECT_EQ(Logged(ready.header("X-Request-Id")).size(), 1u);
}

TEST_P(WebhookIngressTest, ConcurrentDeliveriesShareCommitsAndLoseNothing) {
  Load(kCartWorkflow);
  StartServer();
  constexpr int kThreads = 12;
  constexpr int kEach = 10;
  std::atomic<int> ok{0};
  std::atomic<int> duplicates{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = "c-" + std::to_string(t) + "-" + std::to_string(i);
        Reply reply = Webhook(R"({"token": ")" + id + R"("})", id);
        if (reply.status == 200) ++ok;
      }
      // The same delivery again, from every thread at once.
      Reply reply = Webhook(R"({"token": "shared"})", "c-shared");
      if (reply.status == 200) ++ok;
      if (reply.status == 200 && reply.json()["duplicate"] == true) ++duplicates;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * (kEach + 1));
  EXPECT_EQ(duplicates.load(), kThreads - 1);
  EXPECT_EQ(Events().size(), static_cast<std::size_t>(kThreads * kEach + 1));
  EXPECT_EQ(Runs("cart-sync").size(), static_cast<std::size_t>(kThreads * kEach + 1));
}

TEST_P(WebhookIngressTest, UnknownSourceIs404AndGetIs405) {
  Load(kCartWorkflow);
  StartServer();
  EXPECT_EQ(Send(port_, "POST", "/webhooks/nobody", "{}").status, 404);
  Reply get = Send(port_, "GET", "/webhooks/shopify");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.header("Allow"), "POST");
  EXPECT_EQ(Send(port_, "GET", "/no/such/route").status, 404);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(WebhookIngressTest);

}  // namespace
}  // namespace storeflow::http::testing
