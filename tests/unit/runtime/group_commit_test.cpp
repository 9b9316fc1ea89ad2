// Group commit: many publishers share transactions, and one bad event does not
// take the others down with it.

#include <atomic>
#include <set>
#include <thread>

#include "common/metrics.h"
#include "runtime/group_commit.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

// `key` fails (indexing nil) for an event without `x`: that event cannot be published.
constexpr char kKeyed[] = R"(workflow: keyed
on:
  - event: thing/happened
key: event.x.y
steps:
  - id: note
    uses: log
    with: { message: "${{ run.key }}" }
)";

class GroupCommitTest : public RuntimeTest {};

TEST_P(GroupCommitTest, OneFailingEventDoesNotLoseTheOthersOfItsBatch) {
  Load(kKeyed);
  std::vector<store::EventRow> events;
  for (int i = 0; i < 5; ++i) {
    store::EventRow event;
    event.topic = "thing/happened";
    event.source = "test";
    event.dedup_key = "d-" + std::to_string(i);
    event.payload = i == 2 ? Json{{"nothing", true}} : Json{{"x", {{"y", i}}}};
    events.push_back(std::move(event));
  }
  auto outcomes = engine_->PublishBatch(std::move(events));
  ASSERT_EQ(outcomes.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(outcomes[i].ok(), i != 2) << i << ": " << outcomes[i].status().ToString();
  }
  EXPECT_EQ(Events().size(), 4u);
  EXPECT_EQ(Runs("keyed").size(), 4u);
}

TEST_P(GroupCommitTest, PayloadTextsAreStoredAndParsedOnlyWhenWanted) {
  Load(kKeyed);
  std::vector<store::EventRow> events;
  std::vector<std::string> texts;
  // A wanted topic without its parsed payload (a workflow came after the
  // request looked), an unwanted one, a value with an empty text, a duplicate.
  for (const char* topic : {"thing/happened", "nobody/listens", "thing/happened", "x/y"}) {
    store::EventRow event;
    event.topic = topic;
    event.source = "test";
    event.dedup_key = "same-" + std::to_string(events.size() % 3);
    event.payload = Json(Json::value_t::discarded);
    events.push_back(std::move(event));
  }
  texts = {R"({"x": {"y": 1}})", R"({"raw": [1, 2]})", "", R"({})"};
  events[2].payload = {{"x", {{"y", 3}}}};
  auto outcomes = engine_->PublishBatch(std::move(events), std::move(texts));
  ASSERT_EQ(outcomes.size(), 4u);
  for (const auto& o : outcomes) ASSERT_TRUE(o.ok()) << o.status().ToString();
  ASSERT_TRUE(outcomes[0]->event_id.has_value());
  EXPECT_EQ(outcomes[0]->runs.size(), 1u);
  ASSERT_TRUE(outcomes[1]->event_id.has_value());
  EXPECT_TRUE(outcomes[1]->runs.empty());
  EXPECT_EQ(outcomes[2]->runs.size(), 1u);
  EXPECT_FALSE(outcomes[3]->event_id.has_value());  // dedup key of the first
  auto runs = Runs("keyed");
  ASSERT_EQ(runs.size(), 2u);
  std::set<std::string> keys;
  for (const auto& run : runs) keys.insert(run.key.value_or("-"));
  EXPECT_EQ(keys, (std::set<std::string>{"1", "3"}));
  auto tx = Begin();
  auto stored = tx->GetEvent(*outcomes[1]->event_id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->payload, Json({{"raw", {1, 2}}}));
}

TEST_P(GroupCommitTest, ConcurrentPublishersShareTransactions) {
  Load(kKeyed);
  GroupCommitter committer(*engine_, {64, 2});
  auto& registry = metrics::Registry::Default();
  const double batches_before = registry.Value("storeflow_group_commit_batch_size");
  constexpr int kThreads = 16;
  constexpr int kEach = 8;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        store::EventRow event;
        event.topic = "thing/happened";
        event.source = "test";
        event.dedup_key = std::to_string(t) + "/" + std::to_string(i);
        event.payload = {{"x", {{"y", t * 100 + i}}}};
        if (committer.Publish(std::move(event)).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  committer.Stop();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_EQ(Events().size(), static_cast<std::size_t>(kThreads * kEach));
  const double batches = registry.Value("storeflow_group_commit_batch_size") - batches_before;
  EXPECT_GT(batches, 0);
  EXPECT_LT(batches, kThreads * kEach) << "no two events ever shared a transaction";
  // After Stop, publishing is refused rather than lost.
  store::EventRow late;
  late.topic = "thing/happened";
  late.source = "test";
  EXPECT_EQ(committer.Publish(std::move(late)).status().code(), StatusCode::kUnavailable);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(GroupCommitTest);

}  // namespace
}  // namespace storeflow::runtime::testing
