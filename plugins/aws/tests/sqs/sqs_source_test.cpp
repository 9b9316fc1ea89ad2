// The `sqs` event source of the built aws plugin, against the fauxqs peer:
// `queue: sqs/<queue>` workflows run from its messages, each committed before it
// is deleted; a redelivered message creates nothing new; FIFO groups become run
// keys in order; poison messages are recorded as rejected and deleted.

#include <algorithm>
#include <map>
#include <set>

#include "sqs_plugin_fixture.h"

namespace storeflow::plugins::aws::testing {
namespace {

std::string Workflow(const std::string& name, const std::string& queue) {
  return "workflow: " + name + "\non:\n  - queue: sqs/" + queue +
         "\nsteps:\n  - id: note\n    uses: log\n    with: { message: \"${{ event.n }}\" }\n";
}

class SqsSourceTest : public SqsPluginTest {};

TEST_F(SqsSourceTest, StandardQueueMessagesBecomeRunsAndAreDeleted) {
  const std::string queue = UniqueQueue("src");
  const std::string url = CreateQueue(queue);
  Load(Config({{"queues", {{queue, {{"receivers", 2}, {"wait_seconds", 1}}}}}}));
  StartEngine(Workflow("from-sqs", queue));
  for (int n = 1; n <= 5; ++n) {
    ASSERT_FALSE(SqsCall("SendMessage", {{"QueueUrl", url}, {"MessageBody", Json{{"n", n}}.dump()}})
                     .contains("__status"));
  }
  ASSERT_TRUE(StartSources().ok());
  ASSERT_TRUE(Eventually([&] { return Runs("from-sqs").size() == 5; }))
      << Runs("from-sqs").size() << " runs\n"
      << log();
  ASSERT_TRUE(Eventually([&] { return MessagesLeft(url) == 0; })) << log();
  std::set<int> seen;
  for (const auto& e : Events("sqs/" + queue)) {
    seen.insert(e.payload["n"].get<int>());
    EXPECT_EQ(e.source, "sqs");
    EXPECT_EQ(e.meta["queue"], queue);
    EXPECT_EQ(e.dedup_key, queue + "/m/" + e.meta["message_id"].get<std::string>());
  }
  EXPECT_EQ(seen, (std::set<int>{1, 2, 3, 4, 5}));
  host_->StopSources();  // returns once the receivers' long polls ended
}

TEST_F(SqsSourceTest, ARedeliveredMessageCreatesNothingNew) {
  const std::string queue = UniqueQueue("redeliver");
  const std::string url = CreateQueue(queue);
  Load(Config());
  StartEngine(Workflow("redelivered", queue));
  SqsCall("SendMessage", {{"QueueUrl", url}, {"MessageBody", R"({"n": 1})"}});
  // An engine took it, committed it and died before deleting it: the event is
  // there, and SQS hands the message out again once its visibility ends.
  const Json taken = Receive(url, 1, /*visibility=*/1);
  ASSERT_EQ(taken.size(), 1u);
  store::EventRow event;
  event.source = "sqs";
  event.topic = "sqs/" + queue;
  event.dedup_key = queue + "/m/" + taken[0]["MessageId"].get<std::string>();
  event.payload = Json{{"n", 1}};
  auto first = engine_->Publish(event);
  ASSERT_TRUE(first.ok() && first->event_id.has_value());
  ASSERT_EQ(Runs("redelivered").size(), 1u);

  ASSERT_TRUE(StartSources().ok());
  ASSERT_TRUE(Eventually([&] { return MessagesLeft(url) == 0; }))
      << "the redelivered message was not deleted\n"
      << log();
  EXPECT_EQ(Events("sqs/" + queue).size(), 1u);
  EXPECT_EQ(Runs("redelivered").size(), 1u);
}

TEST_F(SqsSourceTest, FifoGroupsBecomeRunKeysInOrder) {
  const std::string queue = UniqueQueue("fifo-src", /*fifo=*/true);
  const std::string url = CreateQueue(queue);
  Load(Config());
  StartEngine(Workflow("grouped", queue));
  int n = 0;
  for (const char* group : {"g1", "g2", "g1", "g2", "g1"}) {
    ++n;
    SqsCall("SendMessage", {{"QueueUrl", url},
                            {"MessageBody", Json{{"n", n}, {"group", group}}.dump()},
                            {"MessageGroupId", group},
                            {"MessageDeduplicationId", "d" + std::to_string(n)}});
  }
  // The same deduplication id again: SQS drops it within its 5-minute window.
  SqsCall("SendMessage", {{"QueueUrl", url},
                          {"MessageBody", R"({"n": 99})"},
                          {"MessageGroupId", "g1"},
                          {"MessageDeduplicationId", "d1"}});
  ASSERT_TRUE(StartSources().ok());
  ASSERT_TRUE(Eventually([&] { return Runs("grouped").size() == 5; }))
      << Runs("grouped").size() << " runs\n"
      << log();
  ASSERT_TRUE(Eventually([&] { return MessagesLeft(url) == 0; })) << log();
  // Events are committed in group order; runs are keyed by their group.
  std::map<std::string, std::vector<int>> order;
  auto events = Events("sqs/" + queue);
  std::sort(events.begin(), events.end(),
            [](const store::EventRow& a, const store::EventRow& b) { return a.id < b.id; });
  for (const auto& e : events) {
    order[e.payload["group"]].push_back(e.payload["n"]);
    EXPECT_EQ(e.dedup_key, queue + "/d/d" + std::to_string(e.payload["n"].get<int>()));
  }
  EXPECT_EQ(order["g1"], (std::vector<int>{1, 3, 5}));
  EXPECT_EQ(order["g2"], (std::vector<int>{2, 4}));
  std::map<std::string, int> keys;
  for (const auto& run : Runs("grouped")) keys[run.key.value_or("-")]++;
  EXPECT_EQ(keys, (std::map<std::string, int>{{"g1", 3}, {"g2", 2}}));
}

TEST_F(SqsSourceTest, PoisonMessagesAreRecordedAsRejectedAndDeleted) {
  const std::string queue = UniqueQueue("poison");
  const std::string url = CreateQueue(queue);
  Load(Config());
  StartEngine(Workflow("poisoned", queue));
  SqsCall("SendMessage", {{"QueueUrl", url}, {"MessageBody", "this is {not json"}});
  SqsCall("SendMessage", {{"QueueUrl", url}, {"MessageBody", R"({"n": 2})"}});
  ASSERT_TRUE(StartSources().ok());
  ASSERT_TRUE(Eventually([&] { return MessagesLeft(url) == 0; })) << log();
  ASSERT_TRUE(Eventually([&] { return Runs("poisoned").size() == 1; })) << log();
  const auto rejected = Events("sqs/" + queue + ".rejected");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].payload["body"], "this is {not json");
  EXPECT_EQ(rejected[0].meta["rejected"], "the message body is not JSON");
}

