// The budget governor through the engine, not threads of a test: eight runs of a
// workflow whose steps call shopify.graphql, started at once and advanced by the
// engine's worker pool (one plugin instance, the engine's rate governor: in
// process on SQLite, a rate_buckets row on PostgreSQL). The simulator's GraphQL
// bucket is made small (120 points restoring 20/s; the plugin's `limits` say
// the same), so together the runs ask for far more than it holds and must wait
// for its restore: the simulator's bucket never goes below zero (its low-water
// mark `min_seen`) and every run completes.
#include <chrono>
#include <thread>

#include "engine_sim_fixture.h"
#include "store/records.h"

namespace storeflow::plugins::shopify::testing {
namespace {

constexpr int kRuns = 8;
constexpr int kCallsPerRun = 4;
constexpr int kFirst = 20;  // requested and actual cost 22 (the shop has 300 orders)
constexpr int kCost = kFirst + 2;
constexpr int kBucket = 120;
constexpr int kRestorePerSecond = 20;
// 32 calls x 22 points = 704: almost six buckets, ~30 s of restore.
static_assert(kRuns * kCallsPerRun * kCost > 5 * kBucket);

constexpr char kHammerWorkflow[] = R"yaml(
workflow: hammer
on:
  - http: POST /hammer
key: event.body.n
steps:
  - id: accepted
    respond: { status: 202, body: { started: true } }
  - id: calls
    foreach: [1, 2, 3, 4]
    steps:
      - id: orders
        uses: shopify.graphql
        timeout: 90s
        retry: { attempts: 6, delay: 1s }
        with:
          query: "query Orders($first:Int!,$after:String){ orders(first:$first, after:$after){ edges{ cursor node{ id legacyResourceId name } } pageInfo{ hasNextPage endCursor } } }"
          operation_name: Orders
          variables: { first: 20 }
          cost_estimate: 22
  - id: count
    rule: count.lua#edges
    with: { pages: "${{ steps.calls.output }}" }
  - id: short
    if: steps.count.output ~= 80
    fail: "only ${{ steps.count.output }} orders came back"
)yaml";

// How many orders came back in all the pages of one run.
constexpr char kCountRule[] = R"lua(
function edges(input)
  local n = 0
  for _, page in ipairs(input.pages) do
    n = n + #page.orders.data.orders.edges
  end
  return n
end
)lua";

class GovernorThroughEngine : public EngineAgainstSim {};

TEST_P(GovernorThroughEngine, EightRunsNeverDriveTheBucketBelowZeroAndAllComplete) {
  StartSim({"--orders", "300", "--seed", "5"});
  const Json set = ShopControl(
      "PUT", "/bucket", Json{{"graphql", {{"max", kBucket}, {"restore_rate", kRestorePerSecond}}}});
  ASSERT_EQ(set["graphql"]["max"], kBucket) << set;
  WriteWorkflow("hammer.yaml", kHammerWorkflow);
  std::ofstream(work_ / "count.lua") << kCountRule;
  StartEngine(kRuns, "{graphql_bucket: " + std::to_string(kBucket) +
                         ", graphql_restore_per_second: " + std::to_string(kRestorePerSecond) +
                         "}");
  if (HasFatalFailure()) return;

  std::vector<std::thread> posts;
  std::vector<int> statuses(kRuns, 0);
  for (int n = 0; n < kRuns; ++n) {
    posts.emplace_back([&, n] {
      statuses[n] = Post("/hammer", Json{{"n", "run-" + std::to_string(n)}}).status;
    });
  }
  for (auto& t : posts) t.join();
  for (int n = 0; n < kRuns; ++n) EXPECT_EQ(statuses[n], 202) << "run " << n;

  // Every run ends (bounded: the restore needs ~30 s; 150 s is far past it).
  std::vector<store::RunRow> runs;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(150);
  while (true) {
    auto tx = serve_->store().Begin();
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    store::RunFilter filter;
    filter.workflow = "hammer";
    auto listed = (*tx)->ListRuns(filter);
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    ASSERT_TRUE((*tx)->Commit().ok());
    runs = *listed;
    int ended = 0;
    for (const auto& run : runs) {
      if (run.status == store::RunStatus::kCompleted || run.status == store::RunStatus::kFailed) {
        ++ended;
      }
    }
    if (static_cast<int>(runs.size()) == kRuns && ended == kRuns) break;
    ASSERT_LT(std::chrono::steady_clock::now(), give_up)
        << runs.size() << " runs, " << ended << " ended";
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  // Completed means each of its pages held all 20 orders (the `short` step).
  for (const auto& run : runs) {
    EXPECT_EQ(run.status, store::RunStatus::kCompleted) << "run " << run.id << ": " << run.error;
  }

  const Json bucket = ShopControl("GET", "/bucket");
  EXPECT_GE(bucket["graphql"]["min_seen"].get<double>(), 0) << bucket;
  // The bucket was really drained: the governor held the calls back at its
  // bottom rather than letting them pass at the pace of the workers.
  EXPECT_LT(bucket["graphql"]["min_seen"].get<double>(), 2 * kCost) << bucket;
  int calls = 0;
  int throttled = 0;
  const Json received = ShopControl("GET", "/received");
  for (const Json& r : received["received"]) {
    if (r.value("operationName", "") != "Orders") continue;
    ++calls;
    if (r.value("throttled", false)) ++throttled;
  }
  std::cout << GetParam() << ": graphql calls " << calls << ", THROTTLED answers " << throttled
            << ", min_seen " << bucket["graphql"]["min_seen"] << "\n";
  EXPECT_EQ(calls - throttled, kRuns * kCallsPerRun);
}

INSTANTIATE_TEST_SUITE_P(Backends, GovernorThroughEngine, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace storeflow::plugins::shopify::testing
