// The sqs.* actions of the built sqs plugin, loaded through the engine's plugin
// host with the plugin test kit (<storeflow/testkit.hpp>), against the fauxqs peer:
// what each sends (read back from the queue), FIFO group and deduplication ids,
// purge permission, and AWS errors classified.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "sqs_peer.h"
#include "sqs_test_config.h"
#include "storeflow/testkit.hpp"

namespace storeflow::plugins::aws::testing {
namespace {

using Json = nlohmann::json;
using storeflow::testkit::Reply;
using storeflow::testkit::TestHost;
using test_support::CreateQueue;
using test_support::MessagesLeft;
using test_support::Receive;
using test_support::UniqueQueue;

class SqsActionsTest : public ::testing::Test {
 protected:
  void SetUp() override { STOREFLOW_REQUIRE_SQS_PEER(); }

  static Json Config(const Json& overrides = Json::object()) { return SqsTestConfig(overrides); }

  // Loads the plugin with `config` (a new host: the previous one shuts down).
  void Load(const Json& config) {
    storeflow::testkit::HostOptions options;
    options.config = config;
    options.secrets = SqsTestSecrets();
    host_.reset();
    host_ = std::make_unique<TestHost>(std::string(STOREFLOW_PLUGIN_DIR) + "/sqs", options);
    ASSERT_TRUE(host_->loaded()) << host_->error();
  }

  // `action` as step "send" of run 1, with `idempotency_key`.
  Reply Call(const std::string& action, const Json& input,
             const std::string& idempotency_key = "inst/1/send") {
    storeflow::testkit::CallOptions call;
    call.run_id = 1;
    call.step_path = "send";
    call.idempotency_key = idempotency_key;
    return host_->Invoke(action, input, call);
  }

  // Waits (at most 30 s) until `done` holds.
  template <typename Fn>
  static bool Eventually(Fn&& done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  }

  // The engine log of the host's plugin.
  std::string log() const {
    std::string out;
    for (const std::string& line : host_->logs()) out += line + "\n";
    return out;
  }

  std::unique_ptr<TestHost> host_;
};

TEST_F(SqsActionsTest, SendCarriesBodyAndAttributes) {
  Load(Config());
  const std::string queue = UniqueQueue("send");
  const std::string url = CreateQueue(queue);
  auto sent = Call("sqs.send", {{"queue", queue},
                                {"body", {{"order", 42}}},
                                {"attributes", {{"kind", "order"}, {"priority", 3}}}});
  ASSERT_TRUE(sent.ok) << sent.code << ": " << sent.message;
  const std::string id = sent.output["message_id"];
  EXPECT_FALSE(id.empty());
  const Json messages = Receive(url, 1);
  ASSERT_EQ(messages.size(), 1u) << messages.dump();
  EXPECT_EQ(messages[0]["MessageId"], id);
  EXPECT_EQ(Json::parse(messages[0]["Body"].get<std::string>()), Json({{"order", 42}}));
  EXPECT_EQ(messages[0]["MessageAttributes"]["kind"]["StringValue"], "order");
  EXPECT_EQ(messages[0]["MessageAttributes"]["priority"]["DataType"], "Number");
  EXPECT_EQ(messages[0]["MessageAttributes"]["priority"]["StringValue"], "3");

  // A plain string body is sent as it is; the queue by URL works too.
  sent = Call("sqs.send", {{"queue", url}, {"body", "plain text"}});
  ASSERT_TRUE(sent.ok) << sent.message;
  const Json second = Receive(url, 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0]["Body"], "plain text");
  // The secret key never shows up in the engine log.
  EXPECT_EQ(log().find(kSqsTestSecretKey), std::string::npos) << log();
}

TEST_F(SqsActionsTest, FifoNeedsAGroupAndDeduplicatesByTheStepsIdempotencyKey) {
  Load(Config());
  const std::string queue = UniqueQueue("fifo", /*fifo=*/true);
  const std::string url = CreateQueue(queue);
  auto no_group = Call("sqs.send", {{"queue", queue}, {"body", "x"}});
  ASSERT_FALSE(no_group.ok);
  EXPECT_TRUE(no_group.permanent());
  EXPECT_NE(no_group.message.find("group_id is required"), std::string::npos);

  // Two attempts of the same step (same idempotency key): one message.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto sent =
        Call("sqs.send", {{"queue", queue}, {"body", "once"}, {"group_id", "g1"}}, "inst/7/notify");
    ASSERT_TRUE(sent.ok) << sent.message;
    EXPECT_TRUE(sent.output.contains("sequence_number")) << sent.output.dump();
  }
  // An explicit deduplication id wins over the key (another group: a FIFO
  // queue hands out one group's messages one receive at a time).
  auto other = Call(
      "sqs.send",
      {{"queue", queue}, {"body", "twice"}, {"group_id", "g2"}, {"deduplication_id", "custom-1"}},
      "inst/7/notify");
  ASSERT_TRUE(other.ok) << other.message;
  std::map<std::string, Json> by_body;
  for (int i = 0; i < 3; ++i) {
    for (const Json& m : Receive(url, 1)) by_body[m["Body"].get<std::string>()] = m;
  }
  ASSERT_EQ(by_body.size(), 2u);
  EXPECT_EQ(by_body["once"]["Attributes"]["MessageDeduplicationId"], "inst/7/notify");
  EXPECT_EQ(by_body["once"]["Attributes"]["MessageGroupId"], "g1");
  EXPECT_EQ(by_body["twice"]["Attributes"]["MessageDeduplicationId"], "custom-1");
  EXPECT_EQ(MessagesLeft(url), 2) << "the second attempt was not deduplicated";
}