TEST_F(SqsSourceTest, PoisonLeftForRedriveStaysOnTheQueue) {
  const std::string queue = UniqueQueue("leave");
  const std::string url = CreateQueue(queue);
  Load(Config({{"queues", {{queue, {{"poison", "leave"}, {"visibility_timeout", 30}}}}}}));
  StartEngine(Workflow("left", queue));
  SqsCall("SendMessage", {{"QueueUrl", url}, {"MessageBody", "<xml/>"}});
  ASSERT_TRUE(StartSources().ok());
  ASSERT_TRUE(Eventually([&] { return log().find("left on the queue") != std::string::npos; }))
      << log();
  host_->StopSources();
  EXPECT_EQ(MessagesLeft(url), 1);
  EXPECT_TRUE(Events("sqs/" + queue + ".rejected").empty());
}

// With `poison: leave`, the queue's own redrive policy takes over: after
// maxReceiveCount receives the emulator moves the message to the dead-letter queue,
// and the engine stored nothing for it.
TEST_F(SqsSourceTest, PoisonLeftForRedriveReachesTheQueuesDeadLetterQueue) {
  const std::string dlq_url = CreateQueue(UniqueQueue("dlq"));
  const Json dlq =
      SqsCall("GetQueueAttributes", {{"QueueUrl", dlq_url}, {"AttributeNames", {"QueueArn"}}});
  const std::string dlq_arn = dlq.value("Attributes", Json::object()).value("QueueArn", "");
  ASSERT_FALSE(dlq_arn.empty()) << dlq.dump();
  const std::string queue = UniqueQueue("redrive");
  const std::string url = CreateQueue(
      queue,
      {{"RedrivePolicy", Json{{"deadLetterTargetArn", dlq_arn}, {"maxReceiveCount", "2"}}.dump()}});
  Load(Config({{"queues", {{queue, {{"poison", "leave"}, {"visibility_timeout", 1}}}}}}));
  StartEngine(Workflow("redriven", queue));
  SqsCall("SendMessage", {{"QueueUrl", url}, {"MessageBody", "<not json/>"}});
  ASSERT_TRUE(StartSources().ok());
  ASSERT_TRUE(Eventually([&] { return MessagesLeft(dlq_url) == 1; }))
      << "not moved to the dead-letter queue; left on the queue: " << MessagesLeft(url) << "\n"
      << log();
  host_->StopSources();
  EXPECT_EQ(MessagesLeft(url), 0);
  const Json moved = Receive(dlq_url);
  ASSERT_EQ(moved.size(), 1u) << moved.dump();
  EXPECT_EQ(moved[0]["Body"], "<not json/>");
  EXPECT_TRUE(Events("sqs/" + queue + ".rejected").empty());
  EXPECT_TRUE(Runs("redriven").empty());
}

}  // namespace
}  // namespace storeflow::plugins::aws::testing
