// A store error on a run's lease is logged and counted
// (storeflow_lease_errors_total{operation}), not dropped.

#include <gtest/gtest.h>

#include <atomic>

#include "common/metrics.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;

// The real store, except that ExtendLeases fails (as with a lost connection).
class LeaseFailingStore final : public store::Store {
 public:
  explicit LeaseFailingStore(store::Store& inner) : inner_(inner) {}
  std::string_view backend() const override { return inner_.backend(); }
  const std::string& display_url() const override { return inner_.display_url(); }
  Result<std::unique_ptr<store::Transaction>> Begin() override { return inner_.Begin(); }
  Result<std::unique_ptr<store::Transaction>> BeginRead() override { return inner_.BeginRead(); }
  Result<std::vector<store::RunRow>> ClaimDueRuns(const std::string& owner, TimeMs now,
                                                  TimeMs lease_until, int limit) override {
    return inner_.ClaimDueRuns(owner, now, lease_until, limit);
  }
  Result<std::optional<TimeMs>> NextDueAt() override { return inner_.NextDueAt(); }
  Result<int> ExtendLeases(const std::string&, const std::vector<std::int64_t>&, TimeMs) override {
    ++extend_calls;
    return Unavailable("the store is unreachable (test)");
  }
  void Notify() override { inner_.Notify(); }
  bool WaitForWork(std::chrono::milliseconds timeout) override {
    return inner_.WaitForWork(timeout);
  }
  Result<int> SchemaVersion() override { return inner_.SchemaVersion(); }
  const std::string& InstallationId() const override { return inner_.InstallationId(); }

  std::atomic<int> extend_calls{0};

 private:
  store::Store& inner_;
};

// A quick step whose transaction cannot commit: a call in it fails (the step
// ignores that), so the commit its round shares fails.
class PoisonAction final : public Action {
 public:
  std::string_view name() const override { return "test.poison"; }
  bool transactional() const override { return true; }
  ActionResult Invoke(const Json&, const ActionContext& context) override {
    store::RunFilter filter;
    filter.limit = 0;  // refused: the transaction can then only roll back
    (void)context.tx->ListRuns(filter);
    return Json{{"ok", true}};
  }
};

class LeaseErrorsTest : public RuntimeTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(LeaseErrorsTest);

TEST_P(LeaseErrorsTest, AFailedReleaseAfterAFailedSharedCommitIsLoggedAndCounted) {
  ASSERT_TRUE(actions_.Register(std::make_shared<PoisonAction>()).ok());
  LeaseFailingStore store(*store_);
  engine_.reset();
  ASSERT_TRUE(options_.executor.group_commit);
  Engine engine(store, *clock_, actions_, options_);
  auto loaded = engine.LoadWorkflowSource(R"(workflow: poison
on: [{event: go}]
steps:
  - id: first
    uses: log
    with: { message: first }
  - id: poisoned
    uses: test.poison
)",
                                          "poison.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  auto run = engine.StartRun("poison", Json::object());
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const metrics::Labels release = {{"operation", "release"}};
  const double before = metrics::Registry::Default().Value("storeflow_lease_errors_total", release);
  // Round 1 (the claim's transaction) commits `first`; round 2's commit fails,
  // and releasing the run's lease after it fails too.
  (void)engine.RunDueOnce();
  EXPECT_GE(store.extend_calls.load(), 1);
  EXPECT_EQ(metrics::Registry::Default().Value("storeflow_lease_errors_total", release),
            before + 1);
  bool logged = false;
  {
    std::lock_guard lock(log_mu_);
    for (const auto& line : logs_) {
      if (line.find("error: could not release the leases of run " + std::to_string(run->id)) == 0 &&
          line.find("unavailable") != std::string::npos) {
        logged = true;
      }
    }
    EXPECT_TRUE(logged) << "no log line for the failed release; lines: " << logs_.size();
  }
  // The run keeps what was committed before: `first`, and its lease until it expires.
  const auto stored = GetRun(run->id);
  EXPECT_EQ(stored.status, RunStatus::kRunning);
  EXPECT_EQ(Steps(run->id).count("first"), 1u);
  EXPECT_EQ(Steps(run->id).count("poisoned"), 0u);
}

}  // namespace
}  // namespace storeflow::runtime::testing