TEST_F(SqsActionsTest, SendBatchDeleteAndChangeVisibility) {
  Load(Config());
  const std::string queue = UniqueQueue("batch");
  const std::string url = CreateQueue(queue);
  auto sent = Call("sqs.send_batch", {{"queue", queue},
                                      {"messages",
                                       {{{"body", "a"}},
                                        {{"body", {{"b", 1}}}, {"id", "second"}},
                                        {{"body", "c"}, {"delay_seconds", 0}}}}});
  ASSERT_TRUE(sent.ok) << sent.message;
  ASSERT_EQ(sent.output["sent"].size(), 3u);
  EXPECT_EQ(sent.output["sent"][1]["id"], "second");

  Json messages = Receive(url, 1);
  ASSERT_EQ(messages.size(), 3u);
  // Back to visible at once, then deleted one by one.
  for (const Json& m : messages) {
    auto changed =
        Call("sqs.change_visibility",
             {{"queue", queue}, {"receipt_handle", m["ReceiptHandle"]}, {"visibility_timeout", 0}});
    ASSERT_TRUE(changed.ok) << changed.message;
  }
  messages = Receive(url, 1);
  ASSERT_EQ(messages.size(), 3u);
  for (const Json& m : messages) {
    auto deleted = Call("sqs.delete", {{"queue", queue}, {"receipt_handle", m["ReceiptHandle"]}});
    ASSERT_TRUE(deleted.ok) << deleted.message;
  }
  EXPECT_EQ(MessagesLeft(url), 0);
}

TEST_F(SqsActionsTest, PurgeIsRefusedUnlessAllowed) {
  Load(Config());
  const std::string queue = UniqueQueue("purge");
  const std::string url = CreateQueue(queue);
  ASSERT_TRUE(Call("sqs.send", {{"queue", queue}, {"body", "keep"}}).ok);
  auto refused = Call("sqs.purge", {{"queue", queue}});
  ASSERT_FALSE(refused.ok);
  EXPECT_EQ(refused.code, "sqs_purge_not_allowed");
  EXPECT_TRUE(refused.permanent());
  EXPECT_EQ(MessagesLeft(url), 1);

  Load(Config({{"allow_purge", true}}));
  auto purged = Call("sqs.purge", {{"queue", queue}});
  ASSERT_TRUE(purged.ok) << purged.message;
  EXPECT_TRUE(Eventually([&] { return MessagesLeft(url) == 0; }));
}

TEST_F(SqsActionsTest, AwsErrorsAreClassified) {
  Load(Config());
  // A queue that does not exist: permanent, with AWS's code and message.
  auto missing = Call("sqs.send", {{"queue", UniqueQueue("missing")}, {"body", "x"}});
  ASSERT_FALSE(missing.ok);
  EXPECT_TRUE(missing.permanent());
  EXPECT_EQ(missing.code.rfind("sqs_", 0), 0u) << missing.code;
  EXPECT_NE(missing.message.find("does not exist"), std::string::npos) << missing.message;

  // Nobody listening: a network failure, retryable.
  Load(Config({{"endpoint", "http://127.0.0.1:1"}, {"timeout_ms", 2000}}));
  auto down = Call("sqs.send", {{"queue", "http://127.0.0.1:1/000000000000/q"}, {"body", "x"}});
  ASSERT_FALSE(down.ok);
  EXPECT_FALSE(down.permanent());
  EXPECT_EQ(down.code, "sqs_network");
}

}  // namespace
}  // namespace storeflow::plugins::aws::testing
