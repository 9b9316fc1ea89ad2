// How the `sqs` source publishes a received batch, against the fauxqs peer:
// a standard batch's messages are in flight at once (so fewer group commits
// than messages); a FIFO batch's groups are in flight at once but each group's
// messages one after another, in send order; a message that is not committed
// stays on the queue alone (standard), or with its group's later messages,
// which are not published (FIFO).

#include <algorithm>
#include <condition_variable>
#include <map>
#include <set>

#include "common/metrics.h"
#include "sqs_plugin_fixture.h"

namespace storeflow::plugins::aws::testing {
namespace {

std::string Workflow(const std::string& name, const std::string& queue) {
  return "workflow: " + name + "\non:\n  - queue: sqs/" + queue +
         "\nsteps:\n  - id: note\n    uses: log\n    with: { message: \"${{ event.n }}\" }\n";
}

// Sends {"n": n, "group": g} for each (n, g) in one SendMessageBatch (a FIFO
// queue gets the group and a deduplication id d<n>).
void SendBatch(const std::string& url, const std::vector<std::pair<int, std::string>>& messages) {
  Json entries = Json::array();
  for (const auto& [n, group] : messages) {
    Json entry = {{"Id", "m" + std::to_string(n)},
                  {"MessageBody", Json{{"n", n}, {"group", group}}.dump()}};
    if (!group.empty()) {
      entry["MessageGroupId"] = group;
      entry["MessageDeduplicationId"] = "d" + std::to_string(n);
    }
    entries.push_back(entry);
  }
  const Json answer = SqsCall("SendMessageBatch", {{"QueueUrl", url}, {"Entries", entries}});
  ASSERT_FALSE(answer.contains("__status")) << answer.dump();
  ASSERT_EQ(answer.value("Successful", Json::array()).size(), messages.size()) << answer.dump();
}

// Wraps the engine's publisher and records what the source does with it: the
// publishes in flight at once (overall, and whether two of one FIFO group ever
// were), the order of the calls per group, and fails (not committed) the
// messages whose n is in `fail`. Each publish is held until `gate` are in
// flight at once (at most 10 s; the gate then stays open), so that a batch
// published concurrently shows as such however the threads are scheduled; a
// source that publishes one at a time never gets past 1.
class PublishRecorder {
 public:
  PublishRecorder(plugin::SourcePublisher inner, int gate, std::set<int> fail = {})
      : inner_(std::move(inner)), gate_(gate), fail_(std::move(fail)) {}

  plugin::SourcePublisher Publisher() {
    return [this](plugin::SourceEvent event) { return Publish(std::move(event)); };
  }

  int max_in_flight() {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }
  bool group_overlapped() {
    std::lock_guard lock(mu_);
    return group_overlapped_;
  }
  std::map<std::string, std::vector<int>> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int calls_of(int n) {
    std::lock_guard lock(mu_);
    int count = 0;
    for (const auto& [group, ns] : calls_) count += std::count(ns.begin(), ns.end(), n);
    return count;
  }

 private:
  Result<bool> Publish(plugin::SourceEvent event) {
    const int n = event.payload.value("n", 0);
    const std::string group = event.meta.value("group_id", std::string());
    {
      std::unique_lock lock(mu_);
      ++in_flight_;
      max_in_flight_ = std::max(max_in_flight_, in_flight_);
      if (!group.empty() && ++group_in_flight_[group] > 1) group_overlapped_ = true;
      calls_[group].push_back(n);
      if (in_flight_ >= gate_) open_ = true;
      cv_.notify_all();
      if (!cv_.wait_for(lock, std::chrono::seconds(10), [this] { return open_; })) open_ = true;
    }
    Result<bool> result = fail_.count(n) > 0 ? Result<bool>(Unavailable("test: not committed"))
                                             : inner_(std::move(event));
    std::lock_guard lock(mu_);
    --in_flight_;
    if (!group.empty()) --group_in_flight_[group];
    return result;
  }

