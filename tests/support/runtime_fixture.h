#pragma once

// Shared fixture of the runtime tests: an Engine on a fresh store (SQLite and
// PostgreSQL, as in the store contract suite) with a virtual clock, the built-in
// actions and a scriptable test action.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/engine.h"
#include "store_fixture.h"

namespace storeflow::runtime::testing {

using store::testing::kT0;
using Json = nlohmann::json;

// One call of the test action.
struct Call {
  std::string step_path;
  std::string idempotency_key;
  int attempt = 0;
  TimeMs now = 0;
  Json input;
  PreviousAttempt previous_attempt = PreviousAttempt::kNone;
};

// `test.act`: records each call; `script` decides the result (default: echo the input).
class TestAction final : public Action {
 public:
  explicit TestAction(std::string name = "test.act") : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  ActionResult Invoke(const Json& input, const ActionContext& context) override {
    std::lock_guard lock(mu_);
    calls_.push_back({context.step_path, context.idempotency_key, context.attempt, context.now,
                      input, context.previous_attempt});
    if (script_) return script_(input, context, static_cast<int>(calls_.size()));
    return Json{{"echo", input}};
  }
  void set_script(std::function<ActionResult(const Json&, const ActionContext&, int)> script) {
    std::lock_guard lock(mu_);
    script_ = std::move(script);
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int count(const std::string& step_path) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& c : calls_) n += c.step_path == step_path ? 1 : 0;
    return n;
  }

 private:
  std::string name_;
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::function<ActionResult(const Json&, const ActionContext&, int)> script_;
};

class RuntimeTest : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    clock_ = std::make_unique<VirtualClock>(kT0);
    ASSERT_TRUE(RegisterBuiltinActions(actions_).ok());
    ASSERT_TRUE(actions_.Register(action_).ok());
    options_.owner = "test-engine";
    options_.script_root = STOREFLOW_SOURCE_DIR;
    options_.executor.random_seed = 7;
    options_.executor.log = [this](std::string_view level, std::string_view message) {
      std::lock_guard lock(log_mu_);
      logs_.push_back(std::string(level) + ": " + std::string(message));
    };
    NewEngine();
  }

  void TearDown() override {
    engine_.reset();
    StoreTest::TearDown();
  }

  void NewEngine() {
    engine_.reset();
    engine_ = std::make_unique<Engine>(*store_, *clock_, actions_, options_);
  }

  std::shared_ptr<const LoadedWorkflow> Load(const std::string& yaml,
                                             const std::string& path = "test.yaml") {
    auto loaded = engine_->LoadWorkflowSource(yaml, path);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return loaded.ok() ? *loaded : nullptr;
  }

  std::int64_t Start(const std::string& workflow, const Json& input = Json::object()) {
    auto run = engine_->StartRun(workflow, input);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    return run.ok() ? run->id : 0;
  }

  bool IsEnded(std::int64_t id) {
    auto tx = store_->Begin();
    if (!tx.ok()) return false;
    auto run = (*tx)->GetRun(id);
    return run.ok() && run->has_value() && store::IsTerminal((*run)->status);
  }

  // Polls the store (another process drives the runs) until every run of `ids`
  // has ended or `timeout` passes; true when all ended. Runs end roughly in
  // order, so the ended prefix is skipped on later polls.
  bool WaitUntilAllEnded(const std::vector<std::int64_t>& ids, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t first_open = 0;
    while (true) {
      while (first_open < ids.size() && IsEnded(ids[first_open])) ++first_open;
      bool all = true;
      for (std::size_t i = first_open; i < ids.size() && all; ++i) all = IsEnded(ids[i]);
      if (all) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  // Drives the engine until all `ids` are terminal; returns the last one.
  store::RunRow Finish(std::vector<std::int64_t> ids) {
    Status s = engine_->RunUntil(
        [&] {
          for (auto id : ids) {
            if (!IsEnded(id)) return false;
          }
          return true;
        },
        std::chrono::seconds(60));
    EXPECT_TRUE(s.ok()) << s.ToString();
    return GetRun(ids.back());
  }
  store::RunRow Finish(std::int64_t id) { return Finish(std::vector<std::int64_t>{id}); }

  // Drives until `id` has status `status`.
  void DriveUntilStatus(std::int64_t id, store::RunStatus status) {
    Status s =
        engine_->RunUntil([&] { return GetRun(id).status == status; }, std::chrono::seconds(60));
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  std::map<std::string, store::StepRow> Steps(std::int64_t id) {
    auto tx = Begin();
    auto rows = tx->ListSteps(id);
    EXPECT_TRUE(rows.ok());
    std::map<std::string, store::StepRow> out;
    if (rows.ok()) {
      for (auto& r : *rows) out[r.step_path] = r;
    }
    return out;
  }

  std::optional<Json> Record(const std::string& collection, const std::string& key) {
    auto tx = Begin();
    auto row = tx->GetRecord(collection, key);
    EXPECT_TRUE(row.ok());
    if (!row.ok() || !row->has_value()) return std::nullopt;
    return (*row)->value;
  }

  Result<PublishOutcome> Publish(const std::string& topic, const Json& payload) {
    store::EventRow event;
    event.topic = topic;
    event.source = "test";
    event.payload = payload;
    return engine_->Publish(event);
  }

  std::unique_ptr<VirtualClock> clock_;
  ActionRegistry actions_;
  std::shared_ptr<TestAction> action_ = std::make_shared<TestAction>();
  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
  std::mutex log_mu_;
  std::vector<std::string> logs_;
};

}  // namespace storeflow::runtime::testing
