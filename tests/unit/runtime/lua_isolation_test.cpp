// The Lua sandbox as the engine uses it: one Sandbox per worker runs the
// expressions and rules of every workflow, so nothing one workflow's call does
// may change or starve another's (library tables, hoarded rule state), and
// log.* in an expression that reads secrets does not show them.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/secrets.h"
#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

using store::RunStatus;

class LuaIsolationTest : public RuntimeTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(LuaIsolationTest);

// Expressions of the `with:` of a step that try to rewrite each library through
// pairs, as one line of Lua each: `s` is what pairs returns as its state.
std::string Attack(const std::string& lib, const std::string& field) {
  return "${{ (function() local f, s = pairs(" + lib + "); " + "pcall(function() s." + field +
         " = function() return 'pwned' end end); " + "pcall(rawset, s, '" + field +
         "', function() return 'pwned' end); " +
         "pcall(function() s.extra = 'pwned' end); return true end)() }}";
}

TEST_P(LuaIsolationTest, AWorkflowCannotRewriteLibrariesForAnotherOnTheSameWorker) {
  const std::vector<std::pair<std::string, std::string>> targets = {
      {"string", "upper"}, {"table", "concat"},  {"math", "floor"}, {"utf8", "char"},
      {"json", "encode"},  {"time", "duration"}, {"log", "info"}};
  std::string attacker = "workflow: attacker\non: [{event: go}]\nsteps:\n";
  for (const auto& [lib, field] : targets) {
    attacker += "  - id: " + lib + "\n    uses: test.act\n    with: { done: \"" +
                Attack(lib, field) + "\" }\n";
  }
  Load(attacker, "attacker.yaml");
  Load(R"(workflow: victim
on: [{event: go}]
steps:
  - id: check
    uses: test.act
    with:
      upper: "${{ string.upper('a') .. ('b'):upper() }}"
      concat: "${{ table.concat({1, 2}, ',') }}"
      floor: "${{ math.floor(2.5) }}"
      char: "${{ utf8.char(72, 105) }}"
      encode: "${{ json.encode({1, json.null}) }}"
      duration: "${{ time.duration('1m') }}"
      info: "${{ select('#', log.info('victim')) }}"
      extra: "${{ string.extra or table.extra or math.extra or utf8.extra or json.extra or time.extra or log.extra or 'none' }}"
)",
       "victim.yaml");
  // Both run on the engine's one in-process worker (one Lua state), attacker first.
  const auto attack = Finish(Start("attacker"));
  ASSERT_EQ(attack.status, RunStatus::kCompleted) << attack.error.dump();
  const auto victim = Finish(Start("victim"));
  ASSERT_EQ(victim.status, RunStatus::kCompleted) << victim.error.dump();
  const auto calls = action_->calls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().input, Json({{"upper", "AB"},
                                      {"concat", "1,2"},
                                      {"floor", 2},
                                      {"char", "Hi"},
                                      {"encode", "[1,null]"},
                                      {"duration", 60},
                                      {"info", 0},
                                      {"extra", "none"}}));
}

TEST_P(LuaIsolationTest, AHoardingRuleDoesNotMakeAnotherWorkflowFail) {
  // A small state: the hoarder (256 KiB kept per call) would fill it after 32
  // calls, and every Lua call on the worker would fail from then on.
  options_.lua.memory_bytes = std::size_t{8} << 20;
  options_.lua.time_per_call = std::chrono::seconds(10);  // copying MiBs on a loaded machine
  NewEngine();
  Load(R"(workflow: hoarder
on: [{event: go}]
steps:
  - id: grow
    rule: tests/fixtures/rules/hoard.lua#grow
)",
       "hoarder.yaml");
  Load(R"(workflow: victim
on: [{event: go}]
steps:
  - id: plan
    rule: scripts/email_timing.lua#next_email
    with: { cart_value: 120, items: 2, emails_sent: 0, abandoned_at: "${{ run.started_at }}" }
  - id: use
    uses: test.act
    with: { bytes: "${{ #string.rep('y', 1536 * 1024) }}" }
)",
       "victim.yaml");
  std::vector<std::int64_t> hoarders, victims;
  for (int i = 0; i < 48; ++i) {
    hoarders.push_back(Start("hoarder"));
    victims.push_back(Start("victim"));
  }
  std::vector<std::int64_t> all = hoarders;
  all.insert(all.end(), victims.begin(), victims.end());
  Finish(all);
  for (const auto id : victims) {
    const auto run = GetRun(id);
    EXPECT_EQ(run.status, RunStatus::kCompleted) << "victim run " << id << ": " << run.error.dump();
  }
  int most_kept = 0;
  for (const auto id : hoarders) {
    const auto run = GetRun(id);
    ASSERT_EQ(run.status, RunStatus::kCompleted)
        << "hoarder run " << id << ": " << run.error.dump();
    most_kept = std::max(most_kept, Steps(id)["grow"].output["kept"].get<int>());
  }
  // The hoarder's state was dropped before it filled the state, and the log says so.
  EXPECT_LT(most_kept, 20);
  bool warned = false;
  for (const auto& line : logs_) {
    warned =
        warned || line.find("the cached state of tests/fixtures/rules/hoard.lua was dropped") !=
                      std::string::npos;
  }
  EXPECT_TRUE(warned);
}

class LuaLogSecretsTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    options_.executor.secrets = std::make_shared<SecretStore>(
        std::map<std::string, std::string>{{"API_TOKEN", "tok-123456"}});
    NewEngine();
  }
};
STOREFLOW_INSTANTIATE_STORE_TESTS(LuaLogSecretsTest);

TEST_P(LuaLogSecretsTest, LogInAnExpressionThatReadsASecretRedactsIt) {
  Load(R"(workflow: pay
on: [{event: go}]
steps:
  - id: charge
    uses: test.act
    with:
      auth: "${{ (function() log.info('using', secrets.API_TOKEN) print('token=' .. secrets.API_TOKEN) return 'Bearer ' .. secrets.API_TOKEN end)() }}"
)");
  const auto run = Finish(Start("pay"));
  ASSERT_EQ(run.status, RunStatus::kCompleted) << run.error.dump();
  ASSERT_EQ(action_->calls().size(), 1u);
  EXPECT_EQ(action_->calls()[0].input["auth"], "Bearer tok-123456");
  int redacted = 0;
  for (const auto& line : logs_) {
    EXPECT_EQ(line.find("tok-123456"), std::string::npos) << line;
    if (line.find("using ***") != std::string::npos || line.find("token=***") != std::string::npos)
      ++redacted;
  }
  EXPECT_EQ(redacted, 2);
}

}  // namespace
}  // namespace storeflow::runtime::testing