  plugin::SourcePublisher inner_;
  const int gate_;
  const std::set<int> fail_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
  std::map<std::string, int> group_in_flight_;
  bool group_overlapped_ = false;
  std::map<std::string, std::vector<int>> calls_;
};

double GroupCommits() {
  return metrics::Registry::Default().Value("storeflow_group_commit_batch_size");
}

// The events of `topic` in commit order, as group -> [n...].
std::map<std::string, std::vector<int>> CommitOrder(std::vector<store::EventRow> events) {
  std::sort(events.begin(), events.end(),
            [](const store::EventRow& a, const store::EventRow& b) { return a.id < b.id; });
  std::map<std::string, std::vector<int>> order;
  for (const auto& e : events) order[e.payload["group"]].push_back(e.payload["n"]);
  return order;
}

class SqsSourceBatchTest : public SqsPluginTest {
 protected:
  // The recorder lives as long as the test (the sources are stopped in
  // TearDown, before it goes), also when an assertion ends the test early.
  PublishRecorder& Record(int gate, std::set<int> fail = {}) {
    recorder_ = std::make_unique<PublishRecorder>(plugin::PublishThrough(*committer_), gate,
                                                  std::move(fail));
    return *recorder_;
  }

  std::unique_ptr<PublishRecorder> recorder_;
};

TEST_F(SqsSourceBatchTest, AStandardBatchIsInFlightAtOnceAndTakesFewerCommits) {
  const std::string queue = UniqueQueue("batch");
  const std::string url = CreateQueue(queue);
  Load(Config({{"queues", {{queue, {{"receivers", 1}, {"max_messages", 10}}}}}}));
  StartEngine(Workflow("batched", queue));
  std::vector<std::pair<int, std::string>> messages;
  for (int n = 1; n <= 10; ++n) messages.emplace_back(n, "");
  SendBatch(url, messages);
  PublishRecorder& recorder = Record(/*gate=*/10);
  const double commits_before = GroupCommits();
  ASSERT_TRUE(StartSources(recorder.Publisher()).ok());
  ASSERT_TRUE(Eventually([&] { return Runs("batched").size() == 10; }))
      << Runs("batched").size() << " runs\n"
      << log();
  const double commits = GroupCommits() - commits_before;
  ASSERT_TRUE(Eventually([&] { return MessagesLeft(url) == 0; })) << log();
  host_->StopSources();
  // One receiver, one batch of ten: all ten were being published at once.
  EXPECT_EQ(recorder.max_in_flight(), 10);
  EXPECT_GE(commits, 1);
  EXPECT_LT(commits, 10) << "each message took a group commit of its own";
  EXPECT_EQ(Events("sqs/" + queue).size(), 10u);
}

TEST_F(SqsSourceBatchTest, FifoGroupsAreInFlightAtOnceEachInSendOrder) {
  const std::string queue = UniqueQueue("batch-fifo", /*fifo=*/true);
  const std::string url = CreateQueue(queue);
  Load(Config({{"queues", {{queue, {{"receivers", 1}, {"max_messages", 10}}}}}}));
  StartEngine(Workflow("grouped", queue));
  SendBatch(
      url,
      {{1, "g1"}, {2, "g2"}, {3, "g1"}, {4, "g2"}, {5, "g1"}, {6, "g2"}, {7, "g1"}, {8, "g2"}});
  PublishRecorder& recorder = Record(/*gate=*/2);
  ASSERT_TRUE(StartSources(recorder.Publisher()).ok());
  ASSERT_TRUE(Eventually([&] { return Runs("grouped").size() == 8; }))
      << Runs("grouped").size() << " runs\n"
      << log();
  ASSERT_TRUE(Eventually([&] { return MessagesLeft(url) == 0; })) << log();
  host_->StopSources();
  EXPECT_EQ(recorder.max_in_flight(), 2) << "the two groups were not published at once";
  EXPECT_FALSE(recorder.group_overlapped()) << "two messages of one group were in flight at once";
  const std::map<std::string, std::vector<int>> sent = {{"g1", {1, 3, 5, 7}}, {"g2", {2, 4, 6, 8}}};
  EXPECT_EQ(recorder.calls(), sent);
  EXPECT_EQ(CommitOrder(Events("sqs/" + queue)), sent);
  std::map<std::string, int> keys;
  for (const auto& run : Runs("grouped")) keys[run.key.value_or("-")]++;
  EXPECT_EQ(keys, (std::map<std::string, int>{{"g1", 4}, {"g2", 4}}));
}

TEST_F(SqsSourceBatchTest, AMessageNotCommittedIsTheOnlyOneLeftOnTheQueue) {
  const std::string queue = UniqueQueue("batch-fail");
  const std::string url = CreateQueue(queue);
  // A short visibility timeout: the failed message comes back (and fails again)
  // while the test runs, and is visible soon after the source stopped.
  Load(Config({{"queues",
                {{queue, {{"receivers", 1}, {"max_messages", 10}, {"visibility_timeout", 2}}}}}}));
  StartEngine(Workflow("failing", queue));
  std::vector<std::pair<int, std::string>> messages;
  for (int n = 1; n <= 10; ++n) messages.emplace_back(n, "");
  SendBatch(url, messages);
  PublishRecorder& recorder = Record(/*gate=*/1, /*fail=*/{4});
  ASSERT_TRUE(StartSources(recorder.Publisher()).ok());
  ASSERT_TRUE(Eventually([&] { return Runs("failing").size() == 9; }))
      << Runs("failing").size() << " runs\n"
      << log();
  ASSERT_TRUE(Eventually([&] { return MessagesLeft(url) == 1; })) << log();
  host_->StopSources();
  EXPECT_GE(recorder.calls_of(4), 1);
  EXPECT_NE(log().find("did not commit a message"), std::string::npos) << log();
  std::set<int> committed;
  for (const auto& e : Events("sqs/" + queue)) committed.insert(e.payload["n"].get<int>());
  EXPECT_EQ(committed, (std::set<int>{1, 2, 3, 5, 6, 7, 8, 9, 10}));
  const Json left = Receive(url, /*wait=*/5);
  ASSERT_EQ(left.size(), 1u) << left.dump();
  EXPECT_EQ(Json::parse(left[0]["Body"].get<std::string>())["n"], 4);
}

TEST_F(SqsSourceBatchTest, AFifoMessageNotCommittedHoldsBackTheRestOfItsGroup) {
  const std::string queue = UniqueQueue("batch-fifo-fail", /*fifo=*/true);
  const std::string url = CreateQueue(queue);
  Load(Config({{"queues",
                {{queue, {{"receivers", 1}, {"max_messages", 10}, {"visibility_timeout", 2}}}}}}));
  StartEngine(Workflow("held", queue));
  SendBatch(url, {{1, "g1"}, {2, "g2"}, {3, "g1"}, {4, "g2"}, {5, "g1"}});
  PublishRecorder& recorder = Record(/*gate=*/1, /*fail=*/{3});
  ASSERT_TRUE(StartSources(recorder.Publisher()).ok());
  ASSERT_TRUE(Eventually([&] { return Runs("held").size() == 3; }))
      << Runs("held").size() << " runs\n"
      << log();
  ASSERT_TRUE(Eventually([&] { return MessagesLeft(url) == 2; })) << log();
  host_->StopSources();
  EXPECT_GE(recorder.calls_of(3), 1);
  EXPECT_EQ(recorder.calls_of(5), 0) << "a message after its group's failed one was published";
  EXPECT_EQ(CommitOrder(Events("sqs/" + queue)),
            (std::map<std::string, std::vector<int>>{{"g1", {1}}, {"g2", {2, 4}}}));
  // What is left is g1's 3 then 5, in order (5 only once 3 is gone).
  std::vector<int> left;
  for (int i = 0; i < 2; ++i) {
    const Json got = Receive(url, /*wait=*/5);
    ASSERT_FALSE(got.empty()) << "left so far: " << Json(left).dump();
    left.push_back(Json::parse(got[0]["Body"].get<std::string>())["n"].get<int>());
    for (const auto& message : got) {
      SqsCall("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", message["ReceiptHandle"]}});
    }
    if (got.size() > 1) left.push_back(Json::parse(got[1]["Body"].get<std::string>())["n"]);
    if (left.size() >= 2) break;
  }
  EXPECT_EQ(left, (std::vector<int>{3, 5}));
}

}  // namespace
}  // namespace storeflow::plugins::aws::testing
