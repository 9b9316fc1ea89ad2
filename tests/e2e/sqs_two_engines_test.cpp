// The seed-000 shape end to end, on SQLite and on PostgreSQL: signed Shopify
// webhooks reach engine A (`storeflow serve`), whose ingress workflow `sqs.send`s
// each one to a FIFO queue on the fauxqs peer (group id = the order's group, the
// deduplication id = the step's idempotency key); engine B (a second `storeflow
// serve`, its own database) runs a `queue: sqs/<queue>` workflow per message, fed
// by the sqs source (2 receivers, the group as run key), which records the message
// in B's store. B is killed with SIGKILL twice while it works through the queue and
// restarted on the same database; some webhooks are delivered twice.
//
// Proved: every webhook became exactly one run in B and one record (none lost,
// none twice: not across the kills, not for the duplicated deliveries), within each
// group in the order the webhooks were sent, and the queue is empty at the end.
//
// The engines have a database each (two SQLite files; two PostgreSQL databases):
// they are two installations, as the ingress service and the worker of seed 000
// are. On one PostgreSQL database both engines' workers would share one run queue
// and claim each other's runs, which a real deployment of two different workflow
// folders does not do.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/shopify_source.h"
#include "http_client.h"
#include "serve_process.h"
#include "sqs_peer.h"
#include "store/store.h"
#include "store_fixture.h"

namespace storeflow::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test_support::Http;
using test_support::HttpReply;
using test_support::ServeProcess;

constexpr int kGroups = 10;
constexpr int kPerGroup = 30;
constexpr int kMessages = kGroups * kPerGroup;  // 300 unique webhooks
constexpr int kSenders = 4;                     // threads, each owning some groups
constexpr int kKills = 2;                       // SIGKILLs of engine B
constexpr int kDuplicateOneIn = 10;             // a delivery sent again (same webhook id)
constexpr int kReplayOneIn = 12;                // a delivery replayed later under a new id
constexpr auto kDrainBound = std::chrono::seconds(120);
constexpr auto kTestBudget = std::chrono::seconds(270);  // ctest stops it at 300 s
constexpr char kSecret[] = "two-engines-webhook-secret";
constexpr char kAdminToken[] = "e2e-two-engines-admin-token-0123456789ab";
constexpr char kIngress[] = "orders-ingress";
constexpr char kConsume[] = "orders-consume";
static_assert(kMessages <= 500, "Progress() reads one page of records (at most 500)");

std::string GroupName(int group) {
  char name[8];
  std::snprintf(name, sizeof name, "g%02d", group);
  return name;
}

// What engine B has recorded so far: the sum of the per-group counters and the
// number of per-message records.
struct Progress {
  long applied = 0;
  long records = 0;
};

