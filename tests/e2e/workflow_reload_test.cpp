// Hot reload of a real `storeflow serve` (SQLite and PostgreSQL), over loopback:
// POST /api/v1/workflows/reload puts an edited workflow live; a broken file is
// refused with 422 and its file:line:col while the old set goes on serving; a
// reload with nothing changed says so; SIGHUP reloads too. A run sleeping across
// a reload that edits its Lua rule resumes with the OLD rule text while a run
// started after it uses the NEW one (the manual clock, moved by the admin API).

#include <signal.h>

#include <regex>
#include <thread>

#include "sim_serve_fixture.h"

namespace storeflow::e2e {
namespace {

using nlohmann::json;
using test_support::Http;
using test_support::HttpReply;

std::string PickWorkflow(int shown_version) {
  return "workflow: pick\n"
         "on: [{http: POST /pick}]\n"
         "steps:\n"
         "  - id: ack\n"
         "    respond: { status: 202, body: { run: \"${{ run.id }}\", v: " +
         std::to_string(shown_version) +
         " } }\n"
         "  - id: nap\n"
         "    sleep: 1h\n"
         "  - id: choose\n"
         "    rule: scripts/pick.lua#pick\n"
         "    with: { n: 1 }\n";
}

std::string RuleReturning(const std::string& word) {
  return "function pick(input)\n  return { word = \"" + word + "\" }\nend\n";
}

class WorkflowReloadE2eTest : public SimServeTest {
 protected:
  WorkflowReloadE2eTest() : SimServeTest("reload", std::chrono::seconds(120), Simulator::kNone) {}

  void Write(const std::string& relative, const std::string& text) {
    std::filesystem::create_directories((work_ / relative).parent_path());
    std::ofstream(work_ / relative, std::ios::trunc) << text;
  }

  std::map<std::string, std::string> Admin() const {
    return {{"Authorization", std::string("Bearer ") + kAdminApiToken}};
  }

  HttpReply Reload() {
    return Http(server_.port(), "POST", "/api/v1/workflows/reload", "", Admin());
  }

  // POST /pick: the run's id and the version number its respond step shows.
  std::pair<std::int64_t, int> Pick() {
    HttpReply r = Http(server_.port(), "POST", "/pick", "{}");
    EXPECT_EQ(r.status, 202) << r.body;
    const json body = r.json();
    if (!body.is_object() || !body.contains("run")) return {0, 0};
    const json& run = body["run"];
    const std::int64_t id =
        run.is_number_integer() ? run.get<std::int64_t>() : std::stoll(run.get<std::string>());
    return {id, body.value("v", 0)};
  }

  json Run(std::int64_t id) {
    return Http(server_.port(), "GET", "/api/v1/runs/" + std::to_string(id), "", Admin()).json();
  }

  // The output of step `path` of run `id` (null when it has none).
  json StepOutput(std::int64_t id, const std::string& path) {
    const json run = Run(id);
    for (const auto& step : run.value("steps", json::array())) {
      if (step.value("path", "") == path) return step["output"];
    }
    return nullptr;
  }
};

TEST_P(WorkflowReloadE2eTest, ReloadsOverHttpAndSighupAndPinsRulesOfRunsInFlight) {
  Write("workflows/pick.yaml", PickWorkflow(1));
  Write("scripts/pick.lua", RuleReturning("old"));
  WriteConfig(std::string("admin:\n  token: ") + kAdminApiToken + "\n");
  StartServer({"--root", work_.string(), "--clock", "manual"});
  if (HasFatalFailure()) return;

  const auto [before, before_version] = Pick();
  ASSERT_GT(before, 0);
  EXPECT_EQ(before_version, 1);

  // An edited workflow and an edited rule: one reload puts both live.
  Write("workflows/pick.yaml", PickWorkflow(2));
  Write("scripts/pick.lua", RuleReturning("new"));
  HttpReply reloaded = Reload();
  ASSERT_EQ(reloaded.status, 200) << reloaded.body;
  EXPECT_EQ(reloaded.json()["result"], "reloaded") << reloaded.body;
  EXPECT_EQ(reloaded.json()["changes"]["changed"], json::array({"pick"})) << reloaded.body;
  const auto [after, after_version] = Pick();
  ASSERT_GT(after, 0);
  EXPECT_EQ(after_version, 2);
  EXPECT_NE(Run(after)["version"], Run(before)["version"]);

  // Nothing changed: a no-op that says so.
  HttpReply same = Reload();
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(same.json()["result"], "unchanged") << same.body;

  // A broken file: 422 naming the place; the old set still serves.
  Write("workflows/broken.yaml",
        "workflow: broken\non: [{http: GET /broken}]\nsteps:\n  - id: a\n    sleep: soon\n");
  HttpReply refused = Reload();
  ASSERT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(refused.json()["result"], "rejected");
  EXPECT_EQ(refused.json()["error"]["code"], "invalid_workflows");
  const std::string errors = refused.json()["errors"].dump();
  EXPECT_TRUE(std::regex_search(errors, std::regex("broken\\.yaml:5:[0-9]+: error:"))) << errors;
  EXPECT_EQ(Pick().second, 2);
  EXPECT_EQ(Http(server_.port(), "GET", "/broken").status, 404);

  // SIGHUP: the fixed file goes live (polled: the reload runs after the signal).
  Write("workflows/broken.yaml",
        "workflow: broken\non: [{http: GET /broken}]\nsteps:\n  - id: a\n"
        "    respond: { body: { fixed: true } }\n");
  ASSERT_EQ(kill(server_.pid(), SIGHUP), 0);
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = Http(server_.port(), "GET", "/broken").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 200) << server_.log();
  EXPECT_NE(server_.log().find("reload: reloaded (added: broken)"), std::string::npos)
      << server_.log();

  // Two hours later both sleeping runs have called their rule.
  HttpReply advanced = Http(server_.port(), "POST", "/api/v1/clock/advance",
                            json{{"by_ms", 2 * 3600 * 1000}}.dump(), Admin());
  ASSERT_EQ(advanced.status, 200) << advanced.body;
  EXPECT_EQ(Run(before)["status"], "completed") << Run(before).dump();
  EXPECT_EQ(Run(after)["status"], "completed") << Run(after).dump();
  EXPECT_EQ(StepOutput(before, "choose"), json({{"word", "old"}}));
  EXPECT_EQ(StepOutput(after, "choose"), json({{"word", "new"}}));

  // One reload of each outcome so far, counted by result.
  const std::string metrics = Http(server_.port(), "GET", "/metrics", "", Admin()).body;
  EXPECT_NE(metrics.find("storeflow_reloads_total{result=\"rejected\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("storeflow_reloads_total{result=\"unchanged\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("storeflow_reloads_total{result=\"reloaded\"} 2"), std::string::npos)
      << metrics;
}

STOREFLOW_INSTANTIATE_STORE_TESTS(WorkflowReloadE2eTest);

}  // namespace
}  // namespace storeflow::e2e