class SqsTwoEnginesTest : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    STOREFLOW_REQUIRE_SQS_PEER();
    StoreTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    store_.reset();  // engine A owns the test's database (SQLite: one process per file)
    started_ = std::chrono::steady_clock::now();
    work_ = fs::temp_directory_path() / ("storeflow-e2e-sqs2e-" + std::to_string(getpid()) + "-" +
                                         std::to_string(std::random_device()()));
    fs::create_directories(work_ / "a" / "workflows");
    fs::create_directories(work_ / "b" / "workflows");
    if (is_pg()) {
      b_pg_ = std::make_unique<store::testing::PgTestDatabase>();
      ASSERT_EQ(b_pg_->Create(), "") << "cannot create engine B's database";
      b_url_ = b_pg_->url();
    } else {
      b_url_ = "sqlite:" + (work_ / "engine-b.db").string();
    }
    queue_ = test_support::UniqueQueue("e2e-two-engines", /*fifo=*/true);
    queue_url_ = test_support::CreateQueue(queue_);
    ASSERT_FALSE(queue_url_.empty());
    WriteFiles();
  }

  void TearDown() override {
    if (a_.pid() > 0) a_.Stop(SIGTERM);
    if (b_.pid() > 0) b_.Stop(SIGTERM);
    if (HasFailure()) {
      std::fprintf(stderr, "engine A log (%s):\n%s\nengine B log (the last start):\n%s\n",
                   work_.c_str(), a_.log().substr(0, 20000).c_str(),
                   b_.log().substr(0, 30000).c_str());
    }
    if (!queue_url_.empty()) test_support::SqsCall("DeleteQueue", {{"QueueUrl", queue_url_}});
    std::error_code ignored;
    if (!HasFailure() && !work_.empty()) fs::remove_all(work_, ignored);
    b_pg_.reset();
    StoreTest::TearDown();
  }

  // The workflows, the configs (owner-only: they name a secrets file) and the
  // AWS credentials as secrets (fauxqs does not check them; the plugin signs).
  void WriteFiles() {
    std::ofstream(work_ / "secrets.yaml") << "AWS_KEY_ID: test\nAWS_SECRET_KEY: test\n";
    fs::permissions(work_ / "secrets.yaml", fs::perms::owner_read | fs::perms::owner_write);

    // A: one run per order group at a time (key), so the group's messages are sent
    // in the order their webhooks were committed.
    std::ofstream(work_ / "a" / "workflows" / "orders-ingress.yaml")
        << "workflow: " << kIngress << "\n"
        << "on:\n  - webhook: shopify/orders/updated\n"
        << "key: event.group\n"
        << "steps:\n"
        << "  - id: enqueue\n"
        << "    uses: sqs.send\n"
        << "    with:\n"
        << "      queue: " << queue_ << "\n"
        << "      group_id: \"${{ event.group }}\"\n"
        << "      body: \"${{ event }}\"\n";

    // B: the run key is the message group (the source's run_key); `count` numbers
    // the group's messages in the order they were applied, `record` keeps that
    // number with the message.
    std::ofstream(work_ / "b" / "workflows" / "orders-consume.yaml")
        << "workflow: " << kConsume << "\n"
        << "on:\n  - queue: sqs/" << queue_ << "\n"
        << "steps:\n"
        << "  - id: count\n"
        << "    uses: store.patch\n"
        << "    with:\n"
        << "      collection: sqs_groups\n"
        << "      key: \"${{ event.group }}\"\n"
        << "      inc: { applied: 1 }\n"
        << "      set: { last_seq: \"${{ event.seq }}\" }\n"
        << "  - id: record\n"
        << "    uses: store.put\n"
        << "    with:\n"
        << "      collection: sqs_messages\n"
        << "      key: \"${{ event.group }}-${{ event.seq }}\"\n"
        << "      value:\n"
        << "        group: \"${{ event.group }}\"\n"
        << "        seq: \"${{ event.seq }}\"\n"
        << "        position: \"${{ steps.count.output.value.applied }}\"\n"
        << "        run_id: \"${{ run.id }}\"\n"
        << "        run_key: \"${{ run.key }}\"\n"
        << "        sqs_sequence_number: \"${{ meta.sequence_number }}\"\n"
        << "        receive_count: \"${{ meta.receive_count }}\"\n";

    const std::string sqs = std::string("plugins:\n  config:\n    sqs:\n") +
                            "      region: us-east-1\n      endpoint: \"" +
                            test_support::SqsEndpoint() +
                            "\"\n      credentials: { access_key_id_secret: AWS_KEY_ID, "
                            "secret_access_key_secret: AWS_SECRET_KEY }\n";
    const std::string common = std::string("http:\n  access_log: false\nadmin:\n  token: ") +
                               kAdminToken + "\nsecrets:\n  file: \"" +
                               (work_ / "secrets.yaml").string() + "\"\n";
    WriteConfig(work_ / "a" / "storeflow.yaml",
                common + "webhooks:\n  shopify_secrets: " + kSecret + "\n" + sqs);
    // B: the queue by its URL, 2 receivers, short polls (a quick restart) and a
    // short visibility timeout (what B held when killed comes back after 5 s).
    WriteConfig(work_ / "b" / "storeflow.yaml",
                common + sqs + "      queues:\n        " + queue_ + ":\n          url: \"" +
                    queue_url_ +
                    "\"\n          receivers: 2\n          wait_seconds: 1\n"
                    "          max_messages: 10\n          visibility_timeout: 5\n"
                    "          group_as_run_key: true\n");
  }

  static void WriteConfig(const fs::path& path, const std::string& yaml) {
    std::ofstream(path) << yaml;
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  }

  // Starts engine `name` ("a" or "b") on `url`; each start logs to <name>-serve-N.log.
  void Start(ServeProcess& engine, const std::string& name, const std::string& url) {
    const fs::path dir = work_ / name;
    ASSERT_TRUE(engine.Start(
        {"--db", url, "--workflows", (dir / "workflows").string(), "--listen", "127.0.0.1:0",
         "--config", (dir / "storeflow.yaml").string(), "--workers", "2", "--lease", "2000"},
        work_ / (name + "-serve-" + std::to_string(++starts_) + ".log")))
        << engine.log();
  }

  // One signed delivery of `body` to engine A.
  HttpReply Deliver(const std::string& body, const std::string& webhook_id) {
    try {
      return Http(a_.port(), "POST", "/webhooks/shopify", body,
                  {{"Content-Type", "application/json"},
                   {"X-Shopify-Topic", "orders/updated"},
                   {"X-Shopify-Webhook-Id", webhook_id},
                   {"X-Shopify-Shop-Domain", "two-engines.myshopify.com"},
                   {"X-Shopify-Hmac-Sha256", http::ShopifySignature(body, kSecret).value()}});
    } catch (const std::exception& e) {
      return HttpReply{0, e.what(), {}};
    }
  }

  // Sends the webhooks of the groups g with g % kSenders == sender: the groups
  // interleaved at random, each group's in sequence order, each waiting for its 200
  // (a 503 is retried, as Shopify does). Some deliveries are sent twice at once
  // (same webhook id), some replayed at the end under a new id: both must be
  // answered as duplicates.
  void SendGroups(int sender) {
    std::mt19937 random(20261206 + sender);
    std::vector<int> groups;
    std::map<int, int> next;
    for (int g = sender; g < kGroups; g += kSenders) {
      groups.push_back(g);
      next[g] = 0;
    }
    std::vector<std::pair<std::string, std::string>> replays;  // body, webhook id
    auto deliver = [&](const std::string& body, const std::string& id, bool duplicate) {
      for (int attempt = 0; attempt < 50 && !OverBudget(); ++attempt) {
        const HttpReply r = Deliver(body, id);
        deliveries_++;
        if (r.status == 200) {
          const json answer = r.json();
          const bool was_duplicate = answer.is_object() && answer.value("duplicate", false);
          if (was_duplicate) duplicates_++;
          // A retry after a 503 may find its first attempt committed (a duplicate).
          if (was_duplicate != duplicate && !(attempt > 0 && was_duplicate)) {
            Error("delivery " + body + " (" + id +
                  "): expected duplicate=" + (duplicate ? "true" : "false") + ", got " + r.body);
          }
          return;
        }
        if (r.status != 503 && r.status != 0) {
          Error("delivery " + body + ": HTTP " + std::to_string(r.status) + " " + r.body);
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      Error("delivery " + body + " was never accepted");
    };
    while (!groups.empty() && !OverBudget()) {
      const std::size_t pick = random() % groups.size();
      const int g = groups[pick];
      const int seq = next[g]++;
      if (next[g] == kPerGroup) groups.erase(groups.begin() + static_cast<long>(pick));
      const std::string body =
          json{{"group", GroupName(g)}, {"seq", seq}, {"order_id", 100000 + g * 1000 + seq}}.dump();
      const std::string id = "wh-" + GroupName(g) + "-" + std::to_string(seq);
      deliver(body, id, false);
      if (random() % kDuplicateOneIn == 0) deliver(body, id, true);
      if (random() % kReplayOneIn == 0) replays.emplace_back(body, id + "-replayed");
    }
    for (const auto& [body, id] : replays) deliver(body, id, true);
  }

  void Error(const std::string& what) {
    std::lock_guard lock(mu_);
    errors_.push_back(what);
  }

  // What B has recorded, through its admin API; nullopt while it is down.
  std::optional<Progress> ReadProgress() {
    try {
      const std::map<std::string, std::string> auth{
          {"Authorization", std::string("Bearer ") + kAdminToken}};
      const HttpReply groups =
          Http(b_.port(), "GET", "/api/v1/records/sqs_groups?limit=500", "", auth, 5);
      const HttpReply messages =
          Http(b_.port(), "GET", "/api/v1/records/sqs_messages?limit=500", "", auth, 5);
      if (groups.status != 200 || messages.status != 200) return std::nullopt;
      Progress p;
      const json group_page = groups.json();
      const json message_page = messages.json();
      for (const json& record : group_page.value("items", json::array())) {
        p.applied += record["value"].value("applied", 0L);
      }
      p.records = static_cast<long>(message_page.value("items", json::array()).size());
      return p;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  // Every run of `workflow` in the store at `url` (oldest first).
  static std::vector<store::RunRow> AllRuns(store::Store& store, const std::string& workflow) {
    std::vector<store::RunRow> out;
    auto tx = store.Begin();
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    if (!tx.ok()) return out;
    store::RunFilter filter;
    filter.workflow = workflow;
    filter.limit = 100;
    while (true) {
      auto page = (*tx)->ListRuns(filter);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || page->empty()) break;
      out.insert(out.end(), page->begin(), page->end());
      filter.before_id = page->back().id;
    }
    std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
    return out;
  }

  static std::vector<store::RecordRow> AllRecords(store::Store& store,
                                                  const std::string& collection) {
    auto tx = store.Begin();
    EXPECT_TRUE(tx.ok()) << tx.status().ToString();
    if (!tx.ok()) return {};
    auto records = (*tx)->ListRecords(collection, "", "", 10000);
    EXPECT_TRUE(records.ok()) << records.status().ToString();
    return records.ok() ? *records : std::vector<store::RecordRow>{};
  }

  static std::unique_ptr<store::Store> OpenStore(const std::string& url) {
    auto opened = store::Store::Open(url, store::OpenOptions());
    EXPECT_TRUE(opened.ok()) << url << ": " << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  bool OverBudget() const {
    return stop_ || std::chrono::steady_clock::now() - started_ > kTestBudget;
  }
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

  fs::path work_;
  std::string b_url_;
  std::unique_ptr<store::testing::PgTestDatabase> b_pg_;
  std::string queue_;
  std::string queue_url_;
  ServeProcess a_;
  ServeProcess b_;
  int starts_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> stop_{false};  // the senders give up
  std::atomic<int> deliveries_{0};
  std::atomic<int> duplicates_{0};
  std::mutex mu_;
  std::vector<std::string> errors_;
};

TEST_P(SqsTwoEnginesTest, EveryWebhookBecomesExactlyOneRunInGroupOrderAcrossKills) {
  Start(a_, "a", url_);
  Start(b_, "b", b_url_);
  ASSERT_FALSE(HasFatalFailure());

  std::atomic<int> senders_left{kSenders};
  std::vector<std::thread> senders;
  struct Join {  // also when an assertion returns early
    std::vector<std::thread>& threads;
    std::atomic<bool>& stop;
    ~Join() {
      stop = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } join{senders, stop_};
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([this, s, &senders_left] {
      SendGroups(s);
      senders_left--;
    });
  }

  // Kill B (SIGKILL) once it has recorded a third of the messages, and again at two
  // thirds, restarting it on the same database each time; then wait, bounded, until
  // it has recorded every message and the queue is empty.
  std::vector<long> killed_at;
  std::optional<std::chrono::steady_clock::time_point> drain_from;
  Progress last;
  long left = -1;
  bool done = false;
  while (!done && !OverBudget()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    const auto progress = ReadProgress();
    if (!progress) continue;
    last = *progress;
    const int kills = static_cast<int>(killed_at.size());
    if (kills < kKills && last.applied >= (kills + 1) * kMessages / (kKills + 1)) {
      EXPECT_EQ(b_.Stop(SIGKILL), -1);
      killed_at.push_back(last.applied);
      Start(b_, "b", b_url_);
      ASSERT_FALSE(HasFatalFailure());
      continue;
    }
    if (kills < kKills || senders_left > 0) continue;
    if (!drain_from) drain_from = std::chrono::steady_clock::now();
    ASSERT_LE(last.applied, kMessages) << "engine B applied a message twice";
    if (last.applied == kMessages && last.records == kMessages) {
      left = test_support::MessagesLeft(queue_url_);
      done = left == 0;
    }
    if (std::chrono::steady_clock::now() - *drain_from > kDrainBound) break;
  }
  for (auto& t : senders) t.join();
  const double seconds = Seconds();
  {
    std::lock_guard lock(mu_);
    for (const std::string& e : errors_) ADD_FAILURE() << e;
  }
  ASSERT_EQ(killed_at.size(), static_cast<std::size_t>(kKills)) << "B never got that far";
  for (long at : killed_at) {
    EXPECT_GT(at, 0);
    EXPECT_LT(at, kMessages) << "the kill was not mid-way";
  }
  ASSERT_TRUE(done) << "not drained within " << kDrainBound.count() << " s: B applied "
                    << last.applied << ", recorded " << last.records << " of " << kMessages
                    << "; messages left on the queue: " << left;

  // Stopped cleanly, both engines' stores are read directly.
  EXPECT_EQ(b_.Stop(SIGTERM), 0) << b_.log();
  EXPECT_EQ(a_.Stop(SIGTERM), 0) << a_.log();

  auto a_store = OpenStore(url_);
  ASSERT_NE(a_store, nullptr);
  const auto ingress = AllRuns(*a_store, kIngress);
  EXPECT_EQ(ingress.size(), static_cast<std::size_t>(kMessages))
      << "engine A: one ingress run per unique webhook";
  for (const auto& run : ingress) {
    EXPECT_EQ(run.status, store::RunStatus::kCompleted) << "ingress run " << run.id;
  }
  a_store.reset();

  auto b_store = OpenStore(b_url_);
  ASSERT_NE(b_store, nullptr);
  // Exactly one run per message, completed, keyed by its group; within a group the
  // runs were created (and, with per_key 1, ran) in send order.
  const auto runs = AllRuns(*b_store, kConsume);
  std::map<std::pair<std::string, int>, int> runs_per_message;
  std::map<std::string, std::vector<int>> created_order;
  for (const auto& run : runs) {
    EXPECT_EQ(run.status, store::RunStatus::kCompleted) << "run " << run.id;
    const std::string group = run.input.value("group", "?");
    const int seq = run.input.value("seq", -1);
    runs_per_message[{group, seq}]++;
    created_order[group].push_back(seq);
    EXPECT_EQ(run.key.value_or("-"), group) << "run " << run.id;
  }
  EXPECT_EQ(runs.size(), static_cast<std::size_t>(kMessages));
  for (int g = 0; g < kGroups; ++g) {
    std::vector<int> expected(kPerGroup);
    for (int s = 0; s < kPerGroup; ++s) {
      expected[s] = s;
      EXPECT_EQ((runs_per_message[{GroupName(g), s}]), 1) << GroupName(g) << " #" << s;
    }
    EXPECT_EQ(created_order[GroupName(g)], expected) << "runs of " << GroupName(g);
  }

  // The records: message k of a group (0-based, in send order) was applied as the
  // group's (k+1)-th; each group's counter equals its number of messages.
  int redelivered = 0;
  const auto messages = AllRecords(*b_store, "sqs_messages");
  EXPECT_EQ(messages.size(), static_cast<std::size_t>(kMessages));
  for (const auto& record : messages) {
    EXPECT_EQ(record.value.value("position", -1), record.value.value("seq", -2) + 1)
        << record.key << ": " << record.value.dump();
    EXPECT_EQ(record.value.value("run_key", ""), record.value.value("group", "?")) << record.key;
    EXPECT_EQ(record.revision, 1) << record.key << " written more than once";
    if (record.value.value("receive_count", 1) > 1) ++redelivered;
  }
  const auto groups = AllRecords(*b_store, "sqs_groups");
  EXPECT_EQ(groups.size(), static_cast<std::size_t>(kGroups));
  for (const auto& record : groups) {
    EXPECT_EQ(record.value.value("applied", -1), kPerGroup) << record.key;
    EXPECT_EQ(record.value.value("last_seq", -1), kPerGroup - 1) << record.key;
  }
  b_store.reset();

  // The queue is empty: nothing left, visible or in flight, and nothing to receive.
  EXPECT_EQ(test_support::MessagesLeft(queue_url_), 0);
  EXPECT_TRUE(test_support::Receive(queue_url_, 1).empty());

  std::printf(
      "[two engines, %s] %d messages in %d groups (%d deliveries, %d answered as duplicates); "
      "engine B killed %d times (after %ld and %ld applied), %d messages received more than "
      "once; %d runs in B, queue empty; %.1f s\n",
      GetParam().c_str(), kMessages, kGroups, deliveries_.load(), duplicates_.load(), kKills,
      killed_at[0], killed_at[1], redelivered, static_cast<int>(runs.size()), seconds);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(SqsTwoEnginesTest);

}  // namespace
}  // namespace storeflow::e2e
